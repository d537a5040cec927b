/**
 * `scripts/build.ts`'s command line: a failed compile ends with the next step (the bundle, or
 * `DENORT_BIN`), and `compile-all` refuses `DENORT_BIN`, which deno compile would put into every
 * target's binary. In process, with a stand-in for `deno`; once as the real script.
 */

import assert from "node:assert/strict";
import {
  type BuildIo,
  buildMain,
  compileAllRefusal,
  nextStepAfterCompileFailure,
  TARGETS,
} from "../scripts/build.ts";
import { runProcess } from "./cli_process.ts";
import { tempDir } from "./helpers.ts";

/** A run of {@link buildMain} whose `deno` fails with exit code 1 (as without dl.deno.land). */
async function failingBuild(args: string[], denortBin?: string) {
  await using dir = await tempDir("outage-sync-build-");
  const errors: string[] = [];
  const calls: string[][] = [];
  const io: BuildIo = {
    denortBin,
    cwd: dir.path,
    error: (line) => errors.push(line),
    runner: (denoArgs) => {
      calls.push(denoArgs);
      return Promise.reject(new Error(`deno ${denoArgs[0]} failed with exit code 1`));
    },
  };
  const code = await buildMain([...args, "--dist", dir.path], io);
  return { code, errors, calls, dir: dir.path };
}

Deno.test("a failed compile says what to do next: the bundle, or DENORT_BIN", async () => {
  const { code, errors, calls, dir } = await failingBuild(["compile"]);
  assert.equal(code, 1);
  assert.deepEqual(errors, [
    "Build failed: deno compile failed with exit code 1",
    "Next: use `deno task bundle` (a single file that runs with deno), or give deno compile its " +
    "runtime with DENORT_BIN=/path/to/denort (docs/operations.md, section 1)",
  ]);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].at(-3), "--output");
  assert.equal(calls[0].at(-2), `${dir}/outage-sync`);
});

Deno.test("with DENORT_BIN set, a failed compile points at that runtime", async () => {
  const { code, errors } = await failingBuild(["compile"], "/opt/denort");
  assert.equal(code, 1);
  assert.equal(errors[1], nextStepAfterCompileFailure("/opt/denort"));
  assert.match(errors[1], /DENORT_BIN is set \("\/opt\/denort"\): check that it names the denort/);
  assert.match(errors[1], new RegExp(`Deno ${Deno.version.deno} for ${Deno.build.target}`));
});

Deno.test("compile-all: stops at the first failure with the next step; refuses DENORT_BIN", async () => {
  const failed = await failingBuild(["compile-all"]);
  assert.equal(failed.code, 1);
  assert.equal(failed.calls.length, 1, "no other target is tried");
  assert.equal(failed.errors[1], nextStepAfterCompileFailure(undefined, "compile-all"));
  // compile-all refuses DENORT_BIN: its hint must not suggest it for compile-all itself.
  assert.doesNotMatch(failed.errors[1], /give deno compile its runtime with DENORT_BIN/);
  assert.match(failed.errors[1], /cannot use a local one/);

  const refused = await failingBuild(["compile-all"], "/opt/denort");
  assert.equal(refused.code, 2);
  assert.deepEqual(refused.calls, [], "nothing was compiled");
  assert.deepEqual(refused.errors, [compileAllRefusal("/opt/denort")]);
  assert.match(refused.errors[0], new RegExp(`all ${TARGETS.length} targets`));
  assert.equal(compileAllRefusal(undefined), undefined);
  assert.equal(compileAllRefusal(""), undefined);
});

Deno.test("a failed bundle adds no compile advice; an unknown command is a usage error", async () => {
  const { code, errors } = await failingBuild(["bundle"]);
  assert.equal(code, 1);
  assert.deepEqual(errors, ["Build failed: deno bundle failed with exit code 1"]);
  const usage = await failingBuild(["binary"]);
  assert.equal(usage.code, 2);
  assert.match(usage.errors[0], /^usage: deno run -A scripts\/build\.ts bundle\|compile/);
});

Deno.test("the real script: compile-all with DENORT_BIN set exits 2 before compiling", async () => {
  const script = new URL("../scripts/build.ts", import.meta.url).href;
  const result = await runProcess(
    Deno.execPath(),
    ["run", "-A", script, "compile-all", "--print"],
    {
      env: { DENORT_BIN: "/opt/denort" },
    },
  );
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr.trim(), compileAllRefusal("/opt/denort"));
});
