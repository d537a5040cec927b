/**
 * The `.env` file (docs/spec.md §5): read by the program at run time with `node:util`'s `parseEnv`; keys
 * and values trimmed. `--env-file` must name a file that exists; `./.env` is read when it does.
 * Either must be a regular file of at most 1 MiB.
 * @module
 */

import { parseEnv } from "node:util";
import { readNamedFile, type ReadTextFile, requireNamedFile } from "./named_file.ts";

/** The largest `.env` file read: far above any real one, far below what could exhaust memory. */
export const ENV_FILE_MAX_BYTES = 1024 * 1024;

/** What a `.env` file gave: its variables, and warnings about lines that may not say what they mean. */
export interface EnvFile {
  /** The variables, keys and values trimmed. */
  readonly entries: Map<string, string>;
  /**
   * One sentence per line whose unquoted value `parseEnv` cut at a `#`, e.g.
   * `.env line 3: the value of KRAKENFLEX_API_KEY was cut at "#" (read as a comment); quote the
   * value if "#" belongs to it`. Never holds a value.
   */
  readonly warnings: readonly string[];
  /** The file that was read, if one was. */
  readonly path?: string;
}

/** The variables of the `.env` file: `path` when given (it must exist), else `./.env` if present. */
export function readEnvFile(path: string | undefined, readTextFile: ReadTextFile): EnvFile {
  const file = path ?? ".env";
  const named = {
    what: "the env file",
    path: file,
    maxBytes: ENV_FILE_MAX_BYTES,
    shape: "The env file must be a regular file of at most 1 MiB.",
    missingHint: "Check the path given to --env-file.",
  };
  // `--env-file` must name a file; `./.env` is read only when it is there.
  const text = path === undefined
    ? readNamedFile(named, readTextFile)
    : requireNamedFile(named, readTextFile);
  if (text === undefined) return { entries: new Map(), warnings: [] };
  const parsed = parseEnv(text);
  const entries = new Map<string, string>();
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === "string") entries.set(key.trim(), value.trim());
  }
  const name = path === undefined ? ".env" : `.env file "${path}"`;
  return { entries, warnings: commentCuts(text, parsed, name), path: file };
}

/** `KEY=value`, optionally after `export`: the key and the raw value, up to the end of the line. */
const ASSIGNMENT = /^\s*(?:export\s+)?([^=#\s][^=]*?)\s*=(.*)$/;

/**
 * Warnings for the lines whose unquoted value `parseEnv` cut at a `#` — it reads `KEY=abc#def`
 * and `KEY=abc #def` alike as `abc` — when the cut value is the one in effect (not overridden by
 * a later line, and not a line inside a multi-line quoted value).
 */
function commentCuts(
  text: string,
  parsed: Record<string, string | undefined>,
  name: string,
): string[] {
  const warnings: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const match = ASSIGNMENT.exec(line);
    if (match === null) return;
    const [, key, raw] = match;
    const value = raw.trim();
    if (!value.includes("#") || /^["'`]/.test(value)) return;
    const alone = parseEnv(line)[key];
    if (alone === undefined || alone !== parsed[key]) return;
    if (!value.slice(alone.length).trimStart().startsWith("#")) return;
    const shown = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
    warnings.push(
      `${name} line ${index + 1}: the value of ${shown} was cut at "#" (read as a comment); ` +
        `quote the value if "#" belongs to it`,
    );
  });
  return warnings;
}
