/**
 * The sites file (`--sites-file` / `KRAKENFLEX_SITES_FILE`): one site id per line, blank lines and
 * lines starting with `#` ignored, each id checked as `--site` checks it, errors naming the line.
 * @module
 */

import { FileRefused, UsageError } from "../errors.ts";
import type { ReadTextFile } from "./env_file.ts";
import { parseSiteList } from "./values.ts";

/** The largest sites file read: ten thousand ids take about 400 KB. */
export const SITES_FILE_MAX_BYTES = 16 * 1024 * 1024;

/** The site ids of the file at `path` (named by `from`), in file order, duplicates kept. */
export function readSitesFile(path: string, from: string, readTextFile: ReadTextFile): string[] {
  let text: string | undefined;
  try {
    text = readTextFile(path, SITES_FILE_MAX_BYTES);
  } catch (error) {
    throw new UsageError(
      `Cannot read the sites file "${path}" (${from}): ${FileRefused.reasonFor(error)}`,
      "A sites file must be a regular file of at most 16 MiB, one site id per line.",
    );
  }
  if (text === undefined) {
    throw new UsageError(`Cannot read the sites file "${path}" (${from}): no such file`);
  }
  const sites: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    sites.push(...parseSiteList(line, `the sites file "${path}" line ${i + 1}`));
  });
  return sites;
}
