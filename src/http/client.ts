/**
 * The HTTP implementation of {@link OutageApi} on native `fetch`: the `x-api-key` header,
 * per-attempt timeouts covering headers and body, no redirects, a body-size cap, and the retry
 * policy. Bodies are returned parsed but unvalidated; the sync validates them.
 * @module
 */

import type { EnhancedOutage } from "../api_shapes.ts";
import { ApiError, errorMessage } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { type OutageApi, sitePath } from "../outage_api.ts";
import { type RetryClock, withRetries } from "../retry_policy.ts";
import type { Secret } from "../secret.ts";
import { type BodyText, readCapped } from "./body.ts";
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
  /** Counts attempts and retries for the report and metrics. */
  stats?: RequestStats;
}

/** Request counters kept across a run. */
export interface RequestStats {
  attempts: number;
  retries: number;
}

/** One request, as every attempt of it is made. */
interface Request {
  readonly method: "GET" | "POST";
  /** The path under the base URL, e.g. `site-info/norwich-pear-tree`. */
  readonly path: string;
  readonly body?: string;
  /** The run's signal: SIGINT/SIGTERM. */
  readonly signal?: AbortSignal;
}

/** The HTTP implementation of {@link OutageApi}. */
export function createHttpApi(options: HttpApiOptions): OutageApi {
  const doFetch = options.fetch ?? fetch;
  const { logger, clock } = options;
  const stats = options.stats ?? { attempts: 0, retries: 0 };

  function headersFor(request: Request): Record<string, string> {
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

  async function attempt(request: Request, attemptNumber: number): Promise<unknown> {
    const endpoint = `${request.method} /${request.path}`;
    const url = new URL(request.path, options.baseUrl);
    if (url.origin !== options.baseUrl.origin) {
      throw new ApiError(
        "redirect",
        endpoint,
        `${endpoint}: resolves outside the base URL's origin`,
      );
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
      });
    } catch (error) {
      throw fail(error, "connect");
    }
    const { status } = response;
    if (status >= 300 && status < 400) {
      await response.body?.cancel();
      throw redirectError(endpoint, status, response.headers.get("location"), url);
    }
    let received: BodyText;
    try {
      received = await readCapped(response, options.maxResponseBytes, endpoint);
    } catch (error) {
      throw fail(error, "body");
    }
    const { text } = received;
    logger.debug("response", {
      endpoint,
      status,
      bytes: received.bytes,
      ms: clock.now() - started,
    });
    if (status < 200 || status >= 300) {
      throw new ApiError(
        "status",
        endpoint,
        `${endpoint}: the API answered ${status}: ${errorBodyMessage(text)}`,
        { status, retryAfter: response.headers.get("retry-after") ?? undefined },
      );
    }
    if (request.method === "POST") return undefined; // Success bodies ({} or empty) carry nothing.
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ApiError(
        "body",
        endpoint,
        `${endpoint}: the response is not JSON (${errorMessage(error)}): ${
          JSON.stringify(snippet(text.slice(0, 300)))
        }`,
        { status, cause: error },
      );
    }
  }

  function send(request: Request): Promise<unknown> {
    return withRetries((n) => attempt(request, n), {
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
    getOutages: (signal) => send({ method: "GET", path: "outages", signal }),
    getSiteInfo: (siteId, signal) =>
      send({ method: "GET", path: sitePath("site-info", siteId), signal }),
    postSiteOutages: async (siteId, payload: readonly EnhancedOutage[], signal) => {
      await send({
        method: "POST",
        path: sitePath("site-outages", siteId),
        body: JSON.stringify(payload),
        signal,
      });
    },
  };
}
