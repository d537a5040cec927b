/**
 * Fault scripts from the command line: a `--script` file (JSON: route → steps) and the short form
 * of `--fault` (`ROUTE=STEP,STEP,...`), read into the entries the handler queues. Pure functions of
 * the text; every error names the entry it is about.
 * @module
 */

import { checkStep, KINDS, MAX_STEPS, parseTarget, quoted, type ScriptEntry } from "./scripts.ts";

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

/** The kinds a short form can name: all but those that need an object (a status is a number). */
const SHORT_KINDS: readonly string[] = [
  "ok",
  ...KINDS.filter((kind) => !["status", "redirect", "ok"].includes(kind)),
];

/**
 * Reads the short form of one route's script: `ROUTE=STEP,STEP,...` where a step is a status
 * (`500`) or a kind (`ok`, `reset`, `close`, `hang`, `hang-forever`, `truncate`, `malformed`),
 * optionally followed by `@MS` (wait first) and `*N` (answer N requests), and the last may be
 * `sticky` (the step before it then answers every later request).
 */
export function parseFault(text: string): ScriptEntry {
  const prefix = `Cannot parse "--fault" ${quoted(text)}: `;
  const equals = text.lastIndexOf("=");
  if (equals < 0) {
    throw new ScriptError(`${prefix}expected ROUTE=STEPS, e.g. "GET /outages=503,503,ok"`);
  }
  const target = text.slice(0, equals).trim();
  checked(prefix, () => parseTarget(target));
  const words = text.slice(equals + 1).split(",").map((word) => word.trim());
  if (words.length > MAX_STEPS) {
    throw new ScriptError(`${prefix}${words.length} steps, over the limit of ${MAX_STEPS}`);
  }
  const sticky = words.at(-1) === "sticky";
  if (sticky) words.pop();
  if (words.length === 0 || words.includes("")) {
    throw new ScriptError(`${prefix}expected steps separated by commas after "="`);
  }
  const steps = words.map((word, i) => {
    const where = `step ${i + 1} ${quoted(word)}`;
    const match = /^([a-z-]+|\d+)(?:@(\d+))?(?:\*(\d+))?$/.exec(word);
    if (match === null || (!/^\d+$/.test(match[1]) && !SHORT_KINDS.includes(match[1]))) {
      throw new ScriptError(
        `${prefix}${where}: expected a status (200-599) or one of ${SHORT_KINDS.join(", ")}, ` +
          `then @MS (a delay) and *N (a repeat) if wanted${
            word === "sticky" ? '; "sticky" may only come last' : ""
          }`,
      );
    }
    const [, name, delay, repeat] = match;
    if (delay !== undefined && name.startsWith("hang")) {
      throw new ScriptError(`${prefix}${where}: a hang takes no delay`);
    }
    const step = {
      ...(/^\d+$/.test(name) ? { kind: "status", status: Number(name) } : { kind: name }),
      ...(delay === undefined ? {} : { delayMs: Number(delay) }),
      ...(repeat === undefined ? {} : { repeat: Number(repeat) }),
    };
    checked(prefix, () => checkStep(step, where));
    return step;
  });
  return { target, steps, sticky };
}
