/**
 * Fault scripts from the command line: a `--script` file (JSON: route → steps) and the short form
 * of `--fault` (`ROUTE=STEP,STEP,...`), read into the entries the handler queues. Pure functions of
 * the text; every error names the entry it is about.
 * @module
 */

import { BARE_KINDS, checkStep, quoted, type ScriptKind, takesDelay } from "./fault_kinds.ts";
import { MAX_STEPS, parseTarget, type ScriptEntry } from "./scripts.ts";

/** A script that cannot be used; the message names the file or flag and the entry. */
export class ScriptError extends Error {
  /** Always `"ScriptError"`. */
  override name = "ScriptError";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Runs `check`, turning its `TypeError` into a {@link ScriptError} with `prefix` before it. */
function checked<T>(prefix: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof TypeError) throw new ScriptError(`${prefix}${error.message}`);
    throw error;
  }
}

/**
 * Reads a script file: a JSON object whose keys are routes (`"GET /outages"`,
 * `"GET /site-info/*"`, `"POST /site-outages/SITE"`...) and whose values are lists of steps, or
 * `{"steps": [...], "sticky": true}`. `fileName` leads every error, e.g.
 * `faults.json: "GET /outages"[2]: unknown kind "explode" (...)`.
 */
export function parseScriptFile(text: string, fileName: string): ScriptEntry[] {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ScriptError(
      `${fileName}: not valid JSON (${reason.length > 200 ? `${reason.slice(0, 200)}…` : reason})`,
    );
  }
  if (!isRecord(root)) {
    throw new ScriptError(
      `${fileName}: expected an object of routes, e.g. {"GET /outages": [503, "ok"]}`,
    );
  }
  let total = 0;
  return Object.entries(root).map(([target, value]) => {
    const where = `${fileName}: ${quoted(target)}`;
    checked(`${fileName}: `, () => parseTarget(target));
    let steps: unknown;
    let sticky: unknown = false;
    if (Array.isArray(value)) steps = value;
    else if (isRecord(value)) {
      for (const key of Object.keys(value)) {
        if (key !== "steps" && key !== "sticky") {
          throw new ScriptError(
            `${where}: unknown key ${quoted(key)} (expected "steps" and "sticky")`,
          );
        }
      }
      ({ steps, sticky = false } = value);
    }
    if (!Array.isArray(steps)) {
      throw new ScriptError(
        `${where}: expected a list of steps or {"steps": [...], "sticky": true}`,
      );
    }
    if (typeof sticky !== "boolean") {
      throw new ScriptError(
        `${where}.sticky: expected true or false, got ${quoted(sticky)}`,
      );
    }
    total += steps.length;
    if (total > MAX_STEPS) {
      throw new ScriptError(
        `${where}: ${steps.length} step(s) make ${total} in the file, over the limit of ` +
          `${MAX_STEPS}`,
      );
    }
    steps.forEach((step, i) => checked("", () => checkStep(step, `${where}[${i}]`)));
    return { target, steps, sticky };
  });
}

/**
 * The kinds a short form can name: those that need no field (a status is a number), `ok` first as
 * the short form's word for the normal answer.
 */
export const SHORT_FORM_KINDS: readonly string[] = [
  "ok",
  ...BARE_KINDS.filter((kind) => kind !== "ok"),
];

/** The hint under an error in `--fault`: the short form's grammar, with every kind it can name. */
export const FAULT_HINT = "A step is a status (headers after it as [NAME=VALUE;...]) or " +
  `${
    SHORT_FORM_KINDS.join(", ")
  }, with @MS and *N if wanted; end with sticky to keep the last. See ` +
  "docs/emulator.md.";

/** The positions of `char` in `text` outside `[...]`: a header value may hold `=` or `,`. */
function topLevel(text: string, char: string): number[] {
  const found: number[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "[") depth++;
    else if (text[i] === "]") depth = Math.max(0, depth - 1);
    else if (text[i] === char && depth === 0) found.push(i);
  }
  return found;
}

/** `text` cut at each of `at`, the cuts trimmed. */
function cutAt(text: string, at: readonly number[]): string[] {
  const parts: string[] = [];
  let start = 0;
  for (const i of at) {
    parts.push(text.slice(start, i).trim());
    start = i + 1;
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/**
 * Reads the short form of one route's script: `ROUTE=STEP,STEP,...` where a step is a status
 * (`500`) or a kind that needs no field (`ok`, `reset`, `hang`...: {@link FAULT_HINT} lists them);
 * a status may be followed by headers, `[NAME=VALUE;NAME=VALUE]` (`429[Retry-After=2]`); any
 * step whose kind takes a delay by `@MS` (wait first); and any step by `*N` (answer N requests). The last word
 * may be `sticky` (the step before it then answers every later request).
 */
export function parseFault(text: string): ScriptEntry {
  const prefix = `Cannot parse "--fault" ${quoted(text)}: `;
  const equals = topLevel(text, "=").at(-1);
  if (equals === undefined) {
    throw new ScriptError(`${prefix}expected ROUTE=STEPS, e.g. "GET /outages=503,503,ok"`);
  }
  const target = text.slice(0, equals).trim();
  checked(prefix, () => parseTarget(target));
  const stepsText = text.slice(equals + 1);
  const commas = topLevel(stepsText, ",");
  if (commas.length >= MAX_STEPS) {
    throw new ScriptError(`${prefix}${commas.length + 1} steps, over the limit of ${MAX_STEPS}`);
  }
  const words = cutAt(stepsText, commas);
  const sticky = words.at(-1) === "sticky";
  if (sticky) words.pop();
  if (words.length === 0 || words.includes("")) {
    throw new ScriptError(`${prefix}expected steps separated by commas after "="`);
  }
  const steps = words.map((word, i) =>
    parseShortStep(word, `${prefix}step ${i + 1} ${quoted(word)}`)
  );
  return { target, steps, sticky };
}

const SHORT_STEP = /^([a-z-]+|\d+)(?:\[([^\]]*)\])?(?:@(\d+))?(?:\*(\d+))?$/;

/** One step of the short form; `where` (the flag's text and the step) leads every error. */
function parseShortStep(word: string, where: string): unknown {
  const match = SHORT_STEP.exec(word);
  if (match === null || (!/^\d+$/.test(match[1]) && !SHORT_FORM_KINDS.includes(match[1]))) {
    throw new ScriptError(
      `${where}: expected a status (200-599) or one of ${SHORT_FORM_KINDS.join(", ")}, then ` +
        `[NAME=VALUE;...] (headers, after a status), @MS (a delay) and *N (a repeat) if wanted${
          word === "sticky" ? '; "sticky" may only come last' : ""
        }`,
    );
  }
  const [, name, headers, delay, repeat] = match;
  const isStatus = /^\d+$/.test(name);
  if (delay !== undefined && !isStatus && !takesDelay(name as ScriptKind)) {
    throw new ScriptError(`${where}: "${name}" takes no delay`);
  }
  if (headers !== undefined && !isStatus) {
    throw new ScriptError(`${where}: only a status takes headers, e.g. "429[Retry-After=2]"`);
  }
  const step = {
    ...(isStatus ? { kind: "status", status: Number(name) } : { kind: name }),
    ...(headers === undefined ? {} : { headers: parseShortHeaders(headers, where) }),
    ...(delay === undefined ? {} : { delayMs: Number(delay) }),
    ...(repeat === undefined ? {} : { repeat: Number(repeat) }),
  };
  checked("", () => checkStep(step, where));
  return step;
}

/** `NAME=VALUE;NAME=VALUE` as an object; the names and values are checked by `checkStep`. */
function parseShortHeaders(text: string, where: string): Record<string, string> {
  return Object.fromEntries(
    text.split(";").map((pair) => {
      const equals = pair.indexOf("=");
      if (equals <= 0) {
        throw new ScriptError(
          `${where}: expected headers as [NAME=VALUE;NAME=VALUE], got ${quoted(pair.trim())}`,
        );
      }
      return [pair.slice(0, equals).trim(), pair.slice(equals + 1).trim()];
    }),
  );
}
