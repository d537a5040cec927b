/**
 * The program's typed errors — usage, validation, API, refused files and interruption — and
 * {@link errorMessage}, the one way to turn any thrown value into a message.
 * @module
 */

/** A bad flag, environment variable, `.env` entry or missing key: exit 2 before any request. */
export class UsageError extends Error {
  override name = "UsageError";
  /**
   * A one-line hint on what to do next, printed after the message; without one, the dispatcher
   * points to the command's own `--help`.
   */
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}

/** Data that does not have the shape the API promises, or a payload that must not be sent. */
export class ValidationError extends Error {
  override name = "ValidationError";
}

/**
 * How a request failed, in the words the JSON report and JSON logs use for it (README, "kind"), so
 * that an {@link ApiError}'s kind is shown as it is.
 */
export type ApiErrorKind =
  | "http" // a non-2xx, non-3xx answer
  | "redirect" // a 3xx answer: never followed
  | "network" // the connection failed or was reset
  | "timeout" // the per-attempt timeout ran out
  | "body" // the body was cut short or is not JSON
  | "too-large" // the body is larger than the cap
  | "encoding" // the body is not UTF-8 (or declares another charset)
  | "deadline" // the run's deadline leaves no time for this request or its next attempt
  | "interrupted"; // the run was interrupted (SIGINT/SIGTERM)

/**
 * A request that failed; `status` is set for answers, `message` carries the API's own message.
 * Immutable once made: one error may be shared by many requests (every site waits on the one
 * `GET /outages`), so the retry policy makes a new one to say how many attempts it took.
 */
export class ApiError extends Error {
  override name = "ApiError";
  declare readonly message: string;
  /** What went wrong. */
  readonly kind: ApiErrorKind;
  /** The request, as `METHOD /path`. */
  readonly endpoint: string;
  /** The HTTP status, when an answer arrived. */
  readonly status: number | undefined;
  /** How many attempts this request made, once the retry policy has given up. */
  readonly attempts: number;
  /** Seconds the server asked to wait (`Retry-After`), when it did. */
  readonly retryAfter: string | undefined;
  /**
   * At most this many attempts make sense for this failure, whatever `--max-attempts` says: 1 for
   * what can never succeed (a blocked port, a rejected certificate), 2 for a DNS failure.
   */
  readonly attemptLimit: number | undefined;

  constructor(
    kind: ApiErrorKind,
    endpoint: string,
    message: string,
    options: {
      status?: number;
      retryAfter?: string;
      cause?: unknown;
      attemptLimit?: number;
      attempts?: number;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.attempts = options.attempts ?? 1;
    this.kind = kind;
    this.endpoint = endpoint;
    this.status = options.status;
    this.retryAfter = options.retryAfter;
    this.attemptLimit = options.attemptLimit;
  }
}

/** The run was interrupted by a signal; the abort reason of the run's signal. */
export class Interrupted extends Error {
  override name = "Interrupted";
  /** The signal that interrupted the run; its exit code is `exitCodeFor`'s (`src/outcome.ts`). */
  readonly signal: "SIGINT" | "SIGTERM";
  constructor(signal: "SIGINT" | "SIGTERM") {
    super(`interrupted by ${signal}`);
    this.signal = signal;
  }
}

/**
 * A file the program will not read or replace: not a regular file, larger than its use allows, or
 * unreadable. Commands turn it into a usage error naming the path and {@link FileRefused.reason}.
 */
export class FileRefused extends Error {
  override name = "FileRefused";
  /** The path as given. */
  readonly path: string;
  /** Why, as what follows the path: `is a FIFO (named pipe), not a regular file`. */
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(`"${path}" ${reason}`);
    this.path = path;
    this.reason = reason;
  }

  /**
   * Why a file could not be read, in words, to follow its quoted path in a usage error: `it` and
   * the reason of a refusal, or a few words for what else a reader may throw — never that error's
   * own message, which need not be fit to print.
   */
  static reasonFor(error: unknown): string {
    if (error instanceof FileRefused) return `it ${error.reason}`;
    if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
    if (error instanceof Deno.errors.IsADirectory) return "it is a directory, not a regular file";
    if (error instanceof Deno.errors.NotFound) return "no such file";
    return "it cannot be read";
  }
}

/** A message for any thrown value, without a stack. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Another run holds the state directory's lock, past the time this run may wait for it. */
export class StateLocked extends Error {
  override name = "StateLocked";
}

/** A site (or its POST) that was not started because the run was interrupted first. */
export class NotStarted extends Error {
  override name = "NotStarted";
}

/**
 * What kind of failure an error is, as the JSON report and JSON logs name it: a request's
 * {@link ApiErrorKind}, or one of the program's own.
 */
export type ErrorKind =
  | ApiErrorKind
  | "usage"
  | "validation"
  | "locked"
  | "internal";

/** An error as the report carries it: its message, its kind, and the HTTP status when one came. */
export interface ErrorReport {
  readonly message: string;
  readonly kind: ErrorKind;
  readonly status?: number;
}

/** The report's view of any thrown value. */
export function describeError(error: unknown): ErrorReport {
  const message = errorMessage(error);
  if (error instanceof ApiError) {
    const { kind, status } = error;
    return status === undefined ? { message, kind } : { message, kind, status };
  }
  if (error instanceof ValidationError) return { message, kind: "validation" };
  if (error instanceof UsageError) return { message, kind: "usage" };
  if (error instanceof StateLocked) return { message, kind: "locked" };
  if (error instanceof Interrupted || error instanceof NotStarted) {
    return { message, kind: "interrupted" };
  }
  return { message, kind: "internal" };
}
