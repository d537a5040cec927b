/**
 * The emulator's request handler: a function of a `Request` to a `Response` with no socket, so
 * tests can call it directly. It checks the `Host`, serves the `/__mock/*` control endpoints, logs
 * every API request and applies the checks in order: a script (`./scripts.ts`), the latency
 * (`./waits.ts`), the key, the body's size, the gates (`./gates.ts`), then the endpoint
 * (`./endpoints.ts`).
 * @module
 */

import { type Dataset, defaultDataset } from "./dataset.ts";
import { createEndpoints, type Endpoint } from "./endpoints.ts";
import { createFailRateGate, createRateLimitGate } from "./gates.ts";
import {
  BodyBudget,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_HELD_BODY_BYTES,
  readBody,
} from "./request_body.ts";
import {
  createRequestLog,
  logBody,
  loggedNote,
  loggedPath,
  type RequestLogEntry,
} from "./request_log.ts";
import { droppedConnection, jsonResponse, messageResponse } from "./responses.ts";
import { API_PREFIX, hostProblem, resolveTarget, type Target } from "./routing.ts";
import { answerOf, type ScriptStep } from "./fault_kinds.ts";
import {
  createScriptQueue,
  type ScriptedResponse,
  type ScriptEntry,
  type ScriptOptions,
  type ScriptTarget,
} from "./scripts.ts";
import { createPause, defaultSleep } from "./waits.ts";

export { API_PREFIX } from "./routing.ts";
export type { RequestLogEntry } from "./request_log.ts";

/** How to build the emulator. */
export interface MockApiOptions {
  /** The key every API request must carry in `x-api-key`. */
  readonly apiKey: string;
  /** What to serve (default: the embedded real captures, with fresh noise). */
  readonly dataset?: Dataset;
  /** Seeds the fail-rate draws, so a run's faults can be replayed (default 1). */
  readonly seed?: number;
  /** Seeds the noise of a dataset that has some (default: a random seed). */
  readonly noiseSeed?: number;
  /** The probability, 0–1, that an API request gets a 500 (default 0). */
  readonly failRate?: number;
  /** Milliseconds to wait before answering each API request (default 0). */
  readonly latencyMs?: number;
  /** Requests allowed per fixed clock minute before answering 429 (default: unlimited). */
  readonly rateLimitPerMinute?: number;
  /** How long a scripted `hang` lasts before the gateway's 504, in milliseconds (default 29,000). */
  readonly gatewayTimeoutMs?: number;
  /** Serve the API only under {@link API_PREFIX}, as the real API does (default: the root too). */
  readonly strictPaths?: boolean;
  /** Answer API paths whatever the `Host` (default false); `/__mock/*` always checks it. */
  readonly anyHost?: boolean;
  /** The largest request body read; a larger one gets 413 (default 64 MiB). */
  readonly maxBodyBytes?: number;
  /**
   * The bytes all the bodies being read at once may hold; a body that would take more gets 503
   * (default 128 MiB).
   */
  readonly maxHeldBodyBytes?: number;
  /** How many requests the log keeps, dropping the oldest (default 1000). */
  readonly logSize?: number;
  /** Scripts queued at the start, and again by every reset (`--script`, `--fault`). */
  readonly scripts?: readonly ScriptEntry[];
  /** Told, once, that a root path was served (default: nobody). */
  readonly warn?: (message: string) => void;
  /** The clock, in epoch milliseconds (default `Date.now`). */
  readonly now?: () => number;
  /** Waits `ms`, resolving early when `signal` aborts (default: a cancellable `setTimeout`). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The emulator, as a request handler with in-process controls for tests. */
export interface MockApi {
  /** Answers one request: API endpoints, `GET /__mock/requests` and `POST /__mock/reset`. */
  handle(request: Request): Promise<Response>;
  /** A copy of the request log (the last `logSize` requests), oldest first. */
  requests(): RequestLogEntry[];
  /** How many requests the log has dropped to keep its size since the last reset. */
  droppedRequests(): number;
  /**
   * Clears the log and the rate-limit window, re-seeds the generators, and replaces the scripts
   * with those of the options (`--script`, `--fault`), from their first step.
   */
  reset(): void;
  /** Queues scripted steps for `route` (or one site of it), after any already queued there. */
  script(
    route: ScriptTarget,
    responses: readonly ScriptedResponse[],
    options?: ScriptOptions,
  ): void;
  /** Ends pending delays and hangs, and drops every later request: the server calls it on close. */
  close(): void;
}

/** The API Gateway default integration timeout, after which a hanging request gets 504. */
export const DEFAULT_GATEWAY_TIMEOUT_MS = 29_000;

const decoder = new TextDecoder();

/** setTimeout's longest wait; it fires at once for a longer one. */
const MAX_WAIT_MS = 2 ** 31 - 1;

/** What the handler's steps share: the options as checked, and the emulator's moving parts. */
interface Emulator {
  readonly options: MockApiOptions;
  readonly apiKey: string;
  readonly latencyMs: number;
  readonly gatewayTimeoutMs: number;
  readonly maxBodyBytes: number;
  readonly now: () => number;
  readonly budget: BodyBudget;
  readonly failRateGate: ReturnType<typeof createFailRateGate>;
  readonly rateLimitGate: ReturnType<typeof createRateLimitGate>;
  readonly endpoints: ReturnType<typeof createEndpoints>;
  readonly log: ReturnType<typeof createRequestLog>;
  readonly scripts: ReturnType<typeof createScriptQueue>;
  readonly closing: AbortController;
  readonly pause: ReturnType<typeof createPause>;
  /** Whether the root-path warning was given. */
  warned: boolean;
}

function checkRange(name: string, value: number, integer: boolean, max: number): void {
  if (!((integer ? Number.isSafeInteger(value) : Number.isFinite(value)) && value >= 0)) {
    throw new RangeError(`Invalid ${name}: expected a number >= 0, got "${value}"`);
  }
  if (value > max) {
    throw new RangeError(`Invalid ${name}: expected at most ${max}, got "${value}"`);
  }
}

/** Builds the emulator; throws a `TypeError` or `RangeError` for an option out of range. */
export function createMockApi(options: MockApiOptions): MockApi {
  const emulator = emulatorOf(options);
  return {
    handle: (request) => handle(emulator, request),
    requests: () => emulator.log.entries(),
    droppedRequests: () => emulator.log.dropped(),
    reset: () => reset(emulator),
    script(route, responses, scriptOptions): void {
      emulator.scripts.add(route, responses, scriptOptions);
    },
    close(): void {
      emulator.closing.abort();
    },
  };
}

/** The options checked, with their defaults, and the parts built from them. */
function emulatorOf(options: MockApiOptions): Emulator {
  const {
    apiKey,
    seed = 1,
    failRate = 0,
    latencyMs = 0,
    gatewayTimeoutMs = DEFAULT_GATEWAY_TIMEOUT_MS,
    maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
    now = Date.now,
    sleep = defaultSleep,
  } = options;
  if (apiKey === "") throw new TypeError("Invalid API key: expected a non-empty string");
  const failRateGate = createFailRateGate(failRate, seed);
  checkRange("latency", latencyMs, false, MAX_WAIT_MS);
  checkRange("gateway timeout", gatewayTimeoutMs, false, MAX_WAIT_MS);
  checkRange("body cap", maxBodyBytes, true, Number.MAX_SAFE_INTEGER);
  const budget = new BodyBudget(options.maxHeldBodyBytes ?? DEFAULT_MAX_HELD_BODY_BYTES);
  const rateLimitGate = createRateLimitGate(options.rateLimitPerMinute, now);
  const noiseSeed = options.noiseSeed ?? crypto.getRandomValues(new Uint32Array(1))[0];
  const endpoints = createEndpoints(options.dataset ?? defaultDataset(), noiseSeed);
  const log = createRequestLog(options.logSize);
  const closing = new AbortController();
  const emulator: Emulator = {
    options,
    apiKey,
    latencyMs,
    gatewayTimeoutMs,
    maxBodyBytes,
    now,
    budget,
    failRateGate,
    rateLimitGate,
    endpoints,
    log,
    scripts: createScriptQueue(),
    closing,
    pause: createPause(closing.signal, sleep),
    warned: false,
  };
  queueStartScripts(emulator);
  return emulator;
}

/** Queues the scripts of the options (`--script`, `--fault`), from their first step. */
function queueStartScripts(emulator: Emulator): void {
  for (const { target, steps, sticky } of emulator.options.scripts ?? []) {
    emulator.scripts.add(target, steps, { sticky });
  }
}

function reset(emulator: Emulator): void {
  emulator.log.reset();
  emulator.scripts.reset();
  queueStartScripts(emulator);
  emulator.failRateGate.reset();
  emulator.rateLimitGate.reset();
  emulator.endpoints.reset();
}

/** Answers one request: the `Host` check, `/__mock/*`, or an API request, logged. */
async function handle(emulator: Emulator, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const isControl = url.pathname.startsWith("/__mock/");
  const misdirected = isControl || emulator.options.anyHost !== true
    ? hostProblem(request.headers.get("host") ?? url.host)
    : undefined;
  if (isControl) {
    return misdirected === undefined
      ? control(emulator, request, url.pathname)
      : jsonResponse(421, { message: misdirected });
  }
  const entry: RequestLogEntry = {
    method: request.method.slice(0, 20),
    path: loggedPath(url.pathname + url.search),
    status: null,
    time: new Date(emulator.now()).toISOString(),
    keyPresent: request.headers.has("x-api-key"),
  };
  emulator.log.add(entry);
  if (misdirected !== undefined) {
    entry.status = 421;
    entry.note = "the Host is not a loopback name";
    return jsonResponse(421, { message: misdirected });
  }
  try {
    return await handleApi(emulator, request, url, entry);
  } catch (error) {
    // A bug in the emulator: answer like the API's own failures and say why in the log.
    entry.status = 500;
    entry.note = loggedNote(
      `emulator error: ${error instanceof Error ? error.message : String(error)}`,
    );
    return messageResponse(500);
  }
}

function control(emulator: Emulator, request: Request, pathname: string): Response {
  if (pathname === "/__mock/requests") {
    if (request.method !== "GET") return messageResponse(405, { allow: "GET" });
    const { log } = emulator;
    return jsonResponse(200, log.entries(), { "x-mock-dropped": String(log.dropped()) });
  }
  if (pathname === "/__mock/reset") {
    if (request.method !== "POST") return messageResponse(405, { allow: "POST" });
    reset(emulator);
    return jsonResponse(200, {});
  }
  return messageResponse(404);
}

/** A request given up on: logged with no status and why, answered with a dropped connection. */
function abandoned(emulator: Emulator, entry: RequestLogEntry, what: string): Response {
  entry.status = null;
  entry.note = emulator.closing.signal.aborted
    ? `the emulator closed ${what}`
    : `the client went away ${what}`;
  return droppedConnection("close");
}

/** An API request: its script, the latency, the key, then {@link answerChecked}. */
async function handleApi(
  emulator: Emulator,
  request: Request,
  url: URL,
  entry: RequestLogEntry,
): Promise<Response> {
  if (emulator.closing.signal.aborted) {
    return abandoned(emulator, entry, "before the request was handled");
  }
  const target = targetOf(emulator, request, url, entry);
  const keyOk = request.headers.get("x-api-key") === emulator.apiKey;
  const scripted = target.route === undefined
    ? undefined
    : emulator.scripts.next(target.route, target.siteId);
  if (scripted !== undefined) {
    entry.fault = `script:${scripted.kind}`;
    const answer = answerOf(scripted);
    if (answer !== "normal") {
      return await answerScripted(emulator, { scripted, answer, request, entry, target, keyOk });
    }
    if (!await emulator.pause(delayOf(scripted), request)) {
      return abandoned(emulator, entry, "during the scripted delay");
    }
  }
  // Latency does not watch the client (reading request.signal would make a `Deno.serve` that
  // serves this handler warn, under Deno's legacy abort behaviour); close() still cuts it short.
  if (!await emulator.pause(emulator.latencyMs)) {
    return abandoned(emulator, entry, "during the latency delay");
  }
  if (!keyOk) {
    entry.status = 403;
    entry.note = request.headers.has("x-api-key") ? "wrong x-api-key" : "no x-api-key header";
    return messageResponse(403);
  }
  return await answerChecked(emulator, request, entry, target);
}

/** The `delayMs` of a step, 0 for a kind without one. */
function delayOf(step: ScriptStep): number {
  return "delayMs" in step ? step.delayMs ?? 0 : 0;
}

/** The target, with root paths refused under `strictPaths` and reported once otherwise. */
function targetOf(emulator: Emulator, request: Request, url: URL, entry: RequestLogEntry): Target {
  const { options } = emulator;
  const target = resolveTarget(request.method, url.pathname);
  if (!target.atRoot || (target.route === undefined && target.allow === undefined)) {
    return target;
  }
  if (options.strictPaths === true) {
    entry.note = `root paths are not served (strict paths): use ${API_PREFIX}`;
    return { atRoot: true };
  }
  if (!emulator.warned && options.warn !== undefined) {
    emulator.warned = true;
    options.warn(
      `${JSON.stringify(`${request.method} ${url.pathname.slice(0, 200)}`)} was served at ` +
        `the root: the real API serves only under ${API_PREFIX} (--strict-paths refuses root ` +
        `paths). Said once.`,
    );
  }
  return target;
}

/** A request to answer with a scripted step, and what the handler knows of it. */
interface ScriptedRequest {
  readonly scripted: ScriptStep;
  /** How its kind is answered, the normal answer aside. */
  readonly answer: Exclude<ReturnType<typeof answerOf>, "normal">;
  readonly request: Request;
  readonly entry: RequestLogEntry;
  readonly target: Target;
  readonly keyOk: boolean;
}

/** A scripted answer, which replaces the key check and everything after it. */
async function answerScripted(emulator: Emulator, scripted: ScriptedRequest): Promise<Response> {
  const { answer, request, entry, target, keyOk } = scripted;
  // The body of a POST with the right key is read for the log (as the gateway reads it before
  // its backend answers); never a body sent without it.
  if (request.method === "POST" && keyOk) {
    const read = await readPosted(emulator, request, entry);
    if (read.kind === "gone") return abandoned(emulator, entry, "while sending its body");
    if (read.kind === "too-large") entry.note = `${read.note}: not read`;
    if (read.kind === "busy") entry.note = read.note;
  }
  if (answer === "hang-forever") {
    await emulator.pause("hang", request);
    return abandoned(emulator, entry, "while the request hung");
  }
  if (answer === "hang") {
    if (!await emulator.pause(emulator.gatewayTimeoutMs, request)) {
      return abandoned(emulator, entry, "while the request hung");
    }
    entry.status = 504;
    entry.note = `the gateway timed out after ${emulator.gatewayTimeoutMs} ms`;
    return messageResponse(504);
  }
  if (!await emulator.pause(delayOf(scripted.scripted), request)) {
    return abandoned(emulator, entry, "during the scripted delay");
  }
  const played = answer(() => emulator.endpoints.successBody(target as Endpoint));
  entry.status = played.status;
  return played.response;
}

/** Reads a POST's body into the log: what the endpoint checks, or why it cannot be read. */
async function readPosted(emulator: Emulator, request: Request, entry: RequestLogEntry) {
  const read = await readBody(request, emulator.maxBodyBytes, emulator.budget);
  if (read.kind !== "read") return read;
  const text = decoder.decode(read.bytes);
  let parsed: { value: unknown } | undefined;
  try {
    parsed = { value: JSON.parse(text) };
  } catch {
    parsed = undefined;
  }
  logBody(entry, { text, bytes: read.bytes.length, parsed });
  return { kind: "read" as const, body: parsed === undefined ? text : parsed.value, parsed };
}

/** A request whose key is right: its body, the rate limit, the fail rate, then the endpoint. */
async function answerChecked(
  emulator: Emulator,
  request: Request,
  entry: RequestLogEntry,
  target: Target,
): Promise<Response> {
  let posted: { body: unknown; isJson: boolean } = { body: undefined, isJson: false };
  if (request.method === "POST") {
    const read = await readPosted(emulator, request, entry);
    if (read.kind === "gone") return abandoned(emulator, entry, "while sending its body");
    if (read.kind === "too-large") {
      entry.status = 413;
      entry.note = read.note;
      return messageResponse(413);
    }
    if (read.kind === "busy") {
      entry.status = 503;
      entry.note = read.note;
      // Not the API's (it has no such limit): the gateway's own words for a busy backend.
      return jsonResponse(503, { message: "Service Unavailable" }, { "retry-after": "1" });
    }
    posted = { body: read.body, isJson: read.parsed !== undefined };
  }
  const refused = gateRefusal(emulator, entry);
  if (refused !== undefined) return refused;
  const response = endpointAnswer(emulator, request, entry, target, posted);
  entry.status = response.status;
  return response;
}

/** The rate limit's 429 or the fail rate's 500, or nothing when both let the request through. */
function gateRefusal(emulator: Emulator, entry: RequestLogEntry): Response | undefined {
  const limited = emulator.rateLimitGate.refuse();
  if (limited !== undefined) {
    entry.status = 429;
    entry.fault = "rate-limit";
    entry.note = limited.note;
    return messageResponse(429, { "retry-after": String(limited.retryAfterSeconds) });
  }
  if (emulator.failRateGate.fails()) {
    entry.status = 500;
    entry.fault = "fail-rate";
    return messageResponse(500);
  }
  return undefined;
}

/** The endpoint's answer, or 405/404 for a path that is none. */
function endpointAnswer(
  emulator: Emulator,
  request: Request,
  entry: RequestLogEntry,
  target: Target,
  posted: { body: unknown; isJson: boolean },
): Response {
  if (target.route !== undefined) {
    const contentType = request.headers.get("content-type");
    const answer = emulator.endpoints.answer(target, { contentType, ...posted });
    if (answer.note !== undefined) entry.note = loggedNote(answer.note);
    return answer.response;
  }
  if (target.allow !== undefined) {
    entry.note = `${request.method} is not allowed here (allowed: ${target.allow})`;
    return messageResponse(405, { allow: target.allow });
  }
  entry.note ??= "unknown path";
  return messageResponse(404);
}
