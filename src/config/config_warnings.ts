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

const PREFIX = "KRAKENFLEX_";

/**
 * The known variable `name` is likely a typo of: compared without the shared prefix, within a
 * quarter of the rest's length (at least one edit), so that `KRAKENFLEX_APIKEY` finds
 * `KRAKENFLEX_API_KEY` but `KRAKENFLEX_DRY_RUN` finds nothing.
 */
function closestVariable(name: string, known: ReadonlySet<string>): string | undefined {
  const rest = name.slice(PREFIX.length);
  const near = closestName(rest, [...known].map((variable) => variable.slice(PREFIX.length)), {
    maxDistance: Math.max(1, Math.floor(rest.length / 4)),
  });
  return near === undefined ? undefined : PREFIX + near;
}

/**
 * One warning for each `KRAKENFLEX_*` variable not in `known`: when it is named after one of
 * `flagsOnly` (flags that no variable sets, e.g. `dry-run` for `KRAKENFLEX_DRY_RUN`), that the flag
 * must be passed; otherwise the closest known name, when one is close.
 */
export function unknownVariables(
  set: Iterable<SetVariable>,
  known: ReadonlySet<string>,
  flagsOnly: Iterable<string> = [],
): string[] {
  const byVariable = new Map(
    [...flagsOnly].map((flag) => [PREFIX + flag.toUpperCase().replaceAll("-", "_"), flag]),
  );
  const warnings: string[] = [];
  for (const { name, from } of set) {
    if (!name.startsWith(PREFIX) || known.has(name)) continue;
    const flag = byVariable.get(name);
    if (flag !== undefined) {
      warnings.push(
        `${name} (${from}) is not read: --${flag} has no environment variable; pass the flag`,
      );
      continue;
    }
    const near = closestVariable(name, known);
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
