/**
 * How the tests are grouped and run (docs/testing.md). Every `tests/*_test.ts` is imported by
 * exactly one suite of `tests/suites/portable/` or `tests/suites/posix/`, so that a group of files
 * shares one runtime. `deno test`, `deno task test` and `deno task test:portable` each run every test
 * they should exactly once: checked by running them, as written in deno.json, over a copy of this
 * layout whose test files are stand-ins that register one test named after their file. One
 * stand-in fails on purpose: in each of those runs, the failure names its test file and line, not
 * only the suite.
 */

import assert from "node:assert/strict";

const tests = new URL("./", import.meta.url);
const root = new URL("../", import.meta.url);
const KINDS = ["portable", "posix"] as const;
const IMPORT = /^import "\.\.\/\.\.\/(\w+_test\.ts)";$/;

/** The names of the test files in `tests/`, sorted. */
function leafFiles(): string[] {
  return [...Deno.readDirSync(tests)]
    .filter((entry) => entry.isFile && entry.name.endsWith("_test.ts"))
    .map((entry) => entry.name)
    .sort();
}

interface Suite {
  /** `portable/pure_core.ts`, relative to `tests/suites/`. */
  path: string;
  text: string;
  /** The test files it imports, each with the comment line just above its import. */
  imports: { file: string; comment: string }[];
}

/** Every suite of `tests/suites/`, with what it imports. */
function suites(): Suite[] {
  const found: Suite[] = [];
  for (const kind of KINDS) {
    for (const entry of Deno.readDirSync(new URL(`suites/${kind}/`, tests))) {
      const path = `${kind}/${entry.name}`;
      const text = Deno.readTextFileSync(new URL(`suites/${path}`, tests));
      const lines = text.split("\n");
      const imports = lines.flatMap((line, i) => {
        const file = IMPORT.exec(line)?.[1];
        const comment = /^\/\/ (.+)$/.exec(lines[i - 1] ?? "")?.[1] ?? "";
        return file === undefined ? [] : [{ file, comment }];
      });
      found.push({ path, text, imports });
    }
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

const POSIX_ONLY = suites()
  .filter((suite) => suite.path.startsWith("posix/"))
  .flatMap((suite) => suite.imports.map((entry) => entry.file));

Deno.test("every test file is imported by exactly one suite of tests/suites/", () => {
  const imported = suites().flatMap((suite) => suite.imports.map((entry) => entry.file));
  assert.deepEqual(imported.sort(), leafFiles());
  const other = [...Deno.readDirSync(new URL("suites/", tests))].map((entry) => entry.name);
  assert.deepEqual(other.sort(), [...KINDS], "tests/suites/ holds only portable/ and posix/");
});

Deno.test("every POSIX-only test file says what it needs that macOS or Windows lacks", () => {
  const posix = suites().filter((suite) => suite.path.startsWith("posix/"));
  assert.ok(POSIX_ONLY.length > 0);
  for (const { path, imports } of posix) {
    for (const { file, comment } of imports) assert.notEqual(comment, "", `${path}: ${file}`);
  }
});

/** Runs `deno <args>` in `cwd`; its exit code and stdout and stderr together. */
async function deno(cwd: string, args: string[]): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

/** The stand-in that fails on purpose: the first portable test file, so that every command runs it. */
function failing(): string {
  return leafFiles().find((file) => !POSIX_ONLY.includes(file))!;
}

/**
 * A copy of the layout in a temporary directory: deno.json and deno.lock, the suites as they are,
 * and for each test file a stand-in whose one test is named `leaf <file>`; the stand-in of
 * {@link failing} throws, from its line 2.
 */
async function standInLayout(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "outage-sync-layout-" });
  for (const file of ["deno.json", "deno.lock"]) {
    await Deno.copyFile(new URL(file, root), `${dir}/${file}`);
  }
  for (const kind of KINDS) await Deno.mkdir(`${dir}/tests/suites/${kind}`, { recursive: true });
  for (const suite of suites()) {
    await Deno.writeTextFile(`${dir}/tests/suites/${suite.path}`, suite.text);
  }
  const broken = failing();
  for (const file of leafFiles()) {
    const body = file === broken ? '\n  throw new Error("on purpose");\n' : "";
    await Deno.writeTextFile(
      `${dir}/tests/${file}`,
      `Deno.test("leaf tests/${file}", () => {${body}});\n`,
    );
  }
  return dir;
}

/**
 * A task of deno.json as written, each `deno test` in it told not to type-check (the stand-ins'
 * types are not the point, and checking them would cost seconds).
 */
function withoutTypeCheck(task: string): string {
  const tasks = JSON.parse(Deno.readTextFileSync(new URL("deno.json", root))).tasks;
  const command: string = tasks[task];
  assert.match(command, /\bdeno test /, task);
  return command.replaceAll(/\bdeno test /g, "deno test --no-check ");
}

/** The stand-in tests a run passed, as the paths of their files (`tests/<name>_test.ts`), sorted. */
function ran(output: string): string[] {
  return [...output.matchAll(/leaf (tests\/\w+_test\.ts) \.\.\. (?:ok|FAILED)/g)]
    .map((match) => match[1])
    .sort();
}

/**
 * Whether a run's failure names the stand-in that failed by its file and line, not only the suite
 * that imported it: in the summary, and in the stack of the error.
 */
function assertNamesFailure(output: string, command: string): void {
  const file = `tests/${failing()}`;
  const failures = output.slice(output.indexOf(" FAILURES "));
  assert.match(
    failures,
    new RegExp(`^leaf ${file} => \\./${file}:1:6$`, "m"),
    `${command}: ${output}`,
  );
  assert.match(output, new RegExp(`on purpose\\n[^]*at file:///\\S+/${file}:2:9`), command);
}

Deno.test("deno test, deno task test and deno task test:portable run each test once; a failure names its file and line", async () => {
  const dir = await standInLayout();
  try {
    const all = leafFiles().map((file) => `tests/${file}`);
    const portable = leafFiles().filter((file) => !POSIX_ONLY.includes(file))
      .map((file) => `tests/${file}`);

    // The three runs at once: each starts a runtime per suite, about 0.25 s of CPU each. Each fails,
    // as one stand-in fails on purpose.
    const [plain, task, portableTask] = await Promise.all([
      deno(dir, ["test", "-A", "--no-check"]),
      deno(dir, ["task", "--eval", withoutTypeCheck("test")]),
      deno(dir, ["task", "--eval", withoutTypeCheck("test:portable")]),
    ]);
    const runs = [
      ["deno test", plain, all],
      ["deno task test", task, all],
      ["deno task test:portable", portableTask, portable],
    ] as const;
    for (const [command, run, expected] of runs) {
      assert.equal(run.code, 1, `${command}: ${run.output}`);
      assert.deepEqual(ran(run.output), expected, command);
      assertNamesFailure(run.output, command);
    }
    assert.ok(portable.length < all.length && portable.length > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
