/**
 * The emulator's fault scripts: what a test may queue for a route, the check of each entry, the
 * queue per route, and playing an entry into a `Response`. Waiting (`delayMs`, `"hang"`) is left
 * to the handler, which alone knows when the client goes away or the emulator closes.
 * @module
 */

import { droppedResponse, JSON_TYPE, MESSAGES } from "./responses.ts";

/** A scriptable endpoint, as `METHOD /first-path-segment`. */
export type Route = "GET /outages" | "GET /site-info" | "POST /site-outages";

/** Every {@link Route}, to refuse any other name a JavaScript caller passes. */
const ROUTES: readonly Route[] = ["GET /outages", "GET /site-info", "POST /site-outages"];

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

/** A checked script entry, always in its object form. */
type Scripted = Exclude<ScriptedResponse, number | string>;

/** The entries {@link playScript} answers; `"normal"` and `"hang"` are the handler's. */
type Playable = Exclude<Scripted, { kind: "normal" | "hang" }>;

/** The queued script entries of every route. */
interface ScriptQueue {
  /** Checks `responses` and queues them for `route`, after any already queued. */
  add(route: Route, responses: readonly ScriptedResponse[]): void;
  /** Takes the next entry queued for `route`, if any. */
  next(route: Route): Scripted | undefined;
  /** Forgets every queued entry. */
  reset(): void;
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);
const DEFAULT_MALFORMED = '[{"id":';
const encoder = new TextEncoder();

/** An empty queue of scripted answers per route; an invalid entry throws a `TypeError`. */
export function createScriptQueue(): ScriptQueue {
  let queues = new Map<Route, Scripted[]>();
  return {
    add(route, responses) {
      if (!ROUTES.includes(route)) {
        throw new TypeError(
          `Invalid route: expected one of ${
            ROUTES.map((r) => `"${r}"`).join(", ")
          }, got "${route}"`,
        );
      }
      const queue = queues.get(route) ?? [];
      responses.forEach((item, i) => queue.push(normaliseScript(route, item, i)));
      queues.set(route, queue);
    },
    next(route) {
      return queues.get(route)?.shift();
    },
    reset() {
      queues = new Map();
    },
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

/**
 * The answer a script entry stands for, and the status the log records for it (`null` for a
 * reset); `successBody` gives the route's normal body, which a truncated answer cuts short.
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
      return { response: droppedResponse(new Uint8Array(0)), status: null };
    case "truncate": {
      const full = scripted.body === undefined ? successBody() : encoder.encode(scripted.body);
      const sent = Math.min(scripted.bytes ?? Math.floor(full.length / 2), full.length);
      return { response: droppedResponse(full.slice(0, sent), full.length), status: 200 };
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
