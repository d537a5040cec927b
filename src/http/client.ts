/**
 * The HTTP implementation of {@link OutageApi} on native `fetch`: the `x-api-key` header,
 * per-attempt timeouts covering headers and body, no redirects, a body-size cap, UTF-8 only, and
 * the retry policy. The outages body is read record by record into a validated feed
 * (`outage_feed.ts`); the site-info body is parsed with a bound on what it may build; the sync
 * validates it.
 * @module
 */

import type { EnhancedOutage } from "../api_shapes.ts";
import { ApiError, ValidationError } from "../errors.ts";
import { JsonLimitError, JsonSyntaxError, parseJsonBounded } from "../json_scan.ts";
import type { Logger } from "../logger.ts";
import { NotAnArrayError, type OutageFeed, parseOutageFeed } from "../outage_feed.ts";
import { isLoopback, type OutageApi, sitePath } from "../outage_api.ts";
import type { Pacer } from "../pacer.ts";
import type { Redactor } from "../redact.ts";
import { parseRetryAfter, type RetryClock, withRetries } from "../retry_policy.ts";
import type { Secret } from "../secret.ts";
import { noteRetry, noteStatus, traceAttempt, traceRequest } from "../tracing.ts";
import { type BodyProgress, declaredCharset, decodeUtf8, readCapped } from "./body.ts";
import { classifyFailure, errorBodyMessage, redirectError, snippet } from "./failure.ts";

/** How the HTTP implementation is built. */
export interface HttpApiOptions {
  /** The base URL, path ending in `/` (see `parseBaseUrl`). */
  baseUrl: URL;
  apiKey: Secret;
  /** Per-attempt timeout covering headers and body. */
  timeoutMs: number;
  /** Bodies larger than this are refused without being buffered whole. */
  maxResponseBytes: number;
  maxAttempts: number;
  /** The run's deadline, epoch milliseconds. */
  deadline: number;
  clock: RetryClock;
  logger: Logger;
  /** The program's version, for `User-Agent`. */
  version: string;
  fetch?: typeof fetch;
  /**
   * The connection pool every request goes through (see {@link createConnections}); default: the
   * runtime's shared one.
   */
  client?: Deno.HttpClient;
  /** Removes the key from server text before the client cuts it (default: nothing removed). */
  redact?: Redactor;
  /** Shared by every request of a fleet run: a 429 holds back them all (default: none). */
  pacer?: Pacer;
  /** Where the key came from, named after a 403 (e.g. `KRAKENFLEX_API_KEY (.env)`). */
  keySource?: string;
  /** Told how a body that takes more than a second is coming along (default: nobody). */
  onProgress?: (progress: BodyProgress) => void;
  /** Counts attempts and retries for the report and metrics. */
  stats?: RequestStats;
}

/** The most JSON values a site-info body may hold: a site of a million devices fits. */
export const SITE_INFO_MAX_VALUES = 4_000_000;

/**
 * The connections for a run against `baseUrl`. No connection is reused: on a reused keep-alive
 * connection that the server closes without answering, the runtime's HTTP client silently sends
 * the request again, so a request could reach the wire more often than `--max-attempts` says.
 * A loopback base URL is reached directly, never through `HTTP_PROXY`/`HTTPS_PROXY`: the key must
 * not go to a proxy (in clear text, for plain http), and a proxy's loopback is not this machine.
 * Another base URL may go through the proxy the environment names (`HTTPS_PROXY` tunnels https).
 */
export function createConnections(baseUrl: URL): Deno.HttpClient {
  if (!isLoopback(baseUrl)) return Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const host = baseUrl.hostname.replace(/^\[|\]$/g, "");
  if (Deno.permissions.querySync({ name: "env", variable: "NO_PROXY" }).state !== "granted") {
    // Without leave to set NO_PROXY, the host itself is named as the "proxy": every connection
    // goes to it directly, at the cost of absolute-form request lines (`GET http://…/path`).
    const port = Number(baseUrl.port || (baseUrl.protocol === "https:" ? 443 : 80));
    return Deno.createHttpClient({
      poolMaxIdlePerHost: 0,
      proxy: { transport: "tcp", hostname: host, port },
    });
  }
  // The runtime reads the proxy variables when a client is made, and a host in NO_PROXY is
  // reached directly with origin-form request lines (`GET /v1/outages`), which servers that
  // route on the path alone need. NO_PROXY is set only while the client is made.
  const before = Deno.env.get("NO_PROXY");
  Deno.env.set("NO_PROXY", host);
  try {
    return Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  } finally {
    if (before === undefined) Deno.env.delete("NO_PROXY");
    else Deno.env.set("NO_PROXY", before);
  }
}

/** Request counters kept across a run. */
export interface RequestStats {
  attempts: number;
  retries: number;
}

/** One HTTP request (not the platform's `Request`), as every attempt of it is made. */
interface HttpRequest<T> {
  readonly method: "GET" | "POST";
  /** The path under the base URL, e.g. `site-info/norwich-pear-tree`. */
  readonly path: string;
  readonly body?: string;
  /** The run's signal: SIGINT/SIGTERM. */
  readonly signal?: AbortSignal;
  /** Reads a success body's text; throws {@link JsonSyntaxError} when it is not JSON. */
  readonly read: (text: string) => T;
}

/** What every request of one {@link createHttpApi} shares: its options, with defaults filled in. */
interface Http {
  readonly options: HttpApiOptions;
  readonly fetch: typeof fetch;
  readonly stats: RequestStats;
  readonly redact: Redactor;
}

/** One attempt at a request, once its preflight has passed. */
interface Attempt {
  /** The request as messages name it, e.g. `GET /outages`. */
  readonly endpoint: string;
  readonly url: URL;
  /** The time this attempt may take: the timeout, or less near the deadline. */
  readonly timeoutMs: number;
}

/** A response whose body was read whole (under the cap). */
interface Answer {
  readonly response: Response;
  readonly bytes: Uint8Array;
}

/** The HTTP implementation of {@link OutageApi}. */
export function createHttpApi(options: HttpApiOptions): OutageApi {
  const http: Http = {
    options,
    fetch: options.fetch ?? fetch,
    stats: options.stats ?? { attempts: 0, retries: 0 },
    redact: options.redact ?? ((text: string) => text),
  };
  return {
    getOutages: (signal): Promise<OutageFeed> =>
      perform(http, { method: "GET", path: "outages", signal, read: parseOutageFeed }),
    getSiteInfo: (siteId, signal) =>
      perform(http, {
        method: "GET",
        path: sitePath("site-info", siteId),
        signal,
        read: (text) => parseJsonBounded(text, SITE_INFO_MAX_VALUES),
      }),
    postSiteOutages: async (siteId, payload: readonly EnhancedOutage[], signal) => {
      await perform(http, {
        method: "POST",
        path: sitePath("site-outages", siteId),
        body: JSON.stringify(payload),
        signal,
        read: () => undefined,
      });
    },
  };
}

/** Makes a request (its span, with tracing on, around its attempts). */
function perform<T>(http: Http, request: HttpRequest<T>): Promise<T> {
  return traceRequest(request.method, request.path, () => tries(http, request));
}

/** The attempts of one request, as often as the retry policy allows, logging each retry. */
function tries<T>(http: Http, request: HttpRequest<T>): Promise<T> {
  const { options, stats } = http;
  // Once a 429 has slowed the run, each attempt waits for room on the wire (Pacer.onWire).
  const paced = options.pacer;
  const once = (n: number) =>
    paced?.onWire(() => attempt(http, request, n)) ?? attempt(http, request, n);
  return withRetries((n) => traceAttempt(n, () => once(n)), {
    endpoint: `${request.method} /${request.path}`,
    maxAttempts: options.maxAttempts,
    deadline: options.deadline,
    clock: options.clock,
    signal: request.signal,
    onRetry: (info) => {
      stats.retries++;
      noteRetry(info.attempt, info.delayMs, info.error.message);
      options.logger.warn("retrying", {
        endpoint: info.endpoint,
        attempt: info.attempt,
        reason: info.error.message,
        waitMs: info.delayMs,
        retryAfter: info.serverDelay || undefined,
      });
    },
  });
}

/**
 * One attempt at a request: checked before it goes out (origin, the pacer, the deadline), sent
 * with its body read under the cap, and the answer interpreted. Throws an {@link ApiError} that
 * the retry policy classifies, or a {@link ValidationError}.
 */
async function attempt<T>(http: Http, request: HttpRequest<T>, attemptNumber: number): Promise<T> {
  const prepared = await preflight(http, request);
  const answer = await send(http, request, prepared, attemptNumber);
  return interpret(http, request, prepared.endpoint, answer);
}

/**
 * Checks that the request may go out: its URL stays on the base URL's origin, the pacer lets it
 * (after a 429), and the run's deadline leaves it time.
 */
async function preflight(http: Http, request: HttpRequest<unknown>): Promise<Attempt> {
  const { options } = http;
  const endpoint = `${request.method} /${request.path}`;
  const url = new URL(request.path, options.baseUrl);
  if (url.origin !== options.baseUrl.origin) {
    throw new ApiError(
      "redirect",
      endpoint,
      `${endpoint}: resolves outside the base URL's origin`,
    );
  }
  if (options.pacer !== undefined) await waitForPacer(http, options.pacer, request, endpoint);
  return { endpoint, url, timeoutMs: attemptBudget(http, endpoint) };
}

/** Waits for the pacer's leave; refuses at once a wait that would pass the run's deadline. */
async function waitForPacer(
  http: Http,
  pacer: Pacer,
  request: HttpRequest<unknown>,
  endpoint: string,
): Promise<void> {
  const { options } = http;
  const hold = pacer.holdMs();
  if (options.clock.now() + hold >= options.deadline) {
    throw new ApiError(
      "deadline",
      endpoint,
      `${endpoint}: not attempted: the API asked every request to wait ${
        (hold / 1000).toFixed(1)
      } s (429 Retry-After), past the run's deadline`,
    );
  }
  try {
    await pacer.beforeRequest(request.signal);
  } catch (error) {
    // The wait ends early only when the run's signal aborts it: an interruption.
    throw classifyFailure(error, {
      endpoint,
      stage: "connect",
      interrupted: true,
      timedOut: false,
      timeoutMs: 0,
      configuredTimeoutMs: options.timeoutMs,
    });
  }
}

/** The time this attempt may take: the timeout, or less near the deadline; 0 when none is left. */
function attemptBudget(http: Http, endpoint: string): number {
  const remaining = http.options.deadline - http.options.clock.now();
  if (remaining <= 0) {
    throw new ApiError(
      "deadline",
      endpoint,
      `${endpoint}: not attempted: the run's deadline has passed`,
    );
  }
  return Math.min(http.options.timeoutMs, remaining);
}

/**
 * Sends the request and reads its body under the cap, all within the attempt's timeout; a
 * redirect is refused unread. A failure on the way is described by the stage it happened in.
 */
async function send(
  http: Http,
  request: HttpRequest<unknown>,
  prepared: Attempt,
  attemptNumber: number,
): Promise<Answer> {
  const { options, stats } = http;
  const { logger, clock } = options;
  const { endpoint, url, timeoutMs } = prepared;
  // `AbortSignal.timeout` rather than `setTimeout` + `AbortController`: the first use of the
  // global `setTimeout` makes Deno load its timers module, 2–7 ms before the first request goes
  // out (docs/benchmarks.md). Its timer is not cancelled; it cannot keep the process alive, and
  // firing after the attempt has ended aborts nothing that is still in use.
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = request.signal === undefined
    ? timeout
    : AbortSignal.any([request.signal, timeout]);
  const fail = (error: unknown, stage: "connect" | "body") =>
    classifyFailure(error, {
      endpoint,
      stage,
      interrupted: request.signal?.aborted ?? false,
      timedOut: timeout.aborted,
      timeoutMs,
      configuredTimeoutMs: options.timeoutMs,
      url,
    });
  const started = clock.now();
  stats.attempts++;
  logger.debug("request", { endpoint, attempt: attemptNumber, bytes: request.body?.length });
  let response: Response;
  try {
    response = await http.fetch(url, {
      method: request.method,
      headers: headersFor(options, request),
      body: request.body,
      redirect: "manual",
      signal,
      ...(options.client === undefined ? {} : { client: options.client }),
    });
  } catch (error) {
    throw fail(error, "connect");
  }
  const { status } = response;
  noteStatus(status);
  if (status >= 300 && status < 400) {
    await response.body?.cancel();
    throw redirectError(endpoint, status, response.headers.get("location"), url, http.redact);
  }
  let bytes: Uint8Array;
  try {
    const { maxResponseBytes, onProgress } = options;
    bytes = await readCapped(response, maxResponseBytes, endpoint, onProgress, clock.now);
  } catch (error) {
    throw fail(error, "body");
  }
  logger.debug("response", { endpoint, status, bytes: bytes.length, ms: clock.now() - started });
  return { response, bytes };
}

/** The request's headers: the key, what it accepts, who asks, and the body's type when it has one. */
function headersFor(
  options: HttpApiOptions,
  request: HttpRequest<unknown>,
): Record<string, string> {
  const headers: Record<string, string> = {
    "x-api-key": options.apiKey.reveal(),
    "accept": "application/json",
    "user-agent": `outage-sync/${options.version}`,
  };
  if (request.body !== undefined) headers["content-type"] = "application/json";
  return headers;
}

/**
 * What an answer means: the pacer told of a 429 or a success; a status other than 2xx (or than
 * 200 for a GET) is an error; a GET's body is decoded as UTF-8 and read.
 */
function interpret<T>(http: Http, request: HttpRequest<T>, endpoint: string, answer: Answer): T {
  const { options, redact } = http;
  const { response, bytes } = answer;
  const { status } = response;
  if (status === 429) {
    const asked = parseRetryAfter(response.headers.get("retry-after"), options.clock.now());
    options.pacer?.rateLimited(asked ?? 1000);
  } else if (status < 300) {
    options.pacer?.succeeded();
  }
  if (status < 200 || status >= 300) {
    throw new ApiError(
      "http",
      endpoint,
      `${endpoint}: the API answered ${status}: ${
        errorBodyMessage(new TextDecoder().decode(bytes), redact)
      }${whatToCheck(options.keySource, status, request.path)}`,
      { status, retryAfter: response.headers.get("retry-after") ?? undefined },
    );
  }
  if (request.method === "POST") return undefined as T; // Success bodies ({} or empty) say nothing.
  if (status !== 200) {
    throw new ApiError(
      "http",
      endpoint,
      `${endpoint}: the API answered ${status}; only 200 is a success for a GET, so the body ` +
        "was not used",
      { status },
    );
  }
  const charset = declaredCharset(response.headers.get("content-type"), redact);
  const text = decodeUtf8(bytes, charset, endpoint);
  return readSuccess(http, request, endpoint, text, status);
}

/** What an operator should check after a 403 (the key, from `keySource`) or a site's 404. */
function whatToCheck(keySource: string | undefined, status: number, path: string): string {
  if (status === 403) {
    return ` (check the API key${
      keySource === undefined ? "" : `, from ${keySource}`
    }: wrong, revoked, or without access)`;
  }
  if (status === 404 && path.startsWith("site-")) {
    return " (check the site id: --site, KRAKENFLEX_SITE or the sites file)";
  }
  return "";
}

/**
 * Reads a success body's text with the request's reader: text that is not JSON is an
 * {@link ApiError} of kind `body`; JSON of the wrong shape or over its bounds, a
 * {@link ValidationError}.
 */
function readSuccess<T>(
  http: Http,
  request: HttpRequest<T>,
  endpoint: string,
  text: string,
  status: number,
): T {
  try {
    return request.read(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      throw new ApiError(
        "body",
        endpoint,
        `${endpoint}: the response is not JSON (${error.message}): ${
          JSON.stringify(snippet(http.redact(text)))
        }`,
        { status, cause: error },
      );
    }
    if (error instanceof NotAnArrayError || error instanceof JsonLimitError) {
      throw new ValidationError(`${endpoint}: ${error.message}`);
    }
    throw error;
  }
}
