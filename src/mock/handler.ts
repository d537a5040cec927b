/**
 * The emulator's request handler: a function of a `Request` to a `Response` with no socket, so
 * tests can call it directly. It reproduces the API's three endpoints, checks POSTed payloads,
 * injects seeded faults, plays per-route scripts and keeps a request log.
 * @module
 */

import type { EnhancedOutage } from "../types.ts";
import { rfc3339Problem } from "../timestamp.ts";
import { type Dataset, defaultDataset } from "./dataset.ts";
import { createRandom, type Random } from "./random.ts";

/** The path prefix of the public API; every endpoint is also served at the root. */
export const API_PREFIX = "/interview-tests-mock-api/v1";

/** The API's error messages, word for word (the 500 body was never published). */
export const MESSAGES = {
  400: "We cannot process your request because it doesn't match the required format.",
  403: "You do not have the required permissions to make this request.",
  404: "You have requested a resource that does not exist.",
  405: "The method is not allowed for the requested resource.",
  429: "You've exceeded your limit for your API key.",
  500: "Internal server error",
} as const;

/** A scriptable endpoint, as `METHOD /first-path-segment`. */
export type Route = "GET /outages" | "GET /site-info" | "POST /site-outages";

/** Every {@link Route}, for validation and documentation. */
export const ROUTES: readonly Route[] = ["GET /outages", "GET /site-info", "POST /site-outages"];

/**
 * One scripted answer for a route; each request to the route consumes the next one. A number is
 * short for `{ kind: "status", status }` and a kind name for `{ kind }` with its defaults.
 * `delayMs` waits before answering (cut short, with no answer, when the client aborts).
 */
export type ScriptedResponse =
  | number
  | "normal"
  | "reset"
  | "hang"
  | "truncate"
  | "malformed"
  | {
    /** Answer `status` with `body` (a string is sent as is, anything else as JSON). */
    readonly kind: "status";
    /** 200–599. */
    readonly status: number;
    /** Default: `{"message": ...}` with the API's message for that status. */
    readonly body?: unknown;
    /** Extra headers, which override the default `Content-Type: application/json; charset=utf-8`. */
    readonly headers?: Readonly<Record<string, string>>;
    readonly delayMs?: number;
  }
  | {
    /** Answer as if no script were set (key, rate limit, fail rate and all), after `delayMs`. */
    readonly kind: "normal";
    readonly delayMs?: number;
  }
  | {
    /** Drop the connection: status line and headers go out, then the body fails at once. */
    readonly kind: "reset";
    readonly delayMs?: number;
  }
  | {
    /** Never answer; the request ends when the client aborts it or the emulator closes. */
    readonly kind: "hang";
  }
  | {
    /** 200 with the full body's `Content-Length`, then only `bytes` of it and a failed body. */
    readonly kind: "truncate";
    /** Default: the route's normal success body for this request. */
    readonly body?: string;
    /** Default: half of the body. */
    readonly bytes?: number;
    readonly delayMs?: number;
  }
  | {
    /** 200 `application/json` whose body is not JSON. */
    readonly kind: "malformed";
    /** Default: `[{"id":`. */
    readonly body?: string;
    readonly delayMs?: number;
  }
  | {
    /** A redirect to `location` (typically another origin, which a client must not follow). */
    readonly kind: "redirect";
    /** An absolute URL. */
    readonly location: string;
    /** Default 302. */
    readonly status?: 301 | 302 | 303 | 307 | 308;
    readonly delayMs?: number;
  };

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

const JSON_TYPE = "application/json; charset=utf-8";
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
const DEFAULT_MALFORMED = '[{"id":';
const ENHANCED_KEYS = ["begin", "end", "id", "name"];
const encoder = new TextEncoder();

/** The error a dropped or truncated response's body fails with. */
export class MockConnectionDrop extends Error {
  /** Always `"MockConnectionDrop"`. */
  override name = "MockConnectionDrop";
}

type Scripted = Exclude<ScriptedResponse, number | string>;

interface PreparedSite {
  readonly body: Uint8Array;
  /** Device id → the names it is listed with (one, unless the data lists it twice). */
  readonly devices: Map<string, Set<string>>;
  /** Canonical element → how many times the expected payload holds it. */
  readonly expected: Map<string, number> | undefined;
  readonly expectedLength: number;
}

function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": JSON_TYPE, ...headers },
  });
}

function messageResponse(
  status: keyof typeof MESSAGES,
  headers?: Record<string, string>,
): Response {
  return jsonResponse(status, { message: MESSAGES[status] }, headers);
}

/** Bodies larger than this are sent as a stream of views rather than copied whole. */
const STREAM_ABOVE = 1 << 20;

function bytesResponse(body: Uint8Array): Response {
  if (body.length <= STREAM_ABOVE) {
    return new Response(body as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: { "content-type": JSON_TYPE },
    });
  }
  // `new Response(bytes)` copies the bytes before the first one goes out: 12–23 ms for the 114 MB
  // body of a million outages, on every request (66–88 ms cold). Views of the kept bytes copy
  // nothing (docs/benchmarks.md).
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(body.subarray(offset, offset + STREAM_ABOVE));
      offset += STREAM_ABOVE;
      if (offset >= body.length) controller.close();
    },
  });
  return new Response(stream, {
    status: 200,
    headers: { "content-type": JSON_TYPE, "content-length": String(body.length) },
  });
}

/** A 200 whose body sends `bytes` (maybe none) and then fails, as a dropped connection does. */
function droppedResponse(bytes: Uint8Array, contentLength?: number): Response {
  const headers: Record<string, string> = { "content-type": JSON_TYPE };
  if (contentLength !== undefined) headers["content-length"] = String(contentLength);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (bytes.length > 0) {
        controller.enqueue(bytes);
        bytes = new Uint8Array(0);
      } else {
        controller.error(new MockConnectionDrop("The emulator dropped the connection"));
      }
    },
  });
  return new Response(body, { status: 200, headers });
}

/** JSON with object keys sorted at every level, so equal values serialise equally. */
function canonicalJson(value: unknown): string {
  const outage = enhancedOutageJson(value);
  if (outage !== undefined) return outage;
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * {@link canonicalJson} of an object whose keys are exactly `id`, `name`, `begin` and `end`, all
 * strings — every element of a good payload — without sorting anything; `undefined` for anything
 * else. Checking a POST of 50,036 outages: 108 → 94 ms (docs/benchmarks.md).
 */
function enhancedOutageJson(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 4) return undefined;
  for (const key of keys) {
    if (key !== "id" && key !== "name" && key !== "begin" && key !== "end") return undefined;
  }
  const { id, name, begin, end } = value as Record<string, unknown>;
  if (
    typeof id !== "string" || typeof name !== "string" || typeof begin !== "string" ||
    typeof end !== "string"
  ) {
    return undefined;
  }
  return `{"begin":${JSON.stringify(begin)},"end":${JSON.stringify(end)},"id":${
    JSON.stringify(id)
  },"name":${JSON.stringify(name)}}`;
}

function prepareSites(dataset: Dataset): Map<string, PreparedSite> {
  const expectedBySite = new Map<string, readonly EnhancedOutage[]>(
    Object.entries(dataset.expected ?? {}),
  );
  const sites = new Map<string, PreparedSite>();
  for (const site of dataset.sites) {
    const devices = new Map<string, Set<string>>();
    for (const device of site.devices) {
      const names = devices.get(device.id) ?? new Set<string>();
      names.add(device.name);
      devices.set(device.id, names);
    }
    const list = expectedBySite.get(site.id);
    let expected: Map<string, number> | undefined;
    if (list !== undefined) {
      expected = new Map();
      for (const element of list) {
        const key = canonicalJson(element);
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
    }
    sites.set(site.id, {
      body: encoder.encode(JSON.stringify(site)),
      devices,
      expected,
      expectedLength: list?.length ?? 0,
    });
  }
  return sites;
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A signal that aborts when any of `sources` does, and a `dispose` that detaches it again.
 * `request.signal` is only ever read through here, for scripted hangs and delays: under Deno's
 * legacy abort behaviour, a handler that read it makes `Deno.serve` print a one-time warning
 * (`--unstable-no-legacy-abort` or `"unstable": ["no-legacy-abort"]` in deno.json silences it).
 */
function linkSignals(sources: readonly AbortSignal[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  for (const source of sources) {
    if (source.aborted) controller.abort();
    else source.addEventListener("abort", abort, { once: true });
  }
  return {
    signal: controller.signal,
    dispose: () => sources.forEach((source) => source.removeEventListener("abort", abort)),
  };
}

function normaliseScript(route: Route, item: ScriptedResponse, index: number): Scripted {
  const where = `Invalid script for "${route}" at [${index}]`;
  const entry: Scripted = typeof item === "number"
    ? { kind: "status", status: item }
    : typeof item === "string"
    ? { kind: item } as Scripted
    : item;
  if (typeof entry !== "object" || entry === null) {
    throw new TypeError(`${where}: expected a status, a kind or an object, got "${String(item)}"`);
  }
  const delay = "delayMs" in entry ? entry.delayMs : undefined;
  if (delay !== undefined && !(Number.isFinite(delay) && delay >= 0)) {
    throw new TypeError(`${where}: "delayMs" must be a number >= 0, got "${delay}"`);
  }
  switch (entry.kind) {
    case "status":
      if (!Number.isInteger(entry.status) || entry.status < 200 || entry.status > 599) {
        throw new TypeError(
          `${where}: status must be an integer from 200 to 599, got "${entry.status}"`,
        );
      }
      return entry;
    case "redirect":
      if (!URL.canParse(entry.location)) {
        throw new TypeError(
          `${where}: "location" must be an absolute URL, got "${entry.location}"`,
        );
      }
      if (entry.status !== undefined && ![301, 302, 303, 307, 308].includes(entry.status)) {
        throw new TypeError(
          `${where}: redirect status must be 301, 302, 303, 307 or 308, got "${entry.status}"`,
        );
      }
      return entry;
    case "truncate":
      if (entry.bytes !== undefined && !(Number.isInteger(entry.bytes) && entry.bytes >= 0)) {
        throw new TypeError(`${where}: "bytes" must be an integer >= 0, got "${entry.bytes}"`);
      }
      return entry;
    case "normal":
    case "reset":
    case "hang":
    case "malformed":
      return entry;
    default:
      throw new TypeError(
        `${where}: unknown kind "${
          (entry as { kind: unknown }).kind
        }" (expected status, normal, reset, hang, truncate, malformed or redirect)`,
      );
  }
}

/** What a path names once the prefix is removed. */
type Target =
  | { readonly route: Route; readonly siteId?: string }
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

/**
 * Builds the emulator. It pre-serialises the dataset once (the outages body of a million outages
 * is about 110 MB) and keeps no reference to the outages themselves.
 */
export function createMockApi(options: MockApiOptions): MockApi {
  const {
    apiKey,
    seed = 1,
    failRate = 0,
    latencyMs = 0,
    rateLimitPerMinute,
    now = Date.now,
    sleep = defaultSleep,
  } = options;
  if (apiKey === "") throw new TypeError("Invalid API key: expected a non-empty string");
  if (!(failRate >= 0 && failRate <= 1)) {
    throw new RangeError(`Invalid fail rate: expected a number from 0 to 1, got "${failRate}"`);
  }
  if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw new RangeError(
      `Invalid latency: expected a number of milliseconds >= 0, got "${latencyMs}"`,
    );
  }
  if (
    rateLimitPerMinute !== undefined &&
    !(Number.isSafeInteger(rateLimitPerMinute) && rateLimitPerMinute >= 1)
  ) {
    throw new RangeError(
      `Invalid rate limit: expected an integer >= 1, got "${rateLimitPerMinute}"`,
    );
  }
  const dataset = options.dataset ?? defaultDataset();
  const outagesBody = encoder.encode(JSON.stringify(dataset.outages));
  const sites = prepareSites(dataset);

  let log: RequestLogEntry[] = [];
  let scripts = new Map<Route, Scripted[]>();
  let random: Random = createRandom(seed);
  let windowStart = Number.NEGATIVE_INFINITY;
  let windowCount = 0;
  const closing = new AbortController();

  /** Why the POST body is not what the site must receive, or `undefined` when it is. */
  function payloadProblem(site: PreparedSite, payload: unknown): string | undefined {
    if (!Array.isArray(payload)) return "the body is not a JSON array";
    if (site.expected !== undefined) {
      const remaining = new Map(site.expected);
      for (let i = 0; i < payload.length; i++) {
        const key = canonicalJson(payload[i]);
        const count = remaining.get(key) ?? 0;
        if (count === 0) {
          return `element [${i}] is not in the expected payload (or appears too often): ${key}`;
        }
        remaining.set(key, count - 1);
      }
      for (const [key, count] of remaining) {
        if (count > 0) {
          return `${site.expectedLength - payload.length} expected element(s) missing, e.g. ${key}`;
        }
      }
      return undefined;
    }
    for (let i = 0; i < payload.length; i++) {
      const element: unknown = payload[i];
      if (typeof element !== "object" || element === null || Array.isArray(element)) {
        return `element [${i}] is not an object`;
      }
      const record = element as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      if (keys.join(",") !== ENHANCED_KEYS.join(",")) {
        return `element [${i}] has keys ${
          JSON.stringify(keys)
        }, expected exactly id, name, begin, end`;
      }
      for (const key of ENHANCED_KEYS) {
        if (typeof record[key] !== "string") return `element [${i}].${key} is not a string`;
      }
      for (const key of ["begin", "end"]) {
        const problem = rfc3339Problem(record[key] as string);
        if (problem !== undefined) {
          return `element [${i}].${key}: ${problem}: ${JSON.stringify(record[key])}`;
        }
      }
      const names = site.devices.get(record.id as string);
      if (names === undefined) {
        return `element [${i}].id ${JSON.stringify(record.id)} is not a device of the site`;
      }
      if (!names.has(record.name as string)) {
        return `element [${i}].name ${JSON.stringify(record.name)} is not the name of device ${
          JSON.stringify(record.id)
        } (${[...names].map((n) => JSON.stringify(n)).join(" or ")})`;
      }
    }
    return undefined;
  }

  /** The answer when no fault applies. */
  function answer(
    entry: RequestLogEntry,
    target: Target & { route: Route },
    body: unknown,
    bodyIsJson: boolean,
    contentType: string | null,
  ): Response {
    if (target.route === "GET /outages") return bytesResponse(outagesBody);
    const site = sites.get(target.siteId as string);
    if (site === undefined) {
      entry.note = `unknown site ${JSON.stringify(target.siteId)}`;
      return messageResponse(404);
    }
    if (target.route === "GET /site-info") return bytesResponse(site.body);
    const mediaType = contentType?.split(";")[0].trim().toLowerCase();
    let problem: string | undefined;
    if (mediaType !== "application/json") {
      problem = contentType === null
        ? "no Content-Type header (expected application/json)"
        : `Content-Type ${JSON.stringify(contentType)} is not application/json`;
    } else if (!bodyIsJson) {
      problem = "the body is not JSON";
    } else {
      problem = payloadProblem(site, body);
    }
    if (problem !== undefined) {
      entry.note = problem;
      return messageResponse(400);
    }
    return jsonResponse(200, {});
  }

  /** The route's success body for this request, which a truncated answer cuts short. */
  function fullBody(target: Target & { route: Route }): Uint8Array {
    if (target.route === "GET /outages") return outagesBody;
    const site = sites.get(target.siteId as string);
    if (target.route === "GET /site-info" && site !== undefined) return site.body;
    if (site === undefined) return encoder.encode(JSON.stringify({ message: MESSAGES[404] }));
    return encoder.encode("{}");
  }

  function playScript(
    entry: RequestLogEntry,
    scripted: Exclude<Scripted, { kind: "normal" | "hang" }>,
    target: Target & { route: Route },
  ): Response {
    switch (scripted.kind) {
      case "status": {
        entry.status = scripted.status;
        let body: string | null;
        if (NULL_BODY_STATUSES.has(scripted.status)) body = null;
        else if (scripted.body === undefined) {
          const message = (MESSAGES as Record<number, string>)[scripted.status] ??
            `Scripted status ${scripted.status}.`;
          body = JSON.stringify({ message });
        } else if (typeof scripted.body === "string") body = scripted.body;
        else body = JSON.stringify(scripted.body);
        const headers = new Headers(body === null ? {} : { "content-type": JSON_TYPE });
        for (const [name, value] of Object.entries(scripted.headers ?? {})) {
          headers.set(name, value);
        }
        return new Response(body, { status: scripted.status, headers });
      }
      case "reset":
        entry.status = null;
        return droppedResponse(new Uint8Array(0));
      case "truncate": {
        const full = scripted.body === undefined ? fullBody(target) : encoder.encode(scripted.body);
        const sent = Math.min(scripted.bytes ?? Math.floor(full.length / 2), full.length);
        entry.status = 200;
        return droppedResponse(full.slice(0, sent), full.length);
      }
      case "malformed":
        entry.status = 200;
        return new Response(scripted.body ?? DEFAULT_MALFORMED, {
          status: 200,
          headers: { "content-type": JSON_TYPE },
        });
      case "redirect": {
        const status = scripted.status ?? 302;
        entry.status = status;
        return new Response(null, { status, headers: { location: scripted.location } });
      }
    }
  }

  /**
   * Waits `ms` (forever for `"hang"`) unless the emulator closes or, when `watchClient`, the client
   * goes away first; whether the request is still wanted afterwards.
   */
  async function pause(
    ms: number | "hang",
    request: Request,
    watchClient: boolean,
  ): Promise<boolean> {
    if (ms === 0) return !closing.signal.aborted;
    const linked = linkSignals(watchClient ? [closing.signal, request.signal] : [closing.signal]);
    try {
      if (ms === "hang") {
        await new Promise<void>((resolve) => {
          if (linked.signal.aborted) resolve();
          else linked.signal.addEventListener("abort", () => resolve(), { once: true });
        });
      } else {
        await sleep(ms, linked.signal);
      }
    } catch {
      // An injected sleep may reject on abort; the signal says what happened.
    } finally {
      linked.dispose();
    }
    return !linked.signal.aborted;
  }

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
    let bodyIsJson = false;
    if (request.method === "POST") {
      let text: string;
      try {
        text = await request.text();
      } catch {
        return abandoned(entry, "while sending its body");
      }
      try {
        body = JSON.parse(text);
        bodyIsJson = true;
      } catch {
        body = text;
      }
      entry.body = body;
    }

    const target = resolveTarget(request.method, url.pathname);
    const scripted = target.route === undefined ? undefined : scripts.get(target.route)?.shift();
    if (scripted !== undefined) {
      entry.fault = `script:${scripted.kind}`;
      if (scripted.kind === "hang") {
        await pause("hang", request, true);
        return abandoned(entry, "while the request hung");
      }
      if (!await pause(scripted.delayMs ?? 0, request, true)) {
        return abandoned(entry, "during the scripted delay");
      }
      if (scripted.kind !== "normal") {
        return playScript(entry, scripted, target as Target & { route: Route });
      }
    }

    // Latency does not watch the client: reading request.signal makes Deno print a warning (see
    // linkSignals), which `mock-api --latency` users should not see. close() still cuts it short.
    if (!await pause(latencyMs, request, false)) {
      return abandoned(entry, "during the latency delay");
    }

    const key = request.headers.get("x-api-key");
    if (key !== apiKey) {
      entry.status = 403;
      entry.note = key === null ? "no x-api-key header" : "wrong x-api-key";
      return messageResponse(403);
    }
    if (rateLimitPerMinute !== undefined) {
      const time = now();
      const start = Math.floor(time / 60_000) * 60_000;
      if (start !== windowStart) {
        windowStart = start;
        windowCount = 0;
      }
      windowCount++;
      if (windowCount > rateLimitPerMinute) {
        const retryAfter = Math.max(1, Math.ceil((start + 60_000 - time) / 1000));
        entry.status = 429;
        entry.fault = "rate-limit";
        entry.note = `${windowCount} requests this minute, limit ${rateLimitPerMinute}`;
        return messageResponse(429, { "retry-after": String(retryAfter) });
      }
    }
    if (failRate > 0 && random.float() < failRate) {
      entry.status = 500;
      entry.fault = "fail-rate";
      return messageResponse(500);
    }

    let response: Response;
    if (target.route !== undefined) {
      response = answer(
        entry,
        target,
        body,
        bodyIsJson,
        request.headers.get("content-type"),
      );
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
      scripts = new Map();
      random = createRandom(seed);
      windowStart = Number.NEGATIVE_INFINITY;
      windowCount = 0;
    },
    script(route: Route, responses: readonly ScriptedResponse[]): void {
      if (!ROUTES.includes(route)) {
        throw new TypeError(
          `Invalid route: expected one of ${
            ROUTES.map((r) => `"${r}"`).join(", ")
          }, got "${route}"`,
        );
      }
      const queue = scripts.get(route) ?? [];
      responses.forEach((item, i) => queue.push(normaliseScript(route, item, i)));
      scripts.set(route, queue);
    },
    close(): void {
      closing.abort();
    },
  };
  return api;
}
