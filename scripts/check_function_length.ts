// deno-lint-ignore-file no-console -- a check script: it reports on its own terminal.
/**
 * `deno task functions`: no function in `src/` or `main.ts` longer than {@link MAX_LINES} lines,
 * so that where behaviour lives can be read at once (docs/architecture.md). Measured with the
 * Babel's parser with its TypeScript plugin (a tenth of the TypeScript compiler's start-up cost,
 * which every test run would pay): every function declaration, method, accessor, constructor,
 * function expression and arrow function with a body, from its first line to its last, blank lines
 * and comments inside it included; a nested function counts in its own right and inside its parent.
 * @module
 */

import { parse } from "@babel/parser";

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

/** A node of Babel's syntax tree, as far as this script reads it. */
interface Node {
  type: string;
  loc: { start: { line: number }; end: { line: number } };
  body?: unknown;
  id?: Node | null;
  key?: Node;
  kind?: string;
  name?: string;
  value?: unknown;
}

/** The kinds of node that are functions (declared ones without a body are not). */
const FUNCTIONS = new Set([
  "FunctionDeclaration",
  "FunctionExpression",
  "ArrowFunctionExpression",
  "ObjectMethod",
  "ClassMethod",
  "ClassPrivateMethod",
]);

/** The name a key or binding is written with: `a`, `#a`, `"a"`, `1`; else `(anonymous)`. */
function keyName(key: Node | null | undefined): string {
  if (key === null || key === undefined) return "(anonymous)";
  if (key.type === "Identifier") return key.name!;
  if (key.type === "PrivateName") return `#${keyName(key.id)}`;
  if (key.type === "StringLiteral" || key.type === "NumericLiteral") return String(key.value);
  return "(anonymous)";
}

/** What a function is called: its own name, its method's key, or the binding it is assigned to. */
function nameOf(node: Node, parent: Node | undefined): string {
  if (node.kind === "constructor") return "constructor";
  if (node.id) return keyName(node.id);
  if (node.key) return keyName(node.key);
  if (parent?.type === "VariableDeclarator") return keyName(parent.id);
  if (parent?.type === "ObjectProperty" || parent?.type === "ClassProperty") {
    return keyName(parent.key);
  }
  return "(anonymous)";
}

/** The child nodes of `node`, in source order. */
function* children(node: Node): Generator<Node> {
  for (const [field, value] of Object.entries(node)) {
    if (field === "loc" || field.endsWith("Comments")) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === "object" && item !== null && typeof item.type === "string") yield item;
    }
  }
}

/** Every function of `text` (the contents of `file`) with the lines it spans. */
export function functionSpans(file: string, text: string): FunctionSpan[] {
  const program = parse(text, { sourceType: "module", plugins: ["typescript"] }).program;
  const spans: FunctionSpan[] = [];
  const visit = (node: Node, parent: Node | undefined): void => {
    if (FUNCTIONS.has(node.type) && node.body !== undefined && node.body !== null) {
      const { start, end } = node.loc;
      spans.push({
        file,
        line: start.line,
        name: nameOf(node, parent),
        lines: end.line - start.line + 1,
      });
    }
    for (const child of children(node)) visit(child, node);
  };
  visit(program as unknown as Node, undefined);
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
