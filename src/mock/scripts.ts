/**
 * The emulator's fault scripts: what may be queued for a route (or one site of a route), the check
 * of each step, the queues with their repeats and sticky last steps, and playing a step into a
 * `Response`. Waiting (`delayMs`, the hangs) is left to the handler, which alone knows when the
 * client goes away or the emulator closes.
 * @module
 */

import { droppedConnection, JSON_TYPE, MESSAGES, truncatedResponse } from "./responses.ts";

/** A scriptable endpoint, as `METHOD /first-path-segment`. */
export type Route = "GET /outages" | "GET /site-info" | "POST /site-outages";

/** The routes whose path names a site. */
type SiteRoute = Exclude<Route, "GET /outages">;

/**
 * What a script is set for: a {@link Route} (for a site route, any site), or one site of a site
 * route, `"GET /site-info/norwich-pear-tree"`; `"GET /site-info/*"` is any site, as
 * `"GET /site-info"` is. {@link parseTarget} also takes the API's prefix before the path.
 */
export type ScriptTarget = Route | `${SiteRoute}/${string}`;

/** A scripted step in its object form; each kind but the hangs may wait `delayMs` first. */
export type ScriptStep =
  | {
    /** Answer `status` with `body` (a string is sent as is, anything else as JSON). */
    readonly kind: "status";
    /** 200–599. */
    readonly status: number;
    /** Default: `{"message": ...}` with the API's message for that status. */
    readonly body?: unknown;
    /** Extra headers, which override the default `Content-Type: application/json`. */
    readonly headers?: Readonly<Record<string, string>>;
    readonly delayMs?: number;
  }
  | {
    /** Answer as if no script were set (key, rate limit, fail rate and all). */
    readonly kind: "normal";
    readonly delayMs?: number;
  }
  | {
    /** The same as `normal`. */
    readonly kind: "ok";
    readonly delayMs?: number;
  }
  | {
    /** No byte, then a TCP reset (RST) of the connection. */
    readonly kind: "reset";
    readonly delayMs?: number;
  }
  | {
    /** No byte, then a plain close (FIN) of the connection. */
    readonly kind: "close";
    readonly delayMs?: number;
  }
  | {
    /**
     * No answer until the gateway timeout, then 504 `Endpoint request timed out`, as the real
     * API's gateway answers.
     */
    readonly kind: "hang";
  }
  | {
    /** No answer until the client gives up or the emulator closes. */
    readonly kind: "hang-forever";
  }
  | {
    /** 200 with the full body's `Content-Length`, then only `bytes` of it and a close. */
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

/** The kinds of {@link ScriptStep}, each also usable alone as a step with its defaults. */
export type ScriptKind = ScriptStep["kind"];

/**
 * One scripted step for a route; each request to the route consumes the next one. A number is
 * short for `{ kind: "status", status }` and a kind name for `{ kind }` with its defaults; an
 * object step may say `repeat: N` to answer N requests in a row.
 */
export type ScriptedResponse =
  | number
  | Exclude<ScriptKind, "status" | "redirect">
  | (ScriptStep & { readonly repeat?: number });

/** How steps are queued. */
export interface ScriptOptions {
  /** Once the last step is reached, it answers every later request (default false: normal). */
  readonly sticky?: boolean;
}

/** The steps of one route from the command line (`--script`, `--fault`), queued at start. */
export interface ScriptEntry {
  /** The route, e.g. `"POST /site-outages/*"` (see {@link parseTarget}). */
  readonly target: string;
  /** The steps, as {@link ScriptedResponse}s (checked when queued). */
  readonly steps: readonly unknown[];
  /** Whether the last step answers every later request. */
  readonly sticky: boolean;
}

/** A checked step, in its object form without `repeat`. */
export type Scripted = ScriptStep;

/** The steps {@link playScript} answers; `normal` and the hangs are the handler's. */
type Playable = Exclude<Scripted, { kind: "normal" | "ok" | "hang" | "hang-forever" }>;

/** The queued steps of every route and site. */
interface ScriptQueue {
  /** Checks `steps` and queues them for `target`, after any already queued there. */
  add(target: string, steps: readonly unknown[], options?: ScriptOptions): void;
  /** Takes the next step for a request to `route` (and site): the site's own queue first. */
  next(route: Route, siteId?: string): Scripted | undefined;
  /** Forgets every queued step. */
  reset(): void;
}

const ROUTES: readonly Route[] = ["GET /outages", "GET /site-info", "POST /site-outages"];
const PREFIX = "/interview-tests-mock-api/v1";
/** Every kind of scripted step. */
export const KINDS: readonly ScriptKind[] = [
  "status",
  "normal",
  "ok",
  "reset",
  "close",
  "hang",
  "hang-forever",
  "truncate",
  "malformed",
  "redirect",
];
/** The keys each kind's object form may have, besides `kind` and `repeat`. */
const KEYS: Record<ScriptKind, readonly string[]> = {
  status: ["status", "body", "headers", "delayMs"],
  normal: ["delayMs"],
  ok: ["delayMs"],
  reset: ["delayMs"],
  close: ["delayMs"],
  hang: [],
  "hang-forever": [],
  truncate: ["body", "bytes", "delayMs"],
  malformed: ["body", "delayMs"],
  redirect: ["location", "status", "delayMs"],
};
/** The most times one step may repeat: more than any test sends, small enough to count. */
const MAX_REPEAT = 1_000_000_000;
/** The most steps queued for one route at once: far more than a test needs. */
export const MAX_STEPS = 100_000;
/** The longest scripted delay, an hour: `setTimeout` fires at once for more than 2³¹−1 ms. */
export const MAX_DELAY_MS = 3_600_000;
/** How much of a value an error message quotes. */
const QUOTED_CHARS = 200;

/**
 * `value` as JSON for an error message, cut to its first 200 characters (and how long it was):
 * one bad entry of a big file must not make a message of the whole file.
 */
export function quoted(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? "[...]" : typeof value === "object" ? "{...}" : String(value);
  }
  return text.length <= QUOTED_CHARS
    ? text
    : `${text.slice(0, QUOTED_CHARS)}… (${text.length} characters)`;
}

/**
 * Reads a script target: the route and, when it names one, the site. Throws a `TypeError` saying
 * what is expected.
 */
export function parseTarget(text: string): { route: Route; siteId?: string } {
  const space = text.indexOf(" ");
  const method = text.slice(0, space);
  let path = text.slice(space + 1);
  if (path.startsWith(`${PREFIX}/`)) path = path.slice(PREFIX.length);
  for (const route of ROUTES) {
    const [routeMethod, routePath] = route.split(" ");
    if (method !== routeMethod) continue;
    if (path === routePath) return { route };
    if (route !== "GET /outages" && path.startsWith(`${routePath}/`)) {
      const site = path.slice(routePath.length + 1);
      if (site === "*") return { route };
      if (site !== "") return { route, siteId: site };
    }
  }
  throw new TypeError(
    `Invalid route ${quoted(text)}: expected "GET /outages", "GET /site-info/SITE" or ` +
      `"POST /site-outages/SITE" (SITE: a site id, or * for any site)`,
  );
}

/** An empty queue of scripted steps per route; an invalid step throws a `TypeError`. */
export function createScriptQueue(): ScriptQueue {
  let queues = new Map<string, { steps: { step: Scripted; left: number }[]; sticky: boolean }>();
  const take = (key: string): Scripted | undefined => {
    const queue = queues.get(key);
    const first = queue?.steps[0];
    if (queue === undefined || first === undefined) return undefined;
    if (queue.sticky && queue.steps.length === 1) return first.step;
    if (--first.left === 0) queue.steps.shift();
    return first.step;
  };
  return {
    add(target, steps, options = {}) {
      const { route, siteId } = parseTarget(target);
      const key = `${route} ${siteId ?? "*"}`;
      const queue = queues.get(key) ?? { steps: [], sticky: false };
      if (queue.steps.length + steps.length > MAX_STEPS) {
        throw new TypeError(
          `Invalid script for ${quoted(target)}: ${steps.length} step(s) would make ` +
            `${queue.steps.length + steps.length} queued, over the limit of ${MAX_STEPS}`,
        );
      }
      const checked = steps.map((item, i) =>
        checkStep(item, `Invalid script for ${quoted(target)} at [${i}]`)
      );
      // One at a time: a spread of a user-sized list into a call overflows the stack.
      for (const step of checked) queue.steps.push(step);
      queue.sticky ||= options.sticky === true;
      queues.set(key, queue);
    },
    next(route, siteId) {
      return (siteId === undefined ? undefined : take(`${route} ${siteId}`)) ?? take(`${route} *`);
    },
    reset() {
      queues = new Map();
    },
  };
}

/**
 * Checks one step and gives its object form and how many requests it answers; `where` leads every
 * error message, e.g. `Invalid script for "GET /outages" at [2]: unknown kind "explode" (...)`.
 */
export function checkStep(item: unknown, where: string): { step: Scripted; left: number } {
  const fail = (problem: string): never => {
    throw new TypeError(`${where}: ${problem}`);
  };
  if (typeof item === "number") item = { kind: "status", status: item };
  else if (typeof item === "string") {
    if (item === "status" || item === "redirect") fail(`"${item}" needs its object form`);
    item = { kind: item };
  }
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    return fail(
      `expected a status, a kind or an object, got ${quoted(item)}`,
    );
  }
  const { repeat, ...entry } = item as Record<string, unknown> & { repeat?: unknown };
  const kind = entry.kind as ScriptKind;
  if (!KINDS.includes(kind)) {
    fail(
      `unknown kind ${entry.kind === undefined ? "(none)" : quoted(entry.kind)} (expected ${
        KINDS.join(", ")
      })`,
    );
  }
  for (const key of Object.keys(entry)) {
    if (key !== "kind" && !KEYS[kind].includes(key)) {
      fail(
        `unknown key ${quoted(key)} for kind "${kind}" (expected ${
          ["kind", ...KEYS[kind], "repeat"].join(", ")
        })`,
      );
    }
  }
  if (
    repeat !== undefined &&
    !(Number.isInteger(repeat) && (repeat as number) >= 1 && (repeat as number) <= MAX_REPEAT)
  ) {
    fail(`"repeat" must be an integer from 1 to ${MAX_REPEAT}, got ${quoted(repeat)}`);
  }
  const delay = entry.delayMs;
  if (
    delay !== undefined &&
    !(typeof delay === "number" && Number.isFinite(delay) && delay >= 0 && delay <= MAX_DELAY_MS)
  ) {
    fail(`"delayMs" must be a number from 0 to ${MAX_DELAY_MS} (an hour), got ${quoted(delay)}`);
  }
  const step = entry as Scripted;
  switch (step.kind) {
    case "status":
      if (!Number.isInteger(step.status) || step.status < 200 || step.status > 599) {
        fail(`status must be an integer from 200 to 599, got ${quoted(step.status)}`);
      }
      if (step.headers !== undefined) {
        const problem = headersProblem(step.headers as unknown);
        if (problem !== undefined) fail(problem);
      }
      break;
    case "redirect":
      if (typeof step.location !== "string" || !URL.canParse(step.location)) {
        fail(`"location" must be an absolute URL, got ${quoted(step.location)}`);
      }
      if (step.status !== undefined && ![301, 302, 303, 307, 308].includes(step.status)) {
        fail(
          `redirect status must be 301, 302, 303, 307 or 308, got ${quoted(step.status)}`,
        );
      }
      break;
    case "truncate":
      if (step.bytes !== undefined && !(Number.isInteger(step.bytes) && step.bytes >= 0)) {
        fail(`"bytes" must be an integer >= 0, got ${quoted(step.bytes)}`);
      }
      if (step.body !== undefined && typeof step.body !== "string") {
        fail(`"body" must be a string, got ${quoted(step.body)}`);
      }
      break;
    case "malformed":
      if (step.body !== undefined && typeof step.body !== "string") {
        fail(`"body" must be a string, got ${quoted(step.body)}`);
      }
      break;
  }
  return { step, left: (repeat as number | undefined) ?? 1 };
}

/** A header name: an RFC 9110 token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A control character, which no header value from a script may hold (CR and LF above all). */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;
/** The headers that frame the body, which the server sets itself. */
const FRAMING = new Set(["content-length", "transfer-encoding"]);

/** What is wrong with a step's `headers`, or `undefined`: names are tokens, values plain text. */
function headersProblem(headers: unknown): string | undefined {
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    return `"headers" must be an object of strings, got ${quoted(headers)}`;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) {
      return `header name ${quoted(name)} is not a token (letters, digits and !#$%&'*+-.^_\`|~)`;
    }
    if (FRAMING.has(name.toLowerCase())) {
      return `header ${quoted(name)} cannot be scripted: the emulator frames the body itself`;
    }
    if (typeof value !== "string") {
      return `header ${quoted(name)} must be a string, got ${quoted(value)}`;
    }
    if (CONTROL.test(value)) {
      return `header ${quoted(name)} has a control character (CR, LF, ...) in its value ${
        quoted(value)
      }`;
    }
  }
  return undefined;
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);
const DEFAULT_MALFORMED = '[{"id":';
const encoder = new TextEncoder();

/**
 * The answer a step stands for, and the status the log records for it (`null` for a dropped
 * connection); `successBody` gives the route's normal body, which a truncated answer cuts short.
 */
export function playScript(
  scripted: Playable,
  successBody: () => Uint8Array,
): { response: Response; status: number | null } {
  switch (scripted.kind) {
    case "status": {
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
      return {
        response: new Response(body, { status: scripted.status, headers }),
        status: scripted.status,
      };
    }
    case "reset":
    case "close":
      return { response: droppedConnection(scripted.kind), status: null };
    case "truncate": {
      const full = scripted.body === undefined ? successBody() : encoder.encode(scripted.body);
      const sent = Math.min(scripted.bytes ?? Math.floor(full.length / 2), full.length);
      return { response: truncatedResponse(full.slice(0, sent), full.length), status: 200 };
    }
    case "malformed":
      return {
        response: new Response(scripted.body ?? DEFAULT_MALFORMED, {
          status: 200,
          headers: { "content-type": JSON_TYPE },
        }),
        status: 200,
      };
    case "redirect": {
      const status = scripted.status ?? 302;
      return {
        response: new Response(null, { status, headers: { location: scripted.location } }),
        status,
      };
    }
  }
}
