/**
 * The fenced code blocks of README.md and docs/*.md: every block meant to run is run. Each block is
 * treated by its info string, the words after the opening fence:
 *
 * - `ts file=tests/X.ts`: the block must equal `tests/X.ts` word for word. That file is imported
 *   below with a literal specifier, so `deno test` type-checks it with this file, and the test runs
 *   it (under the sanitizers). A new runnable block needs its file and its line in `EXAMPLES`.
 * - `ts sketch`: a fragment not meant to run (a partial type, an excerpt): nothing is done.
 * - `sh test`: run with `bash -euo pipefail` from the repository root, in a clean environment
 *   (`baseEnv`); it must exit 0. Such a block must not write into the work tree.
 * - `sh not run: REASON`: shown, not run, and the reader is told why: commands for an operator's
 *   shell (root, systemd, the network, a server left running, minutes of benchmarks, the test
 *   suite itself). A bare `sh` (or `bash`, `shell`, `console`) block is refused: no shell block
 *   is skipped without its reason.
 * - `json` and `yaml`: parsed; `json dataset` is loaded as `mock-api --data` loads a file.
 * - no language: example output, a diagram or a usage synopsis: nothing is done.
 *
 * Any other info string fails, so that a new kind of block gets a rule before it gets in. The rule
 * is also in the README's Development section.
 */

import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import denoJson from "../deno.json" with { type: "json" };
import { parseDataset } from "../src/mock/dataset.ts";
import { parseFault } from "../src/mock/script_file.ts";
import { ROOT, runProcess } from "./cli_process.ts";

/** The runnable `ts` blocks, by the file each one must equal. */
const EXAMPLES: Record<string, () => Promise<unknown>> = {
  "tests/emulator_example.ts": () => import("./emulator_example.ts"),
};

/** One fenced block: where it is, its info string, and its text (the fence's indent removed). */
interface Block {
  readonly where: string;
  readonly info: string;
  readonly text: string;
}

/** The fenced blocks of a Markdown text, in order; a fence left open is an error. */
function fencedBlocks(markdown: string, name: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,})(.*)$/.exec(lines[i]);
    if (open === null) continue;
    const [, indent, fence, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = new RegExp(`^ *${fence}\`* *$`).test(lines[j]);
      if (close) break;
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
    }
    assert.ok(j < lines.length, `${name}:${i + 1}: a fence that never closes`);
    blocks.push({ where: `${name}:${i + 1}`, info: info.trim(), text: `${body.join("\n")}\n` });
    i = j;
  }
  return blocks;
}

const docs = [
  "README.md",
  ...[...Deno.readDirSync(new URL("../docs/", import.meta.url))]
    .filter((entry) => entry.isFile && entry.name.endsWith(".md"))
    .map((entry) => `docs/${entry.name}`)
    .sort(),
];
const text = (path: string) => Deno.readTextFileSync(new URL(`../${path}`, import.meta.url));
const blocks = docs.flatMap((path) => fencedBlocks(text(path), path));
const withInfo = (pattern: RegExp) => blocks.filter((block) => pattern.test(block.info));

Deno.test("fencedBlocks: indented fences, longer fences, info strings", () => {
  const markdown = "a\n```sh test\necho 1\n```\n- item\n\n  ```ts sketch\n  type A = 1;\n  ```\n" +
    "````\n```\n````\n";
  assert.deepEqual(fencedBlocks(markdown, "x.md"), [
    { where: "x.md:2", info: "sh test", text: "echo 1\n" },
    { where: "x.md:7", info: "ts sketch", text: "type A = 1;\n" },
    { where: "x.md:10", info: "", text: "```\n" },
  ]);
  assert.throws(() => fencedBlocks("```sh\necho\n", "open.md"), /open\.md:1: a fence that never/);
});

Deno.test("every block of the docs has a rule", () => {
  const known =
    /^(ts file=tests\/[\w.-]+\.ts|ts sketch|sh test|sh not run: \S.{8,}|json|json dataset|yaml|)$/;
  const unknown = blocks.filter((block) => !known.test(block.info));
  assert.deepEqual(unknown.map((block) => `${block.where}: "${block.info}"`), []);
  assert.ok(blocks.length > 20, `${blocks.length} blocks: the docs were read`);
});

Deno.test("every shell block is run, or says why not", () => {
  const shell = blocks.filter((block) => /^(sh|bash|shell|console|zsh)\b/.test(block.info));
  assert.ok(shell.length > 20, `${shell.length} shell blocks`);
  const silent = shell.filter((block) => !/^sh (test|not run: \S.{8,})$/.test(block.info));
  assert.deepEqual(silent.map((block) => `${block.where}: "${block.info}"`), []);
  assert.ok(withInfo(/^sh test$/).some((block) => block.text.includes("mock-api")));
});

Deno.test("ts blocks: each equals its file, which runs", async (t) => {
  const files = withInfo(/^ts file=/);
  assert.ok(files.length > 0);
  for (const block of files) {
    const file = block.info.slice("ts file=".length);
    await t.step(`${block.where}: ${file}`, async () => {
      assert.ok(file in EXAMPLES, `${file}: add it to EXAMPLES in tests/docs_test.ts`);
      assert.equal(block.text, text(file), `${block.where} differs from ${file}`);
      await EXAMPLES[file]();
    });
  }
  const used = new Set(files.map((block) => block.info.slice("ts file=".length)));
  assert.deepEqual(Object.keys(EXAMPLES).filter((file) => !used.has(file)), [], "stale EXAMPLES");
});

Deno.test("sh test blocks: run from the repository root, exit 0", async (t) => {
  const runnable = withInfo(/^sh test$/);
  assert.ok(runnable.length > 0);
  for (const block of runnable) {
    await t.step(block.where, async () => {
      const result = await runProcess("bash", ["-euo", "pipefail", "-c", block.text], {
        cwd: ROOT,
      });
      assert.equal(result.code, 0, `${block.text}\n${result.stdout}\n${result.stderr}`);
    });
  }
});

Deno.test("json and yaml blocks parse; a json dataset loads as mock-api --data loads it", () => {
  for (const block of withInfo(/^json$/)) {
    assert.doesNotThrow(() => JSON.parse(block.text), block.where);
  }
  const datasets = withInfo(/^json dataset$/);
  assert.ok(datasets.length > 0);
  for (const block of datasets) {
    const dataset = parseDataset(block.text, block.where);
    assert.ok(dataset.sites.length > 0, block.where);
  }
  for (const block of withInfo(/^yaml$/)) {
    assert.doesNotThrow(() => parseYaml(block.text), block.where);
  }
});

Deno.test("the permission set is described as deno.json defines it", () => {
  const writes = denoJson.permissions.default.write as string[];
  const readme = text("README.md");
  const quickStart = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("## Commands"));
  const operations = text("docs/operations.md");
  const build = operations.slice(0, operations.indexOf("## 2. Install"));
  for (const path of writes) {
    assert.ok(quickStart.includes(`\`${path}\``), `README's Quick start names ${path}`);
    assert.ok(build.includes(`\`${path}\``), `docs/operations.md section 1 names ${path}`);
  }
  const sys = denoJson.permissions.default.sys as string[];
  assert.deepEqual(sys, ["uid"], "sys: the user id alone (the state directory's owner check)");
  assert.ok(quickStart.includes("`--allow-sys=uid`"), "README's Quick start names --allow-sys=uid");
  assert.ok(build.includes("`--allow-sys=uid`"), "docs/operations.md section 1 names it");
});

Deno.test("the emulator's --fault examples with sticky parse as the emulator reads them", () => {
  const examples = [
    ...text("docs/emulator.md").matchAll(/`((?:GET|POST) [^`=]+=[^`]*sticky[^`]*)`/g),
  ]
    .map((match) => match[1]);
  assert.ok(examples.length > 0, "docs/emulator.md shows --fault with sticky");
  for (const example of examples) assert.equal(parseFault(example).sticky, true, example);
});

/** Every file of the repository, by its path from the root (dot directories and dist/ left out). */
function repositoryFiles(dir = "", found = new Set<string>()): Set<string> {
  for (const entry of Deno.readDirSync(new URL(`../${dir}`, import.meta.url))) {
    const path = `${dir}${entry.name}`;
    if (entry.name.startsWith(".") && entry.name !== ".env.example") continue;
    if (["dist", "coverage", "node_modules"].includes(entry.name)) continue;
    if (entry.isDirectory) repositoryFiles(`${path}/`, found);
    else found.add(path);
  }
  return found;
}

Deno.test("docs/architecture.md names only files that exist", () => {
  const files = repositoryFiles();
  const names = new Set([...files].map((path) => path.split("/").at(-1)));
  const named = [...text("docs/architecture.md").matchAll(/[\w./-]*\w\.(?:ts|md|json|yaml)\b/g)]
    .map((match) => match[0]);
  assert.ok(named.length > 30, `${named.length} files named`);
  // A path is from the root, or from src/ (`cli/main.ts`); a bare name is in some directory.
  const exists = (name: string) =>
    name.includes("/") ? files.has(name) || files.has(`src/${name}`) : names.has(name);
  const missing = named.filter((name) => !exists(name));
  assert.deepEqual([...new Set(missing)], []);
});
