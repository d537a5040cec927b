// deno-lint-ignore-file no-console -- a check script: it reports on its own terminal.
/**
 * `deno task functions`: no function in `src/` or `main.ts` longer than {@link MAX_LINES} lines,
 * so that where behaviour lives can be read at once (docs/architecture.md). Measured with the
 * TypeScript compiler's own parser: every function declaration, method, accessor, constructor,
 * function expression and arrow function, from its first line to its last, blank lines and
 * comments inside it included; a nested function counts in its own right and inside its parent.
 * @module
 */

import ts from "typescript";

/** The most lines a function may span. */
export const MAX_LINES = 60;

/** A function of a source file and how many lines it spans. */
export interface FunctionSpan {
  readonly file: string;
  /** The line it starts on, from 1. */
  readonly line: number;
  readonly name: string;
  readonly lines: number;
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as { name?: ts.Node };
  if (named.name !== undefined) return named.name.getText(source);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) {
    return parent.name.getText(source);
  }
  if (ts.isConstructorDeclaration(node)) return "constructor";
  return "(anonymous)";
}

/** Every function of `text` (the contents of `file`) with the lines it spans. */
export function functionSpans(file: string, text: string): FunctionSpan[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const spans: FunctionSpan[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      spans.push({ file, line: start + 1, name: nameOf(node, source), lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return spans;
}

/** The functions over `max` lines, longest first. */
export function tooLong(spans: readonly FunctionSpan[], max = MAX_LINES): FunctionSpan[] {
  return spans.filter((span) => span.lines > max).sort((a, b) => b.lines - a.lines);
}

function* sourceFiles(root: URL, dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(new URL(dir, root))) {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory) yield* sourceFiles(root, `${path}/`);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  const files = ["main.ts", ...sourceFiles(root, "src/")];
  const spans = files.flatMap((file) =>
    functionSpans(file, Deno.readTextFileSync(new URL(file, root)))
  );
  const long = tooLong(spans);
  for (const span of long) {
    console.error(
      `${span.file}:${span.line}: ${span.name} spans ${span.lines} lines (at most ${MAX_LINES}): split it into named steps`,
    );
  }
  console.error(
    long.length === 0
      ? `functions: ${spans.length} in ${files.length} files, none over ${MAX_LINES} lines`
      : `functions: ${long.length} of ${spans.length} over ${MAX_LINES} lines`,
  );
  Deno.exit(long.length === 0 ? 0 : 1);
}
