/**
 * What a failed attempt means, as pure functions of what was observed: a thrown `fetch` error
 * classified (interrupted, timed out, network, body cut short), a redirect described, an error
 * body's message extracted. Tested without a server.
 * @module
 */

import { ApiError, errorMessage } from "../errors.ts";
import { parseJsonBounded } from "../json_scan.ts";
import type { Redactor } from "../redact.ts";

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
  /** The URL requested, to name the host in network failures. */
  readonly url?: URL;
}

/** What a network failure was, in words, and how many attempts it deserves. */
export interface NetworkFailure {
  /** E.g. `connection refused by 127.0.0.1:45999`, `DNS lookup failed for api.example.net`. */
  readonly what: string;
  /** At most this many attempts: 1 when another can never succeed, 2 for DNS; none: no limit. */
  readonly attemptLimit?: number;
}

/** The messages of `error` and of its causes, innermost last. */
function messages(error: unknown): string {
  // Stryker disable next-line ArrayDeclaration: an extra first part matches none of the patterns.
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 8; depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(" <- ");
}

/**
 * What a `fetch` that threw before any answer ran into, from the runtime's messages (the detail is
 * in `error.cause`): a refused or reset connection, a DNS failure, a TLS failure, a port the
 * runtime refuses, a URL it cannot use.
 */
export function describeNetworkFailure(error: unknown, url: URL): NetworkFailure {
  const text = messages(error);
  const hostPort = `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
  const blocked = /Requests to port (\d+) are blocked/.exec(text);
  if (blocked !== null) {
    return { what: `requests to port ${blocked[1]} are blocked by the runtime`, attemptLimit: 1 };
  }
  if (/Invalid URL|invalid url|relative URL without a base/i.test(text)) {
    return { what: `the URL ${url.href} cannot be used`, attemptLimit: 1 };
  }
  if (
    /dns error|failed to lookup address|Name or service not known|No address associated/i.test(text)
  ) {
    const detail = /failed to lookup address information: ([^<]+)/.exec(text)?.[1]?.trim();
    return {
      what: `DNS lookup failed for ${url.hostname}${detail === undefined ? "" : ` (${detail})`}`,
      attemptLimit: 2,
    };
  }
  if (/certificate|UnknownIssuer|NotValidForName|CertExpired|BadSignature/i.test(text)) {
    const detail = /(invalid peer certificate[^<)]*|certificate[^<)]*)/i.exec(text)?.[1]?.trim();
    return {
      what: `TLS: the certificate of ${url.hostname} was rejected${
        detail === undefined ? "" : ` (${detail})`
      }`,
      attemptLimit: 1,
    };
  }
  if (/received corrupt message|tls|handshake|InvalidContentType|alert/i.test(text)) {
    const detail = /client error \(Connect\): ([^<]+)/.exec(text)?.[1]?.trim();
    return {
      what: `TLS handshake with ${hostPort} failed${detail === undefined ? "" : ` (${detail})`}`,
      attemptLimit: 1,
    };
  }
  if (/Connection refused/i.test(text)) return { what: `connection refused by ${hostPort}` };
  if (/Connection reset/i.test(text)) return { what: `connection reset by ${hostPort}` };
  if (/connection closed before message completed|IncompleteMessage/i.test(text)) {
    return { what: `connection closed by ${hostPort} before an answer arrived` };
  }
  if (/unreachable/i.test(text)) return { what: `${hostPort} is unreachable` };
  const inner = text.split(" <- ").at(-1) ?? text;
  return {
    what: `${inner.replace(/^error sending request for url \([^)]*\): /, "")} (${hostPort})`,
  };
}

/** The {@link ApiError} for anything an attempt threw (an `ApiError` is returned as it is). */
export function classifyFailure(error: unknown, context: FailureContext): ApiError {
  if (error instanceof ApiError) return error;
  const { endpoint } = context;
  if (context.interrupted) {
    return new ApiError("interrupted", endpoint, `${endpoint}: interrupted`, { cause: error });
  }
  if (context.timedOut) {
    const limit = context.timeoutMs < context.configuredTimeoutMs
      ? `the ${(context.timeoutMs / 1000).toFixed(1)} s left before the run's deadline`
      : `the ${context.configuredTimeoutMs / 1000} s timeout`;
    const what = context.stage === "connect"
      ? "no answer (status line and headers)"
      : "the body did not arrive whole";
    return new ApiError("timeout", endpoint, `${endpoint}: ${what} within ${limit}`, {
      cause: error,
    });
  }
  if (context.stage === "connect") {
    const failure = context.url === undefined
      ? { what: errorMessage(error) }
      : describeNetworkFailure(error, context.url);
    return new ApiError("network", endpoint, `${endpoint}: network error: ${failure.what}`, {
      cause: error,
      attemptLimit: failure.attemptLimit,
    });
  }
  return new ApiError(
    "body",
    endpoint,
    `${endpoint}: the response body was cut short: ${errorMessage(error)}`,
    { cause: error },
  );
}

/**
 * The host `location` names, as the server wrote it when it is there (in any case): the URL parser
 * lower-cases a host and decodes its escapes, and redaction must see the text as it was sent.
 * Throws when `location` is not a URL.
 */
function locationHost(location: string, requestUrl: URL): string {
  const host = new URL(location, requestUrl).host;
  return new RegExp(RegExp.escape(host), "i").exec(location)?.[0] ?? host;
}

/**
 * The error for a 3xx answer: redirects are never followed, so the key only ever goes to the base
 * URL's host; the message names where the redirect pointed. The Location is redacted before it is
 * parsed: the parser lower-cases a host and ends it at a `/`, `:` or `@`, which could leave a
 * key, or part of one, that no redaction recognises; a Location that holds the key is shown
 * redacted rather than parsed.
 */
export function redirectError(
  endpoint: string,
  status: number,
  location: string | null,
  requestUrl: URL,
  redact: Redactor = (text) => text,
): ApiError {
  let target = "no Location header";
  if (location !== null) {
    const shown = redact(location);
    if (shown !== location) {
      target = `to ${JSON.stringify(snippet(shown))}, a Location that holds the API key`;
    } else {
      try {
        target = `to host "${locationHost(location, requestUrl)}"`;
      } catch {
        target = `to an unreadable Location`;
      }
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
    // Stryker disable next-line OptionalChaining: `null.message` throws into the same catch.
    if (typeof body?.message === "string") return body.message;
  } catch {
    // Not JSON (an HTML error page from a proxy, say), or too big to read: show its start.
  }
  return text.trim() === "" ? "(empty body)" : snippet(redact(text));
}
