/**
 * The emulator's request handler: a function of a `Request` to a `Response` with no socket, so
 * tests can call it directly. It routes each request, keeps the request log, serves the
 * `/__mock/*` control endpoints and applies the checks in order: a script (`./scripts.ts`), the
 * latency (`./waits.ts`), the key, the gates (`./gates.ts`), then the endpoint
 * (`./endpoints.ts`).
 * @module
 */

import { type Dataset, defaultDataset } from "./dataset.ts";
import { createEndpoints, type Endpoint } from "./endpoints.ts";
import { createFailRateGate, createRateLimitGate } from "./gates.ts";
import { droppedResponse, jsonResponse, messageResponse } from "./responses.ts";
import { createScriptQueue, playScript, type Route, type ScriptedResponse } from "./scripts.ts";
import { createPause, defaultSleep } from "./waits.ts";

/** The path prefix of the public API; every endpoint is also served at the root. */
export const API_PREFIX = "/interview-tests-mock-api/v1";

/** What the log records of one API request; never the key. */
export interface RequestLogEntry {
  /** The request method. */
  method: string;
  /** The path and query as received (with the prefix, if any). */
  path: string;
  /** The status answered, or `null` when no response was completed (reset, hang, abort). */
  status: number | null;
  /** When the request arrived, by the emulator's clock, as an ISO 8601 string. */
  time: string;
  /** A POST's body: the parsed JSON, or the raw text when it is not JSON. */
  body?: unknown;
  /** Whether an `x-api-key` header was sent (its value is never recorded). */
  keyPresent: boolean;
  /** The injected fault, if any: `fail-rate`, `rate-limit` or `script:<kind>`. */
  fault?: string;
  /** Why the request was refused or ended as it did (e.g. the reason a POST got 400). */
  note?: string;
}

/** How to build the emulator. */
export interface MockApiOptions {
  /** The key every API request must carry in `x-api-key`. */
  readonly apiKey: string;
  /** What to serve (default: the embedded real captures). */
  readonly dataset?: Dataset;
  /** Seeds the fail-rate draws, so a run's faults can be replayed (default 1). */
  readonly seed?: number;
  /** The probability, 0–1, that an API request gets a 500 (default 0). */
  readonly failRate?: number;
  /** Milliseconds to wait before answering each API request (default 0). */
  readonly latencyMs?: number;
  /** Requests allowed per fixed clock minute before answering 429 (default: unlimited). */
  readonly rateLimitPerMinute?: number;
  /** The clock, in epoch milliseconds (default `Date.now`). */
  readonly now?: () => number;
  /** Waits `ms`, resolving early when `signal` aborts (default: a cancellable `setTimeout`). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The emulator, as a request handler with in-process controls for tests. */
export interface MockApi {
  /** Answers one request: API endpoints, `GET /__mock/requests` and `POST /__mock/reset`. */
  handle(request: Request): Promise<Response>;
  /** A copy of the request log, oldest first. */
  requests(): RequestLogEntry[];
  /** Clears the log, the scripts and the rate-limit window, and re-seeds the fault generator. */
  reset(): void;
  /** Queues scripted answers for `route`, after any already queued. */
  script(route: Route, responses: readonly ScriptedResponse[]): void;
  /** Ends pending delays and hangs, and drops every later request: the server calls it on close. */
  close(): void;
}

/** What a path names once the prefix is removed: an endpoint, a wrong method, or nothing. */
type Target =
  | Endpoint
  | { readonly allow: string; readonly route?: undefined }
  | { readonly route?: undefined; readonly allow?: undefined };

function resolveTarget(method: string, pathname: string): Target {
  let path = pathname;
  if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) {
    path = path.slice(API_PREFIX.length);
  }
  let siteId: string | undefined;
  let route: Route;
  if (path === "/outages") {
    route = "GET /outages";
  } else {
    const match = /^\/(site-info|site-outages)\/([^/]+)$/.exec(path);
    if (match === null) return {};
    try {
      siteId = decodeURIComponent(match[2]);
    } catch {
      return {};
    }
    route = match[1] === "site-info" ? "GET /site-info" : "POST /site-outages";
  }
  const expectedMethod = route.slice(0, route.indexOf(" "));
  if (method !== expectedMethod) return { allow: expectedMethod };
  return { route, siteId };
}

/** Builds the emulator; throws a `TypeError` or `RangeError` for an option out of range. */
export function createMockApi(options: MockApiOptions): MockApi {
  const { apiKey, seed = 1, failRate = 0, latencyMs = 0, now = Date.now, sleep = defaultSleep } =
    options;
  if (apiKey === "") throw new TypeError("Invalid API key: expected a non-empty string");
  const failRateGate = createFailRateGate(failRate, seed);
  if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw new RangeError(
      `Invalid latency: expected a number of milliseconds >= 0, got "${latencyMs}"`,
    );
  }
  const rateLimitGate = createRateLimitGate(options.rateLimitPerMinute, now);
  const endpoints = createEndpoints(options.dataset ?? defaultDataset());

  let log: RequestLogEntry[] = [];
  const scripts = createScriptQueue();
  const closing = new AbortController();
  const pause = createPause(closing.signal, sleep);

  function abandoned(entry: RequestLogEntry, what: string): Response {
    entry.status = null;
    entry.note = closing.signal.aborted
      ? `the emulator closed ${what}`
      : `the client went away ${what}`;
    return droppedResponse(new Uint8Array(0));
  }

  async function handleApi(request: Request, url: URL, entry: RequestLogEntry): Promise<Response> {
    if (closing.signal.aborted) return abandoned(entry, "before the request was handled");

    let body: unknown;
    let isJson = false;
    if (request.method === "POST") {
      let text: string;
      try {
        text = await request.text();
      } catch {
        return abandoned(entry, "while sending its body");
      }
      try {
        body = JSON.parse(text);
        isJson = true;
      } catch {
        body = text;
      }
      entry.body = body;
    }

    const target = resolveTarget(request.method, url.pathname);
    const scripted = target.route === undefined ? undefined : scripts.next(target.route);
    if (scripted !== undefined) {
      entry.fault = `script:${scripted.kind}`;
      if (scripted.kind === "hang") {
        await pause("hang", request);
        return abandoned(entry, "while the request hung");
      }
      if (!await pause(scripted.delayMs ?? 0, request)) {
        return abandoned(entry, "during the scripted delay");
      }
      if (scripted.kind !== "normal") {
        const played = playScript(scripted, () => endpoints.successBody(target as Endpoint));
        entry.status = played.status;
        return played.response;
      }
    }

    // Latency does not watch the client: reading request.signal makes Deno print a warning (see
    // createPause), which `mock-api --latency` users should not see. close() still cuts it short.
    if (!await pause(latencyMs)) {
      return abandoned(entry, "during the latency delay");
    }

    const key = request.headers.get("x-api-key");
    if (key !== apiKey) {
      entry.status = 403;
      entry.note = key === null ? "no x-api-key header" : "wrong x-api-key";
      return messageResponse(403);
    }
    const limited = rateLimitGate.refuse();
    if (limited !== undefined) {
      entry.status = 429;
      entry.fault = "rate-limit";
      entry.note = limited.note;
      return messageResponse(429, { "retry-after": String(limited.retryAfterSeconds) });
    }
    if (failRateGate.fails()) {
      entry.status = 500;
      entry.fault = "fail-rate";
      return messageResponse(500);
    }

    let response: Response;
    if (target.route !== undefined) {
      const contentType = request.headers.get("content-type");
      const answer = endpoints.answer(target, { contentType, body, isJson });
      if (answer.note !== undefined) entry.note = answer.note;
      response = answer.response;
    } else if (target.allow !== undefined) {
      entry.note = `${request.method} is not allowed here (allowed: ${target.allow})`;
      response = messageResponse(405, { allow: target.allow });
    } else {
      entry.note = "unknown path";
      response = messageResponse(404);
    }
    entry.status = response.status;
    return response;
  }

  const api: MockApi = {
    async handle(request: Request): Promise<Response> {
      const url = new URL(request.url);
      if (url.pathname.startsWith("/__mock/")) {
        if (url.pathname === "/__mock/requests") {
          if (request.method !== "GET") return messageResponse(405, { allow: "GET" });
          return jsonResponse(200, api.requests());
        }
        if (url.pathname === "/__mock/reset") {
          if (request.method !== "POST") return messageResponse(405, { allow: "POST" });
          api.reset();
          return jsonResponse(200, {});
        }
        return messageResponse(404);
      }
      const entry: RequestLogEntry = {
        method: request.method,
        path: url.pathname + url.search,
        status: null,
        time: new Date(now()).toISOString(),
        keyPresent: request.headers.has("x-api-key"),
      };
      log.push(entry);
      try {
        return await handleApi(request, url, entry);
      } catch (error) {
        // A bug in the emulator: answer like the API's own failures and say why in the log.
        entry.status = 500;
        entry.note = `emulator error: ${error instanceof Error ? error.message : String(error)}`;
        return messageResponse(500);
      }
    },
    requests(): RequestLogEntry[] {
      return log.map((entry) => ({ ...entry }));
    },
    reset(): void {
      log = [];
      scripts.reset();
      failRateGate.reset();
      rateLimitGate.reset();
    },
    script(route: Route, responses: readonly ScriptedResponse[]): void {
      scripts.add(route, responses);
    },
    close(): void {
      closing.abort();
    },
  };
  return api;
}
