/**
 * The pure parts of the repository's check scripts: `scripts/check_citations.ts` (every citation
 * leads somewhere) and `scripts/check_function_length.ts` (no function over 60 lines).
 */

import assert from "node:assert/strict";
import {
  type Citation,
  danglingCitations,
  findCitations,
  specSections,
} from "../scripts/check_citations.ts";
import { functionSpans, MAX_LINES, tooLong } from "../scripts/check_function_length.ts";

Deno.test("findCitations reads sections, lists of sections and paths in a document", () => {
  const text = [
    "# Title",
    "See docs/spec.md §3, §4 and §7 for the rules.",
    "The code lives in `src/sync.ts` and [the page](../docs/operations.md#exit).",
    "A placeholder `tests/X.ts`, a build output `dist/outage-sync.js`, a link https://example.com.",
    "[out](https://example.com/a.md)",
  ].join("\n");
  const found = findCitations("docs/page.md", text);
  assert.deepEqual(found, [
    { file: "docs/page.md", line: 2, kind: "section", target: "3" },
    { file: "docs/page.md", line: 2, kind: "section", target: "4" },
    { file: "docs/page.md", line: 2, kind: "section", target: "7" },
    { file: "docs/page.md", line: 3, kind: "path", target: "src/sync.ts" },
    { file: "docs/page.md", line: 3, kind: "path", target: "docs/operations.md" },
  ]);
});

Deno.test("findCitations reads only the comments of code, and marks SPEC as outside", () => {
  const text = [
    'const path = "`src/not_a_citation.ts`"; // docs/spec.md §9',
    "/** As SPEC §2 says, `src/filter.ts` drops them. */",
    "  // `src/outcome.ts:12` holds the rule",
  ].join("\n");
  assert.deepEqual(findCitations("src/x.ts", text), [
    { file: "src/x.ts", line: 2, kind: "outside", target: "2" },
    { file: "src/x.ts", line: 2, kind: "path", target: "src/filter.ts" },
    { file: "src/x.ts", line: 3, kind: "path", target: "src/outcome.ts" },
  ]);
});

Deno.test("specSections lists the numbered second-level headings only", () => {
  const text = "# Spec\n## 1. Scope\ntext\n## 12. Exit codes\n### 3. Not a section\n## Notes\n";
  assert.deepEqual([...specSections(text)].sort(), ["1", "12"]);
});

Deno.test("danglingCitations names each citation that leads nowhere, and only those", () => {
  const at = (kind: Citation["kind"], target: string, line = 1): Citation => ({
    file: "README.md",
    line,
    kind,
    target,
  });
  const citations = [
    at("section", "1"),
    at("section", "9", 2),
    at("outside", "1", 3),
    at("path", "src/sync.ts", 4),
    at("path", "src/gone.ts", 5),
  ];
  const problems = danglingCitations(
    citations,
    new Set(["1", "2"]),
    (path) => path === "src/sync.ts",
  );
  assert.deepEqual(problems, [
    "README.md:2: docs/spec.md has no section 9",
    'README.md:3: "docs/spec.md §1" names a file outside the repository: cite docs/spec.md §1',
    'README.md:5: "src/gone.ts" does not exist',
  ]);
  assert.deepEqual(danglingCitations(citations.slice(0, 1), new Set(["1"]), () => false), []);
});

Deno.test("functionSpans measures every kind of function, nested ones in their own right", () => {
  const text = [
    "export function outer(a: number): number {", // 1
    "  const inner = (b: number) => {", // 2
    "    return b + 1;", // 3
    "  };", // 4
    "  return inner(a);", // 5
    "}", // 6
    "class Box {", // 7
    "  constructor(readonly v: number) {}", // 8
    "  get double(): number {", // 9
    "    return this.v * 2;", // 10
    "  }", // 11
    "  method(): void {}", // 12
    "}", // 13
    "const f = function () {", // 14
    "  return 1;", // 15
    "};", // 16
    "declare function bodiless(): void;", // 17
    "const o = { m: () => 2 };", // 18
  ].join("\n");
  const spans = functionSpans("src/a.ts", text).map(({ name, line, lines }) => [name, line, lines]);
  assert.deepEqual(spans, [
    ["outer", 1, 6],
    ["inner", 2, 3],
    ["constructor", 8, 1],
    ["double", 9, 3],
    ["method", 12, 1],
    ["f", 14, 3],
    ["m", 18, 1],
  ]);
});

Deno.test("tooLong keeps the functions over the limit, longest first", () => {
  const span = (name: string, lines: number) => ({ file: "src/a.ts", line: 1, name, lines });
  const spans = [span("fits", MAX_LINES), span("over", MAX_LINES + 1), span("far", 200)];
  assert.deepEqual(tooLong(spans).map((s) => s.name), ["far", "over"]);
  assert.deepEqual(tooLong(spans, 10).map((s) => s.name), ["far", "over", "fits"]);
  assert.equal(MAX_LINES, 60);
});
