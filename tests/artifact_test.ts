/**
 * The single-file artifacts (docs/spec.md §9): the bundle built and run end to end from an empty directory
 * with an empty Deno cache, its permissions, and the compiled binary where it can be built.
 */

import assert from "node:assert/strict";
import { bundle, bundleShebang, compile, permissionFlags } from "../scripts/build.ts";
import { startMockServer } from "../src/mock/server.ts";
import { runProcess } from "./cli_process.ts";
import { realExpected, tempDir } from "./helpers.ts";

const KEY = "SENTINEL-artifact-key-0d";

/** Runs an artifact directly (its shebang or its own binary) from an empty directory with an empty cache. */
async function runArtifact(path: string, args: string[], env: Record<string, string> = {}) {
  await using cache = await tempDir("outage-sync-cache-");
  return await runProcess(path, args, { env: { DENO_DIR: cache.path, ...env } });
}

/** The artifact run as a sync against the emulator: exact payload, exit 0. */
async function assertSyncs(path: string) {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  const result = await runArtifact(path, ["sync", "--base-url", server.url], {
    KRAKENFLEX_API_KEY: KEY,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /^posted +norwich-pear-tree \(Norwich Pear Tree\): 10 outages posted/m,
  );
  const posts = server.api.requests().filter((entry) => entry.method === "POST");
  assert.equal(posts.length, 1);
  assert.equal(JSON.stringify(posts[0].body), JSON.stringify(realExpected));
}

Deno.test("the bundle: one executable file that syncs from an empty directory and an empty cache", async (t) => {
  await using dir = await tempDir("outage-sync-bundle-");
  const path = `${dir.path}/outage-sync.js`;
  await bundle(false, path);
  const text = await Deno.readTextFile(path);
  await t.step("its shebang carries the permission set of deno.json and nothing else", () => {
    assert.equal(text.split("\n")[0], bundleShebang());
    assert.equal(
      bundleShebang(),
      `#!/usr/bin/env -S deno run --no-prompt ${permissionFlags().join(" ")}`,
    );
    for (const forbidden of ["--allow-all", "-A ", "--allow-run", "--allow-ffi"]) {
      assert.ok(!text.split("\n")[0].includes(forbidden), forbidden);
    }
    // sys only to read the user's id (the state directory's owner check), nothing more.
    assert.deepEqual(text.split("\n")[0].match(/--allow-sys\S*/g), ["--allow-sys=uid"]);
    assert.ok((Deno.statSync(path).mode ?? 0) & 0o100, "not executable");
  });
  await t.step("it imports nothing: npm and local modules are inlined", () => {
    assert.doesNotMatch(text, /^import .* from ["'](npm:|jsr:|\.\/|https?:)/m);
  });
  await t.step("--version", async () => {
    const result = await runArtifact(path, ["--version"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^outage-sync \d+\.\d+\.\d+ \(.+\)$/m);
  });
  await t.step("sync end to end against the emulator", () => assertSyncs(path));
  await t.step("demo", async () => {
    const result = await runArtifact(path, ["demo"]);
    assert.equal(result.code, 0, result.stderr);
  });
  await t.step("it cannot write files outside the metrics directories", async () => {
    await using server = await startMockServer({ apiKey: KEY, port: 0 });
    await using target = await tempDir();
    const result = await runArtifact(path, [
      "--base-url",
      server.url,
      "--metrics-file",
      `${target.path}/m.prom`,
    ], {
      KRAKENFLEX_API_KEY: KEY,
    });
    assert.equal(result.code, 2, "refused before any request");
    assert.match(result.stderr, /Cannot write the metrics file .*: no write permission/);
    assert.equal([...Deno.readDirSync(target.path)].length, 0);
  });
  await t.step(
    "code run under the same permissions can neither write nor start programs",
    async () => {
      const probe = `${dir.path}/probe.js`;
      await Deno.writeTextFile(
        probe,
        `${bundleShebang()}
const results = [];
try { Deno.writeTextFileSync(${
          JSON.stringify(`${dir.path}/written`)
        }, "x"); results.push("wrote"); } catch (e) { results.push(e.name); }
try { new Deno.Command("true").outputSync(); results.push("ran"); } catch (e) { results.push(e.name); }
console.log(results.join(","));
`,
      );
      await Deno.chmod(probe, 0o755);
      const result = await runArtifact(probe, []);
      assert.equal(result.stdout.trim(), "NotCapable,NotCapable", result.stderr);
    },
  );
});

/** Whether `deno compile` can get its runtime: `DENORT_BIN` is set, or dl.deno.land resolves. */
async function compileUnavailable(): Promise<string | undefined> {
  if (Deno.env.get("DENORT_BIN")) return undefined;
  try {
    await Deno.resolveDns("dl.deno.land", "A");
    return undefined;
  } catch (error) {
    return `deno compile downloads its runtime from dl.deno.land, which is unreachable here (${
      (error as Error).name
    }) and DENORT_BIN is not set`;
  }
}

const skipCompile = await compileUnavailable();
if (skipCompile !== undefined) {
  // deno-lint-ignore no-console -- a skipped test must say why, where the test output shows it.
  console.log(`SKIPPED compile test: ${skipCompile}`);
}

Deno.test({
  name: `the compiled binary syncs end to end${
    skipCompile === undefined ? "" : ` (skipped: ${skipCompile})`
  }`,
  ignore: skipCompile !== undefined,
  async fn() {
    await using dir = await tempDir("outage-sync-compile-");
    const path = await compile(undefined, false, `${dir.path}/outage-sync`);
    const version = await runArtifact(path, ["--version"]);
    assert.match(version.stdout, new RegExp(`\\(${Deno.build.target}\\)`));
    await assertSyncs(path);
  },
});
