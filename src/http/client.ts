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

/** A response body read whole, as text. */
interface BodyText {
  readonly text: string;
  /** Its size in bytes. */
  readonly bytes: number;
}

/**
 * Reads a body as UTF-8 text, refusing it unread when its declared length passes `limit` bytes, or
 * as soon as it does while streaming.
 */
async function readCapped(
  response: Response,
  limit: number,
  endpoint: string,
): Promise<BodyText> {
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
  if (response.body === null) return { text: "", bytes: 0 };
  const encoding = response.headers.get("content-encoding");
  if (declared <= limit && (encoding === null || encoding.trim().toLowerCase() === "identity")) {
    // A declared length within the cap, of the body as it is (fetch never reads past
    // Content-Length; a compressed body's length says nothing of what it inflates to, so it
    // streams below): the runtime reads and decodes it in one piece, with no chunk list and no
    // copy joining the chunks, and no bytes are left alive while the text is parsed (RSS at 1M
    // outages: 690 → 613 MB, docs/benchmarks.md).
    return { text: await response.text(), bytes: declared };
  }
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
  if (chunks.length === 1) return { text: new TextDecoder().decode(chunks[0]), bytes: size };
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { text: new TextDecoder().decode(bytes), bytes: size };
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
    // `AbortSignal.timeout` rather than `setTimeout` + `AbortController`: the first use of the
    // global `setTimeout` makes Deno load its timers module, 2–7 ms before the first request goes
    // out (docs/benchmarks.md). Its timer is not cancelled; it cannot keep the process alive, and
    // firing after the attempt has ended aborts nothing that is still in use.
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = runSignal === undefined ? timeout : AbortSignal.any([runSignal, timeout]);
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
      if (timeout.aborted) {
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
    let received: BodyText;
    try {
      received = await readCapped(response, options.maxResponseBytes, endpoint);
    } catch (error) {
      throw failure(error, "body");
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
