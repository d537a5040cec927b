/**
 * The emulator's request log: a ring of the last requests, each entry small whatever was sent —
 * the path, the note and the body are cut, and a body is kept parsed only when it is small and
 * shallow — so that the log stays servable as JSON and its memory bounded.
 * @module
 */

/** What the log records of one API request; never the key. */
export interface RequestLogEntry {
  /** The request method. */
  method: string;
  /** The path and query as received (with the prefix, if any), cut to 2,048 characters. */
  path: string;
  /** The status answered, or `null` when no response was completed (reset, hang, abort). */
  status: number | null;
  /** When the request arrived, by the emulator's clock, as an ISO 8601 string. */
  time: string;
  /** Whether an `x-api-key` header was sent (its value is never recorded). */
  keyPresent: boolean;
  /**
   * A POST's body, when it was read: the parsed JSON when the body is at most 4 KiB and nests at
   * most 32 levels, else its text, cut to 4,096 characters when longer (see `bodyCut`).
   */
  body?: unknown;
  /** The size of the body read, in bytes. */
  bodyBytes?: number;
  /**
   * What the whole body is, when `body` is text cut short or JSON kept as text (too long or too
   * deep): `a JSON array of 50000 element(s)`, `a JSON object of 2 key(s)`, `not JSON`...
   */
  bodySummary?: string;
  /** The injected fault, if any: `fail-rate`, `rate-limit` or `script:<kind>`. */
  fault?: string;
  /** Why the request was refused or ended as it did (e.g. the reason a POST got 400). */
  note?: string;
}

/** The last requests, oldest first, in a ring of fixed size. */
export interface RequestLog {
  /** Appends `entry` (which the handler goes on filling in), dropping the oldest when full. */
  add(entry: RequestLogEntry): void;
  /** Copies of the entries kept, oldest first. */
  entries(): RequestLogEntry[];
  /** How many entries were dropped to make room since the last reset. */
  dropped(): number;
  /** Forgets every entry and the count of dropped ones. */
  reset(): void;
}

/** The default number of entries kept. */
export const DEFAULT_LOG_SIZE = 1000;
/** A body up to this size is kept parsed; a longer one is kept as text cut to this length. */
export const BODY_KEPT = 4096;
const DEPTH_KEPT = 32;
const PATH_KEPT = 2048;
const NOTE_KEPT = 1024;

/** A ring of `size` entries; throws a `RangeError` for a size below 1. */
export function createRequestLog(size: number = DEFAULT_LOG_SIZE): RequestLog {
  if (!(Number.isSafeInteger(size) && size >= 1)) {
    throw new RangeError(`Invalid log size: expected an integer >= 1, got "${size}"`);
  }
  let ring: RequestLogEntry[] = [];
  let next = 0;
  let dropped = 0;
  return {
    add(entry) {
      if (ring.length < size) {
        ring.push(entry);
        return;
      }
      ring[next] = entry;
      next = (next + 1) % size;
      dropped++;
    },
    entries() {
      return [...ring.slice(next), ...ring.slice(0, next)].map((entry) => ({ ...entry }));
    },
    dropped: () => dropped,
    reset() {
      ring = [];
      next = 0;
      dropped = 0;
    },
  };
}

/** `text`, or its start and how much was cut when it is longer than `max` characters. */
export function cutText(text: string, max: number): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** The log's form of a request path. */
export function loggedPath(path: string): string {
  return cutText(path, PATH_KEPT);
}

/** The log's form of a note (a 400's reason may quote a whole posted element). */
export function loggedNote(note: string): string {
  return cutText(note, NOTE_KEPT);
}

/** A body as read: its text, its size in bytes, and its JSON value when it is JSON. */
export interface ReadBody {
  readonly text: string;
  readonly bytes: number;
  readonly parsed: { readonly value: unknown } | undefined;
}

/** Records `body` in `entry`. Nothing deep or large is kept, so serialising the log never fails. */
export function logBody(entry: RequestLogEntry, body: ReadBody): void {
  const { text, bytes, parsed } = body;
  entry.bodyBytes = bytes;
  if (parsed !== undefined && text.length <= BODY_KEPT && nestingDepth(text) <= DEPTH_KEPT) {
    entry.body = parsed.value;
    return;
  }
  entry.body = text.length <= BODY_KEPT ? text : text.slice(0, BODY_KEPT);
  if (text.length > BODY_KEPT || parsed !== undefined) entry.bodySummary = describe(parsed);
}

function describe(parsed: ReadBody["parsed"]): string {
  if (parsed === undefined) return "not JSON";
  const { value } = parsed;
  if (Array.isArray(value)) return `a JSON array of ${value.length} element(s)`;
  if (value === null) return "JSON null";
  if (typeof value === "object") return `a JSON object of ${Object.keys(value).length} key(s)`;
  return `a JSON ${typeof value}`;
}

/** How deep arrays and objects nest in JSON `text` (strings skipped). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}
