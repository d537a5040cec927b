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
 * A loopback base URL is reached directly, never through `HTTP_PROXY`: the key must not go to a
 * proxy in clear text. An `https` base URL may go through `HTTPS_PROXY` (a tunnel).
 */
export function createConnections(baseUrl: URL): Deno.HttpClient {
  // Only plain http: the tcp transport carries no TLS, so https (loopback or not) keeps the
  // runtime's own connections, through HTTPS_PROXY as a tunnel if one is set.
  const loopback = isLoopback(baseUrl) && baseUrl.protocol === "http:";
  const port = Number(baseUrl.port || (baseUrl.protocol === "https:" ? 443 : 80));
  return Deno.createHttpClient({
    poolMaxIdlePerHost: 0,
    ...(loopback
      ? { proxy: { transport: "tcp", hostname: baseUrl.hostname.replace(/^\[|\]$/g, ""), port } }
      : {}),
  });
}

/** Request counters kept across a run. */
export interface RequestStats {
  attempts: number;
  retries: number;
}

/** One request, as every attempt of it is made. */
interface Request<T> {
  readonly method: "GET" | "POST";
  /** The path under the base URL, e.g. `site-info/norwich-pear-tree`. */
  readonly path: string;
  readonly body?: string;
  /** The run's signal: SIGINT/SIGTERM. */
  readonly signal?: AbortSignal;
  /** Reads a success body's text; throws {@link JsonSyntaxError} when it is not JSON. */
  readonly read: (text: string) => T;
}

/** The HTTP implementation of {@link OutageApi}. */
export function createHttpApi(options: HttpApiOptions): OutageApi {
  const doFetch = options.fetch ?? fetch;
  const { logger, clock } = options;
  const stats = options.stats ?? { attempts: 0, retries: 0 };
  const redact = options.redact ?? ((text: string) => text);

  /** What an operator should check after a 403 or a site's 404. */
  function whatToCheck(status: number, path: string): string {
    if (status === 403) {
      return ` (check the API key${
        options.keySource === undefined ? "" : `, from ${options.keySource}`
      }: wrong, revoked, or without access)`;
    }
    if (status === 404 && path.startsWith("site-")) {
      return " (check the site id: --site, KRAKENFLEX_SITE or the sites file)";
    }
    return "";
  }

  function headersFor(request: Request<unknown>): Record<string, string> {
    const headers: Record<string, string> = {
      "x-api-key": options.apiKey.reveal(),
      "accept": "application/json",
      "user-agent": `outage-sync/${options.version}`,
    };
    if (request.body !== undefined) headers["content-type"] = "application/json";
    return headers;
  }

  /** The time this attempt may take: the timeout, or less near the deadline; 0 when none is left. */
  function attemptBudget(endpoint: string): number {
    const remaining = options.deadline - clock.now();
    if (remaining <= 0) {
      throw new ApiError(
        "deadline",
        endpoint,
        `${endpoint}: not attempted: the run's deadline has passed`,
      );
    }
    return Math.min(options.timeoutMs, remaining);
  }

  async function attempt<T>(request: Request<T>, attemptNumber: number): Promise<T> {
    const endpoint = `${request.method} /${request.path}`;
    const url = new URL(request.path, options.baseUrl);
    if (url.origin !== options.baseUrl.origin) {
      throw new ApiError(
        "redirect",
        endpoint,
        `${endpoint}: resolves outside the base URL's origin`,
      );
    }
    if (options.pacer !== undefined) {
      const hold = options.pacer.holdMs();
      if (clock.now() + hold >= options.deadline) {
        throw new ApiError(
          "deadline",
          endpoint,
          `${endpoint}: not attempted: the API asked every request to wait ${
            (hold / 1000).toFixed(1)
          } s (429 Retry-After), past the run's deadline`,
        );
      }
      try {
        await options.pacer.beforeRequest(request.signal);
      } catch (error) {
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
    const timeoutMs = attemptBudget(endpoint);
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
      response = await doFetch(url, {
        method: request.method,
        headers: headersFor(request),
        body: request.body,
        redirect: "manual",
        signal,
        ...(options.client === undefined ? {} : { client: options.client }),
      });
    } catch (error) {
      throw fail(error, "connect");
    }
    const { status } = response;
    if (status >= 300 && status < 400) {
      await response.body?.cancel();
      throw redirectError(endpoint, status, response.headers.get("location"), url);
    }
    let bytes: Uint8Array;
    try {
      bytes = await readCapped(
        response,
        options.maxResponseBytes,
        endpoint,
        options.onProgress,
        clock.now,
      );
    } catch (error) {
      throw fail(error, "body");
    }
    logger.debug("response", { endpoint, status, bytes: bytes.length, ms: clock.now() - started });
    if (status === 429) {
      const asked = parseRetryAfter(response.headers.get("retry-after"), clock.now());
      options.pacer?.rateLimited(asked ?? 1000);
    } else if (status < 300) {
      options.pacer?.succeeded();
    }
    if (status < 200 || status >= 300) {
      throw new ApiError(
        "status",
        endpoint,
        `${endpoint}: the API answered ${status}: ${
          errorBodyMessage(new TextDecoder().decode(bytes), redact)
        }${whatToCheck(status, request.path)}`,
        { status, retryAfter: response.headers.get("retry-after") ?? undefined },
      );
    }
    if (request.method === "POST") return undefined as T; // Success bodies ({} or empty) say nothing.
    if (status !== 200) {
      throw new ApiError(
        "status",
        endpoint,
        `${endpoint}: the API answered ${status}; only 200 is a success for a GET, so the body ` +
          "was not used",
        { status },
      );
    }
    const text = decodeUtf8(bytes, declaredCharset(response.headers.get("content-type")), endpoint);
    try {
      return request.read(text);
    } catch (error) {
      if (error instanceof JsonSyntaxError) {
        throw new ApiError(
          "body",
          endpoint,
          `${endpoint}: the response is not JSON (${error.message}): ${
            JSON.stringify(snippet(redact(text)))
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

  function send<T>(request: Request<T>): Promise<T> {
    const paced = options.pacer;
    return withRetries((n) => paced?.onWire(() => attempt(request, n)) ?? attempt(request, n), {
      endpoint: `${request.method} /${request.path}`,
      maxAttempts: options.maxAttempts,
      deadline: options.deadline,
      clock,
      signal: request.signal,
      onRetry: (info) => {
        stats.retries++;
        logger.warn("retrying", {
          endpoint: info.endpoint,
          attempt: info.attempt,
          reason: info.error.message,
          waitMs: info.delayMs,
          retryAfter: info.serverDelay || undefined,
        });
      },
    });
  }

  return {
    getOutages: (signal): Promise<OutageFeed> =>
      send({ method: "GET", path: "outages", signal, read: parseOutageFeed }),
    getSiteInfo: (siteId, signal) =>
      send({
        method: "GET",
        path: sitePath("site-info", siteId),
        signal,
        read: (text) => parseJsonBounded(text, SITE_INFO_MAX_VALUES),
      }),
    postSiteOutages: async (siteId, payload: readonly EnhancedOutage[], signal) => {
      await send({
        method: "POST",
        path: sitePath("site-outages", siteId),
        body: JSON.stringify(payload),
        signal,
        read: () => undefined,
      });
    },
  };
}
