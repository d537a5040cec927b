/**
 * The sites file (`--sites-file` / `KRAKENFLEX_SITES_FILE`): one site id per line, blank lines and
 * lines starting with `#` ignored, each id checked as `--site` checks it, errors naming the line.
 * @module
 */

import { type ReadTextFile, requireNamedFile } from "./named_file.ts";
import { parseSiteList } from "./values.ts";

/** The largest sites file read: ten thousand ids take about 400 KB. */
export const SITES_FILE_MAX_BYTES = 16 * 1024 * 1024;

/** The site ids of the file at `path` (named by `from`), in file order, duplicates kept. */
export function readSitesFile(path: string, from: string, readTextFile: ReadTextFile): string[] {
  const text = requireNamedFile({
    what: "the sites file",
    path,
    from,
    maxBytes: SITES_FILE_MAX_BYTES,
    shape: "A sites file must be a regular file of at most 16 MiB, one site id per line.",
  }, readTextFile);
  const sites: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    sites.push(...parseSiteList(line, `the sites file "${path}" line ${i + 1}`));
  });
  return sites;
}
