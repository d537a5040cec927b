/**
 * What a failed attempt means, as pure functions of what was observed: a thrown `fetch` error
 * classified (interrupted, timed out, network, body cut short), a redirect described, an error
 * body's message extracted. Tested without a server.
 * @module
 */

import { ApiError, errorMessage } from "../errors.ts";
import { parseJsonBounded } from "../json_scan.ts";

/** What was known when an attempt threw. */
export interface FailureContext {
  /** The request, as `METHOD /path`. */
  readonly endpoint: string;
  /** `connect`: before the status line arrived; `body`: while reading the body. */
  readonly stage: "connect" | "body";
  /** Whether the run's signal (SIGINT/SIGTERM) had aborted. */
  readonly interrupted: boolean;
  /** Whether the attempt's own timeout had fired. */
  readonly timedOut: boolean;
  /** The time this attempt was given, milliseconds. */
  readonly timeoutMs: number;
  /** The configured per-attempt timeout, milliseconds (more than `timeoutMs` near the deadline). */
  readonly configuredTimeoutMs: number;
}

/** The {@link ApiError} for anything an attempt threw (an `ApiError` is returned as it is). */
export function classifyFailure(error: unknown, context: FailureContext): ApiError {
  if (error instanceof ApiError) return error;
  const { endpoint } = context;
  if (context.interrupted) {
    return new ApiError("aborted", endpoint, `${endpoint}: interrupted`, { cause: error });
  }
  if (context.timedOut) {
    const limit = context.timeoutMs < context.configuredTimeoutMs
      ? `the ${(context.timeoutMs / 1000).toFixed(1)} s left before the run's deadline`
      : `the ${context.configuredTimeoutMs / 1000} s timeout`;
    return new ApiError("timeout", endpoint, `${endpoint}: no complete answer within ${limit}`, {
      cause: error,
    });
  }
  return context.stage === "connect"
    ? new ApiError("network", endpoint, `${endpoint}: network error: ${errorMessage(error)}`, {
      cause: error,
    })
    : new ApiError(
      "body",
      endpoint,
      `${endpoint}: the response body was cut short: ${errorMessage(error)}`,
      { cause: error },
    );
}

/**
 * The error for a 3xx answer: redirects are never followed, so the key only ever goes to the base
 * URL's host; the message names where the redirect pointed.
 */
export function redirectError(
  endpoint: string,
  status: number,
  location: string | null,
  requestUrl: URL,
): ApiError {
  let target = "no Location header";
  if (location !== null) {
    try {
      target = `to host "${new URL(location, requestUrl).host}"`;
    } catch {
      target = `to an unreadable Location`;
    }
  }
  return new ApiError(
    "redirect",
    endpoint,
    `${endpoint}: the API answered ${status} redirecting ${target}; redirects are not followed, ` +
      `so the API key is only ever sent to ${requestUrl.host} (check --base-url)`,
    { status },
  );
}

/** Whitespace runs folded and the text cut to about 200 characters (redact before, never after). */
export function snippet(text: string): string {
  const flat = text.slice(0, 4000).replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}

/** The most JSON values an error body may hold for its `message` to be read. */
const ERROR_BODY_VALUES = 1000;

/**
 * The API's `message` from an error body, or a short snippet of whatever it sent. `redact` is
 * applied before the snippet is cut, so no cut can leave part of the key.
 */
export function errorBodyMessage(text: string, redact: (text: string) => string): string {
  try {
    const body = parseJsonBounded(text, ERROR_BODY_VALUES) as { message?: unknown } | null;
    if (typeof body?.message === "string") return body.message;
  } catch {
    // Not JSON (an HTML error page from a proxy, say), or too big to read: show its start.
  }
  return text.trim() === "" ? "(empty body)" : snippet(redact(text));
}
