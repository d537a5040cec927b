/**
 * The seam between the sync logic and the network: the {@link OutageApi} interface, and its HTTP
 * implementation on native `fetch` with per-attempt timeouts, no redirects, a body-size cap and
 * the retry policy. Bodies are returned parsed but unvalidated; the caller validates them.
 * @module
 */

import { ApiError, errorMessage } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { type RetryClock, withRetries } from "./retry_policy.ts";
import type { Secret } from "./secret.ts";
import type { EnhancedOutage } from "./types.ts";

/** The three operations of the KrakenFlex API that outage-sync uses. */
export interface OutageApi {
  /** `GET /outages`: the parsed JSON body. */
  getOutages(signal?: AbortSignal): Promise<unknown>;
  /** `GET /site-info/{siteId}`: the parsed JSON body. */
  getSiteInfo(siteId: string, signal?: AbortSignal): Promise<unknown>;
  /** `POST /site-outages/{siteId}`: resolves when the API accepted the payload. */
  postSiteOutages(
    siteId: string,
    payload: readonly EnhancedOutage[],
    signal?: AbortSignal,
  ): Promise<void>;
}

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

/** The path of a site's resource: the id URL-encoded as one path segment. */
export function sitePath(prefix: "site-info" | "site-outages", siteId: string): string {
  return `${prefix}/${encodeURIComponent(siteId)}`;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}

/** The API's `message` from an error body, or a short snippet of whatever it sent. */
function errorBodyMessage(text: string): string {
  try {
    const body = JSON.parse(text);
    if (typeof body?.message === "string") return body.message;
  } catch {
    // Not JSON: an HTML error page from a proxy, say. Show its start.
  }
  return text.trim() === "" ? "(empty body)" : snippet(text);
}

/** Reads a body as bytes, refusing it as soon as it passes `limit` bytes. */
async function readCapped(
  response: Response,
  limit: number,
  endpoint: string,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  const tooLarge = () =>
    new ApiError(
      "too-large",
      endpoint,
      `${endpoint}: the response body is larger than the ${limit} byte cap; it was not read ` +
        "(raise --max-response-mb if the API's data has really grown that large)",
      { status: response.status },
    );
  if (declared > limit) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** The HTTP implementation of {@link OutageApi}. */
export function createHttpApi(options: HttpApiOptions): OutageApi {
  const doFetch = options.fetch ?? fetch;
  const { logger, clock } = options;
  const origin = options.baseUrl.origin;
  const stats = options.stats ?? { attempts: 0, retries: 0 };

  async function attempt(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    attemptNumber: number,
    runSignal: AbortSignal | undefined,
  ): Promise<unknown> {
    const endpoint = `${method} /${path}`;
    const url = new URL(path, options.baseUrl);
    if (url.origin !== origin) {
      throw new ApiError(
        "redirect",
        endpoint,
        `${endpoint}: resolves outside the base URL's origin`,
      );
    }
    const remaining = options.deadline - clock.now();
    if (remaining <= 0) {
      throw new ApiError(
        "deadline",
        endpoint,
        `${endpoint}: not attempted: the run's deadline has passed`,
      );
    }
    const timeoutMs = Math.min(options.timeoutMs, remaining);
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new DOMException("per-attempt timeout", "TimeoutError")),
      timeoutMs,
    );
    const signal = runSignal === undefined
      ? timeout.signal
      : AbortSignal.any([runSignal, timeout.signal]);
    const started = clock.now();
    stats.attempts++;
    logger.debug("request", { endpoint, attempt: attemptNumber, bytes: body?.length });
    const headers: Record<string, string> = {
      "x-api-key": options.apiKey.reveal(),
      "accept": "application/json",
      "user-agent": `outage-sync/${options.version}`,
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    const failure = (error: unknown, stage: string): ApiError => {
      if (error instanceof ApiError) return error;
      if (runSignal?.aborted) {
        return new ApiError("aborted", endpoint, `${endpoint}: interrupted`, { cause: error });
      }
      if (timeout.signal.aborted) {
        const limit = timeoutMs < options.timeoutMs
          ? `the ${(timeoutMs / 1000).toFixed(1)} s left before the run's deadline`
          : `the ${options.timeoutMs / 1000} s timeout`;
        return new ApiError(
          "timeout",
          endpoint,
          `${endpoint}: no complete answer within ${limit}`,
          {
            cause: error,
          },
        );
      }
      return stage === "connect"
        ? new ApiError("network", endpoint, `${endpoint}: network error: ${errorMessage(error)}`, {
          cause: error,
        })
        : new ApiError(
          "body",
          endpoint,
          `${endpoint}: the response body was cut short: ${errorMessage(error)}`,
          {
            cause: error,
          },
        );
    };
    try {
      let response: Response;
      try {
        response = await doFetch(url, { method, headers, body, redirect: "manual", signal });
      } catch (error) {
        throw failure(error, "connect");
      }
      const { status } = response;
      if (status >= 300 && status < 400) {
        await response.body?.cancel();
        const location = response.headers.get("location");
        let target = "no Location header";
        if (location !== null) {
          try {
            target = `to host "${new URL(location, url).host}"`;
          } catch {
            target = `to an unreadable Location`;
          }
        }
        throw new ApiError(
          "redirect",
          endpoint,
          `${endpoint}: the API answered ${status} redirecting ${target}; redirects are not followed, ` +
            `so the API key is only ever sent to ${options.baseUrl.host} (check --base-url)`,
          { status },
        );
      }
      let bytes: Uint8Array;
      try {
        bytes = await readCapped(response, options.maxResponseBytes, endpoint);
      } catch (error) {
        throw failure(error, "body");
      }
      const text = new TextDecoder().decode(bytes);
      logger.debug("response", {
        endpoint,
        status,
        bytes: bytes.byteLength,
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
      if (method === "POST") return undefined; // Success bodies ({} or empty) carry nothing.
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
    } finally {
      clearTimeout(timer);
    }
  }

  function request(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    signal?: AbortSignal,
  ) {
    return withRetries(
      `${method} /${path}`,
      (n) => attempt(method, path, body, n, signal),
      {
        maxAttempts: options.maxAttempts,
        deadline: options.deadline,
        clock,
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
      },
      signal,
    );
  }

  return {
    getOutages: (signal) => request("GET", "outages", undefined, signal),
    getSiteInfo: (siteId, signal) =>
      request("GET", sitePath("site-info", siteId), undefined, signal),
    postSiteOutages: async (siteId, payload, signal) => {
      await request("POST", sitePath("site-outages", siteId), JSON.stringify(payload), signal);
    },
  };
}
