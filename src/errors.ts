/**
 * The program's typed errors, and the one place that maps outcomes to exit codes (SPEC §6).
 * @module
 */

/** A bad flag, environment variable, `.env` entry or missing key: exit 2 before any request. */
export class UsageError extends Error {
  override name = "UsageError";
  /** A one-line hint on what to do next, printed after the message. */
  readonly hint: string;
  constructor(message: string, hint = "Run `outage-sync --help` for usage.") {
    super(message);
    this.hint = hint;
  }
}

/** Data that does not have the shape the API promises, or a payload that must not be sent. */
export class ValidationError extends Error {
  override name = "ValidationError";
}

/** How a request failed. */
export type ApiErrorKind =
  | "status" // a non-2xx, non-3xx answer
  | "redirect" // a 3xx answer: never followed
  | "network" // the connection failed or was reset
  | "timeout" // the per-attempt timeout ran out
  | "body" // the body was cut short or is not JSON
  | "too-large" // the body is larger than the cap
  | "deadline" // the run's deadline leaves no time for this request or its next attempt
  | "aborted"; // the run was interrupted (SIGINT/SIGTERM)

/** A request that failed; `status` is set for answers, `message` carries the API's own message. */
export class ApiError extends Error {
  override name = "ApiError";
  /** What went wrong. */
  readonly kind: ApiErrorKind;
  /** The request, as `METHOD /path`. */
  readonly endpoint: string;
  /** The HTTP status, when an answer arrived. */
  readonly status: number | undefined;
  /** How many attempts were made, once the retry policy has given up. */
  attempts = 1;
  /** Seconds the server asked to wait (`Retry-After`), when it did. */
  readonly retryAfter: string | undefined;

  constructor(
    kind: ApiErrorKind,
    endpoint: string,
    message: string,
    options: { status?: number; retryAfter?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.endpoint = endpoint;
    this.status = options.status;
    this.retryAfter = options.retryAfter;
  }
}

/** Statuses that SPEC §7 retries; every other 4xx is final. */
export const RETRIED_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Whether another attempt could succeed where this one failed (SPEC §7). */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  switch (error.kind) {
    case "network":
    case "timeout":
    case "body":
      return true;
    case "status":
      return error.status !== undefined && RETRIED_STATUSES.has(error.status);
    default:
      return false;
  }
}

/** The run was interrupted by a signal; the abort reason of the run's signal. */
export class Interrupted extends Error {
  override name = "Interrupted";
  /** 130 for SIGINT, 143 for SIGTERM. */
  readonly exitCode: number;
  constructor(signalName: string, exitCode: number) {
    super(`interrupted by ${signalName}`);
    this.exitCode = exitCode;
  }
}

/** Exit codes of SPEC §6. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
  sigint: 130,
  sigterm: 143,
} as const;

/** A site's final status in the report. */
export type SiteStatus = "posted" | "skipped-empty" | "dry-run" | "checked" | "failed";

/** The exit code for a run whose sites ended with these statuses (none: the run failed early). */
export function exitCodeForSites(statuses: readonly SiteStatus[]): number {
  const failed = statuses.filter((s) => s === "failed").length;
  if (statuses.length === 0 || failed === statuses.length) return ExitCode.failed;
  return failed === 0 ? ExitCode.ok : ExitCode.partial;
}

/** A message for any thrown value, without a stack. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
