/**
 * Warnings about a configuration that works but may not say what its author meant: a
 * `KRAKENFLEX_*` variable no option reads (a misspelt name is otherwise ignored without a word),
 * and a `.env` or key file that others may write.
 * @module
 */

import { closestName } from "./flags.ts";

/** A variable that was set, and where (`environment` or `.env`). */
export interface SetVariable {
  readonly name: string;
  readonly from: string;
}

/** One warning for each `KRAKENFLEX_*` variable not in `known`, with the closest known name. */
export function unknownVariables(set: Iterable<SetVariable>, known: ReadonlySet<string>): string[] {
  const warnings: string[] = [];
  for (const { name, from } of set) {
    if (!name.startsWith("KRAKENFLEX_") || known.has(name)) continue;
    const near = closestName(name, known);
    warnings.push(
      `${name} (${from}) is not a setting outage-sync reads, so it is ignored` +
        (near === undefined ? "" : `; did you mean ${near}?`),
    );
  }
  return warnings;
}

/** One warning for each file whose mode lets its group or others write it. */
export function looseModes(
  files: readonly { readonly path: string; readonly what: string }[],
  fileMode: (path: string) => number | undefined,
): string[] {
  const warnings: string[] = [];
  for (const { path, what } of files) {
    const mode = fileMode(path);
    if (mode === undefined || (mode & 0o022) === 0) continue;
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    warnings.push(
      `${what} "${path}" can be written by its group or by others (mode ${octal}): whoever can ` +
        `write it can change what is synced, or where the key goes; run chmod go-w "${path}"`,
    );
  }
  return warnings;
}
