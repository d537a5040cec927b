/**
 * The `.env` file (SPEC §5): read by the program at run time with `node:util`'s `parseEnv`; keys
 * and values trimmed. `--env-file` must name a file that exists; `./.env` is read when it does.
 * @module
 */

import { parseEnv } from "node:util";
import { errorMessage, UsageError } from "../errors.ts";

/** Reads a text file: its text, or `undefined` when it does not exist; throws for other failures. */
export type ReadTextFile = (path: string) => string | undefined;

/** The variables of the `.env` file: `path` when given (it must exist), else `./.env` if present. */
export function readEnvFile(
  path: string | undefined,
  readTextFile: ReadTextFile,
): Map<string, string> {
  const file = path ?? ".env";
  let text: string | undefined;
  try {
    text = readTextFile(file);
  } catch (error) {
    throw new UsageError(`Cannot read the env file "${file}": ${errorMessage(error)}`);
  }
  if (text === undefined) {
    if (path !== undefined) {
      throw new UsageError(
        `Cannot read the env file "${path}": no such file`,
        "Check the path given to --env-file.",
      );
    }
    return new Map();
  }
  const entries = new Map<string, string>();
  for (const [key, value] of Object.entries(parseEnv(text))) {
    if (typeof value === "string") entries.set(key.trim(), value.trim());
  }
  return entries;
}
