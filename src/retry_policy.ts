/**
 * The retry policy (docs/spec.md §7): which failures are retried, exponential backoff with full jitter,
 * `Retry-After`, and the run's deadline. Pure: the clock, the sleep and the randomness are passed in.
 * @module
 */

import { ApiError, errorMessage } from "./errors.ts";

/** Statuses that docs/spec.md §7 retries; every other 4xx is final. */
export const RETRIED_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Whether another attempt could succeed where this one failed (docs/spec.md §7). */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  switch (error.kind) {
    case "network":
    case "timeout":
    case "body":
      return true;
    case "http":
      return error.status !== undefined && RETRIED_STATUSES.has(error.status);
    default:
      return false;
  }
}

/** First backoff step, in milliseconds. */
export const BASE_DELAY_MS = 250;
/** Longest computed backoff, in milliseconds. */
export const MAX_DELAY_MS = 8000;
/** Shortest wait between two attempts, whatever the jitter or the server says. */
export const MIN_DELAY_MS = 50;

/** What the policy needs from the world, injected so tests need no real waiting. */
export interface RetryClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A number in [0, 1). */
  random(): number;
}

/** The backoff's shape: the first step and the cap, in milliseconds. */
export interface BackoffOptions {
  /** First backoff step (default {@link BASE_DELAY_MS}). */
  baseDelayMs?: number;
  /** Longest computed backoff (default {@link MAX_DELAY_MS}). */
  maxDelayMs?: number;
}

/** The policy's settings for one request. */
export interface RetryOptions extends BackoffOptions {
  /** The request, as `METHOD /path`, for messages. */
  endpoint: string;
  /** At most this many attempts in all (at least 1). */
  maxAttempts: number;
  /** The run's deadline, in epoch milliseconds: no wait may end after it. */
  deadline: number;
  clock: RetryClock;
  /** Aborted on SIGINT/SIGTERM: no further attempt, and a wait is cut short. */
  signal?: AbortSignal;
  /** Called before each wait, for the warn log line. */
  onRetry?(info: RetryInfo): void;
}

/** What is known when a retry is decided. */
export interface RetryInfo {
  readonly endpoint: string;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly error: ApiError;
  /** How long the policy waits before the next attempt. */
  readonly delayMs: number;
  /** Whether the wait is the server's (`Retry-After`) rather than computed. */
  readonly serverDelay: boolean;
}

/**
 * The computed wait before attempt `attempt + 1`: full jitter over `min(cap, base × 2^(attempt−1))`,
 * with `random` a number in [0, 1).
 */
export function backoffDelay(
  attempt: number,
  random: number,
  options: BackoffOptions = {},
): number {
  const { baseDelayMs = BASE_DELAY_MS, maxDelayMs = MAX_DELAY_MS } = options;
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random * ceiling);
}

const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
/** The three HTTP-date shapes of RFC 9110 §5.6.7; anything else is not a date. */
const IMF_FIXDATE = new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT$`);
const RFC850_DATE = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT$`,
);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4}$`);

/**
 * A `Retry-After` value in milliseconds from `now`: delay-seconds or an HTTP date (a date in the
 * past means no wait). `undefined` when absent or unreadable, so the computed backoff applies.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  let date: number;
  if (IMF_FIXDATE.test(text) || RFC850_DATE.test(text)) date = Date.parse(text);
  else if (ASCTIME_DATE.test(text)) date = Date.parse(`${text} GMT`); // asctime is GMT, never local
  else return undefined;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * `error` as the outcome of `attempts` attempts, `note` added to its message: a new error, since
 * the one thrown may be shared (errors are never changed once made).
 */
function afterAttempts(error: ApiError, attempts: number, note: string): ApiError {
  return new ApiError(error.kind, error.endpoint, `${error.message}${note}`, {
    status: error.status,
    retryAfter: error.retryAfter,
    cause: error.cause,
    attemptLimit: error.attemptLimit,
    attempts,
  });
}

/**
 * Why no further attempt is made after attempt `n` failed with `error`, as the note its message
 * ends with ("" when none is added), or `undefined` when another attempt may be made.
 */
function finalNote(error: ApiError, n: number, options: RetryOptions): string | undefined {
  const plural = attemptsWord(n);
  if (!isRetryable(error) || options.signal?.aborted) return n > 1 ? ` (after ${n} ${plural})` : "";
  if (error.attemptLimit !== undefined && n >= error.attemptLimit && n < options.maxAttempts) {
    return n === 1
      ? " (not retried: it cannot succeed on another attempt)"
      : ` (gave up after ${n} ${plural}: it is unlikely to succeed on another)`;
  }
  if (n >= options.maxAttempts) {
    return n === 1 ? " (not retried: --max-attempts is 1)" : ` (gave up after ${n} ${plural})`;
  }
  return undefined;
}

/**
 * Runs `attempt` until it succeeds, fails with an error that is not retried, runs out of attempts,
 * or would have to wait past the deadline. The error thrown at the end is a copy of the last
 * attempt's {@link ApiError}, its message extended with the attempts made (and the deadline when
 * that ended it). An error of another request (the shared `GET /outages` failure that aborted this
 * one, say) is passed on as it is.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { endpoint } = options;
  for (let n = 1;; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof ApiError) || error.endpoint !== endpoint) throw error;
      const note = finalNote(error, n, options);
      if (note !== undefined) throw note === "" ? error : afterAttempts(error, n, note);
      const { delayMs, serverDelay } = retryDelay(error, n, options);
      if (delayMs > options.deadline - options.clock.now()) {
        throw afterAttempts(error, n, pastDeadline(n, delayMs, serverDelay));
      }
      options.onRetry?.({ endpoint, attempt: n, error, delayMs, serverDelay });
      await sleepBeforeRetry(delayMs, options);
    }
  }
}

/** `attempt` or `attempts`, after `n` of them. */
function attemptsWord(n: number): string {
  return n === 1 ? "attempt" : "attempts";
}

/** How long to wait after attempt `n` failed with `error`, and whether the server asked for it. */
function retryDelay(
  error: ApiError,
  n: number,
  options: RetryOptions,
): { delayMs: number; serverDelay: boolean } {
  const { clock } = options;
  // `Retry-After: 0` (or a date already past) says nothing about how long to wait: the computed
  // backoff applies, so a server answering it on every attempt cannot cause a retry storm.
  const asked = parseRetryAfter(error.retryAfter, clock.now());
  const serverWait = asked === undefined || asked === 0 ? undefined : asked;
  const delayMs = Math.max(MIN_DELAY_MS, serverWait ?? backoffDelay(n, clock.random(), options));
  return { delayMs, serverDelay: serverWait !== undefined };
}

/** The end of the message when waiting `delayMs` after attempt `n` would pass the deadline. */
function pastDeadline(n: number, delayMs: number, serverDelay: boolean): string {
  const wait = (delayMs / 1000).toFixed(1);
  const asked = serverDelay ? " as Retry-After asks" : "";
  return ` (after ${n} ${
    attemptsWord(n)
  }; not retried: waiting ${wait} s${asked} would pass the run's deadline)`;
}

/** Waits `delayMs`; an abort during the wait becomes an `interrupted` {@link ApiError}. */
async function sleepBeforeRetry(delayMs: number, options: RetryOptions): Promise<void> {
  const { endpoint } = options;
  try {
    await options.clock.sleep(delayMs, options.signal);
  } catch (sleepError) {
    throw new ApiError(
      "interrupted",
      endpoint,
      `${endpoint}: interrupted: ${errorMessage(sleepError)}`,
      {
        cause: sleepError,
      },
    );
  }
}

/** Real time: `Date.now`, a cancellable `setTimeout` and `Math.random`. */
export const realClock: RetryClock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        // Stryker disable next-line StringLiteral: a listener left on a settled sleep does nothing.
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: a signal aborts once at most.
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};
