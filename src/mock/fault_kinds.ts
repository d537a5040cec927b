/**
 * The kinds of scripted step, each declared once in {@link KINDS}: its fields, their checks and how
 * the emulator answers it. The short form of `--fault`, its hint, the `--script` checks and the
 * kinds table of docs/emulator.md (checked by `tests/mock_docs_test.ts`) all follow from that table.
 * @module
 */

import { droppedConnection, JSON_TYPE, MESSAGES, truncatedResponse } from "./responses.ts";

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

/** The kinds of {@link ScriptStep}. */
export type ScriptKind = ScriptStep["kind"];

/** The step of one kind. */
export type StepOf<K extends ScriptKind> = Extract<ScriptStep, { readonly kind: K }>;

/** The fields of a kind's step, besides `kind`. */
type FieldOf<K extends ScriptKind> = Exclude<keyof StepOf<K>, "kind">;

/** The fields a kind's step cannot go without. */
type RequiredOf<K extends ScriptKind> = {
  // deno-lint-ignore ban-types
  [F in FieldOf<K>]-?: {} extends Pick<StepOf<K>, F> ? never : F;
}[FieldOf<K>];

/** The kinds a name alone stands for (with their defaults): those with no required field. */
export type BareKind = {
  [K in ScriptKind]: [RequiredOf<K>] extends [never] ? K : never;
}[ScriptKind];

/** What a played step answers, and the status the log records (`null`: a dropped connection). */
export interface Played {
  readonly response: Response;
  readonly status: number | null;
}

/**
 * How the handler answers a kind: `"normal"` (as if unscripted, after the delay), `"hang"` (504
 * at the gateway timeout), `"hang-forever"` (until the client or the emulator gives up), or the
 * answer itself, given the route's normal success body for a truncated one.
 */
type Answer<K extends ScriptKind> =
  | "normal"
  | "hang"
  | "hang-forever"
  | ((step: StepOf<K>, successBody: () => Uint8Array) => Played);

/** One kind of step, declared once. */
interface KindEntry<K extends ScriptKind> {
  /** The fields its object form may have besides `kind` and `repeat`, in the order told. */
  readonly fields: readonly FieldOf<K>[];
  /** Its required fields: a kind with any cannot be named alone (typed to match the step's type). */
  readonly required: [RequiredOf<K>] extends [never] ? readonly []
    : readonly [RequiredOf<K>, ...RequiredOf<K>[]];
  /** What is wrong with its own fields (`delayMs` and `repeat` are checked for all), or nothing. */
  readonly problem?: (step: StepOf<K>) => string | undefined;
  /** How it is answered. */
  readonly answer: Answer<K>;
}

/**
 * Every kind of scripted step. `satisfies` makes it exhaustive over {@link ScriptStep}: a kind
 * added to the union without an entry here fails `deno check`.
 */
export const KINDS = {
  status: {
    fields: ["status", "body", "headers", "delayMs"],
    required: ["status"],
    problem: statusProblem,
    answer: playStatus,
  },
  normal: { fields: ["delayMs"], required: [], answer: "normal" },
  ok: { fields: ["delayMs"], required: [], answer: "normal" },
  reset: { fields: ["delayMs"], required: [], answer: playDrop },
  close: { fields: ["delayMs"], required: [], answer: playDrop },
  hang: { fields: [], required: [], answer: "hang" },
  "hang-forever": { fields: [], required: [], answer: "hang-forever" },
  truncate: {
    fields: ["body", "bytes", "delayMs"],
    required: [],
    problem: (step) =>
      step.bytes !== undefined && !(Number.isInteger(step.bytes) && step.bytes >= 0)
        ? `"bytes" must be an integer >= 0, got ${quoted(step.bytes)}`
        : bodyProblem(step.body),
    answer: playTruncate,
  },
  malformed: {
    fields: ["body", "delayMs"],
    required: [],
    problem: (step) => bodyProblem(step.body),
    answer: (step) => ({
      response: new Response(step.body ?? DEFAULT_MALFORMED, {
        status: 200,
        headers: { "content-type": JSON_TYPE },
      }),
      status: 200,
    }),
  },
  redirect: {
    fields: ["location", "status", "delayMs"],
    required: ["location"],
    problem: redirectProblem,
    answer: (step) => {
      const status = step.status ?? 302;
      return {
        response: new Response(null, { status, headers: { location: step.location } }),
        status,
      };
    },
  },
} as const satisfies { [K in ScriptKind]: KindEntry<K> };

/** The names of every kind, in the order of {@link KINDS}. */
export const KIND_NAMES = Object.keys(KINDS) as ScriptKind[];

/** The kinds a name alone may stand for: those with no required field. */
export const BARE_KINDS = KIND_NAMES.filter((kind) =>
  KINDS[kind].required.length === 0
) as BareKind[];

/** Whether a kind's step may wait `delayMs` first. */
export function takesDelay(kind: ScriptKind): boolean {
  return (KINDS[kind].fields as readonly string[]).includes("delayMs");
}

/** The most times one step may repeat: more than any test sends, small enough to count. */
const MAX_REPEAT = 1_000_000_000;
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
 * Checks one step and gives its object form and how many requests it answers; `where` leads every
 * error message, e.g. `Invalid script for "GET /outages" at [2]: unknown kind "explode" (...)`.
 */
export function checkStep(item: unknown, where: string): { step: ScriptStep; left: number } {
  const problem = (text: string): never => {
    throw new TypeError(`${where}: ${text}`);
  };
  const { repeat, ...entry } = objectForm(item, problem);
  const kind = entry.kind as ScriptKind;
  if (!Object.hasOwn(KINDS, kind)) {
    problem(
      `unknown kind ${entry.kind === undefined ? "(none)" : quoted(entry.kind)} (expected ${
        KIND_NAMES.join(", ")
      })`,
    );
  }
  const fields: readonly string[] = KINDS[kind].fields;
  for (const key of Object.keys(entry)) {
    if (key !== "kind" && !fields.includes(key)) {
      problem(
        `unknown key ${quoted(key)} for kind "${kind}" (expected ${
          ["kind", ...fields, "repeat"].join(", ")
        })`,
      );
    }
  }
  const found = repeatProblem(repeat) ?? delayProblem(entry.delayMs) ?? kindProblem(entry);
  if (found !== undefined) problem(found);
  return { step: entry as ScriptStep, left: (repeat as number | undefined) ?? 1 };
}

/** A step as an object: a number is a status, a name a kind alone (when it needs no field). */
function objectForm(item: unknown, problem: (text: string) => never): Record<string, unknown> {
  if (typeof item === "number") return { kind: "status", status: item };
  if (typeof item === "string") {
    if (Object.hasOwn(KINDS, item) && !(BARE_KINDS as string[]).includes(item)) {
      problem(`"${item}" needs its object form`);
    }
    return { kind: item };
  }
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    return problem(`expected a status, a kind or an object, got ${quoted(item)}`);
  }
  return item as Record<string, unknown>;
}

function repeatProblem(repeat: unknown): string | undefined {
  if (repeat === undefined) return undefined;
  if (Number.isInteger(repeat) && (repeat as number) >= 1 && (repeat as number) <= MAX_REPEAT) {
    return undefined;
  }
  return `"repeat" must be an integer from 1 to ${MAX_REPEAT}, got ${quoted(repeat)}`;
}

function delayProblem(delay: unknown): string | undefined {
  if (
    delay === undefined ||
    (typeof delay === "number" && Number.isFinite(delay) && delay >= 0 && delay <= MAX_DELAY_MS)
  ) return undefined;
  return `"delayMs" must be a number from 0 to ${MAX_DELAY_MS} (an hour), got ${quoted(delay)}`;
}

/** The problem its kind's own check finds in `entry`, whose keys are known to be the kind's. */
function kindProblem(entry: Record<string, unknown>): string | undefined {
  const step = entry as ScriptStep;
  // One cast, where the kind picks its entry: TypeScript cannot tie the two unions together.
  const check = KINDS[step.kind] as { problem?: (step: ScriptStep) => string | undefined };
  return check.problem?.(step);
}

/**
 * How the handler answers `step`: `"normal"`, `"hang"`, `"hang-forever"`, or a function giving
 * the answer from the route's normal success body (which a truncated answer cuts short).
 */
export function answerOf(
  step: ScriptStep,
): "normal" | "hang" | "hang-forever" | ((successBody: () => Uint8Array) => Played) {
  const answer = KINDS[step.kind].answer as Answer<ScriptKind>;
  if (typeof answer === "string") return answer;
  return (successBody) =>
    (answer as (step: ScriptStep, body: () => Uint8Array) => Played)(
      step,
      successBody,
    );
}

function statusProblem(step: StepOf<"status">): string | undefined {
  if (!Number.isInteger(step.status) || step.status < 200 || step.status > 599) {
    return `status must be an integer from 200 to 599, got ${quoted(step.status)}`;
  }
  return step.headers === undefined ? undefined : headersProblem(step.headers as unknown);
}

function redirectProblem(step: StepOf<"redirect">): string | undefined {
  if (typeof step.location !== "string" || !URL.canParse(step.location)) {
    return `"location" must be an absolute URL, got ${quoted(step.location)}`;
  }
  if (step.status !== undefined && ![301, 302, 303, 307, 308].includes(step.status)) {
    return `redirect status must be 301, 302, 303, 307 or 308, got ${quoted(step.status)}`;
  }
  return undefined;
}

function bodyProblem(body: unknown): string | undefined {
  return body === undefined || typeof body === "string"
    ? undefined
    : `"body" must be a string, got ${quoted(body)}`;
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

function playStatus(step: StepOf<"status">): Played {
  let body: string | null;
  if (NULL_BODY_STATUSES.has(step.status)) body = null;
  else if (step.body === undefined) {
    const message = (MESSAGES as Record<number, string>)[step.status] ??
      `Scripted status ${step.status}.`;
    body = JSON.stringify({ message });
  } else if (typeof step.body === "string") body = step.body;
  else body = JSON.stringify(step.body);
  const headers = new Headers(body === null ? {} : { "content-type": JSON_TYPE });
  for (const [name, value] of Object.entries(step.headers ?? {})) headers.set(name, value);
  return { response: new Response(body, { status: step.status, headers }), status: step.status };
}

function playDrop(step: StepOf<"reset" | "close">): Played {
  return { response: droppedConnection(step.kind), status: null };
}

function playTruncate(step: StepOf<"truncate">, successBody: () => Uint8Array): Played {
  const full = step.body === undefined ? successBody() : encoder.encode(step.body);
  const sent = Math.min(step.bytes ?? Math.floor(full.length / 2), full.length);
  return { response: truncatedResponse(full.slice(0, sent), full.length), status: 200 };
}
