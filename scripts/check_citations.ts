// deno-lint-ignore-file no-console -- a check script: it reports on its own terminal.
/**
 * `deno task citations`: every citation a reader may follow must lead somewhere. Fails on a
 * citation of a section of `docs/spec.md` that the page does not have, on a citation of the
 * specification that is not in this repository (`docs/spec.md §N` named a file outside it), and on a
 * repository path named in a comment or a document (in backticks, or as a Markdown link) that does
 * not exist.
 * @module
 */

/** One citation found in a file, and where. */
export interface Citation {
  readonly file: string;
  readonly line: number;
  /** `section` of docs/spec.md, `outside` (a specification not in the repository), or a `path`. */
  readonly kind: "section" | "outside" | "path";
  /** The section number, or the repository-relative path. */
  readonly target: string;
}

/** The top-level folders and files whose names, in backticks, are read as repository paths. */
const ROOTS = /^(?:src|tests|docs|bench|scripts|deploy|\.ci|\.github)\/|^(?:main\.ts|deno\.json)$/;
/** Build outputs (named in docs, never in the repository) and placeholders such as `tests/X.ts`. */
const NOT_A_FILE = /^(?:dist|coverage|reports|node_modules)\/|(?:^|\/)[A-Z]\.\w+$/;
/** A backticked repository path: path characters only, an optional `#anchor` or `:line`. */
const BACKTICKED = /`([\w.-]+(?:\/[\w.-]*)*)(?:#[\w-]*|:\d+)?`/g;
const LINKED = /\]\(([^)\s#]+)(?:#[^)\s]*)?\)/g;
const SECTION = /\b(docs\/spec\.md|spec|SPEC)\s+§(\d+)((?:\s*(?:,|and|or)\s*§\d+)*)/g;

/** The text of a file that may cite: all of a document; the comment lines of code. */
function citingLines(file: string, text: string): [number, string][] {
  const lines = text.split("\n").map((line, i): [number, string] => [i + 1, line]);
  if (file.endsWith(".md")) return lines;
  return lines.filter(([, line]) => /^\s*(?:\*|\/\*|\/\/)/.test(line));
}

/** The citations in `text`, the contents of `file` (a repository-relative path). */
export function findCitations(file: string, text: string): Citation[] {
  const found: Citation[] = [];
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
  for (const [line, content] of citingLines(file, text)) {
    for (const match of content.matchAll(SECTION)) {
      const sections = [match[2], ...[...match[3].matchAll(/§(\d+)/g)].map((m) => m[1])];
      for (const target of sections) {
        found.push({ file, line, kind: match[1] === "SPEC" ? "outside" : "section", target });
      }
    }
    for (const match of content.matchAll(BACKTICKED)) {
      if (ROOTS.test(match[1]) && !NOT_A_FILE.test(match[1])) {
        found.push({ file, line, kind: "path", target: match[1] });
      }
    }
    if (!file.endsWith(".md")) continue;
    for (const match of content.matchAll(LINKED)) {
      if (/^[a-z]+:/i.test(match[1])) continue;
      found.push({ file, line, kind: "path", target: normalise(dir + match[1]) });
    }
  }
  return found;
}

/** `a/b/../c` → `a/c`; `./x` → `x`. */
function normalise(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/** The section numbers of a specification page: its `## N. Title` headings. */
export function specSections(text: string): Set<string> {
  return new Set([...text.matchAll(/^## (\d+)\. /gm)].map((m) => m[1]));
}

/** A sentence for each citation that leads nowhere. */
export function danglingCitations(
  citations: readonly Citation[],
  sections: ReadonlySet<string>,
  exists: (path: string) => boolean,
): string[] {
  const problems: string[] = [];
  for (const { file, line, kind, target } of citations) {
    const where = `${file}:${line}`;
    if (kind === "outside") {
      problems.push(
        `${where}: "docs/spec.md §${target}" names a file outside the repository: cite docs/spec.md §${target}`,
      );
    } else if (kind === "section" && !sections.has(target)) {
      problems.push(`${where}: docs/spec.md has no section ${target}`);
    } else if (kind === "path" && !exists(target)) {
      problems.push(`${where}: "${target}" does not exist`);
    }
  }
  return problems;
}

function exists(root: URL, path: string): boolean {
  try {
    Deno.statSync(new URL(path, root));
    return true;
  } catch {
    return false;
  }
}

function* filesToCheck(root: URL, dir = ""): Generator<string> {
  for (const entry of Deno.readDirSync(new URL(dir || ".", root))) {
    const path = dir + entry.name;
    if (entry.isDirectory) {
      if (/^(?:\.git|node_modules|dist|coverage|reports|\.stryker-tmp)$/.test(entry.name)) continue;
      if (path === "src/mock/data") continue;
      yield* filesToCheck(root, `${path}/`);
    } else if (/\.(?:ts|md)$/.test(entry.name)) {
      yield path;
    }
  }
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  const sections = specSections(Deno.readTextFileSync(new URL("docs/spec.md", root)));
  const citations = [...filesToCheck(root)].flatMap((file) =>
    findCitations(file, Deno.readTextFileSync(new URL(file, root)))
  );
  const problems = danglingCitations(citations, sections, (path) => exists(root, path));
  for (const problem of problems) console.error(problem);
  console.error(
    problems.length === 0
      ? `citations: ${citations.length} checked, all lead somewhere`
      : `citations: ${problems.length} of ${citations.length} lead nowhere`,
  );
  Deno.exit(problems.length === 0 ? 0 : 1);
}
