/**
 * A failing stdout or stderr does not change a run's outcome (issue 10, item 4): `main.ts` as a
 * subprocess behind real pipes and `/dev/full`, posting to the emulator. The exit code stays the
 * sync's, the POST is made once, the metrics file is written, and a broken stdout is said once on
 * stderr.
 */

import assert from "node:assert/strict";
import { startMockServer } from "../src/mock/server.ts";
import { MAIN, NARROW, runProcess } from "./cli_process.ts";
import { tempDir } from "./helpers.ts";

const KEY = "SENTINEL-output-key-c3d4";

/** `bash -c SCRIPT` around `deno run NARROW --allow-write=DIR main.ts sync ...`, as `"$@"`. */
function syncUnderShell(script: string, url: string, dir: string) {
  return runProcess("bash", [
    "-c",
    script,
    "bash",
    Deno.execPath(),
    "run",
    "--no-lock",
    ...NARROW,
    `--allow-write=${dir}`,
    MAIN,
    "sync",
    "--base-url",
    url,
    "--metrics-file",
    `${dir}/m.prom`,
  ], { env: { KRAKENFLEX_API_KEY: KEY } });
}

const STDOUT_FAILED = (reason: string) =>
  `outage-sync: cannot write to stdout (${reason}); ` +
  "the rest of its output is dropped, and the run's outcome is unchanged\n";

const cases = [
  {
    name: "stdout a pipe whose reader has gone (`| true`)",
    // `true` has exited long before the report is written: the write fails with EPIPE. The
    // first line checks that SIGPIPE would kill a child here (`yes` dies of it, 141), so the
    // program's exit code of 0 shows it is not killed by it either.
    script: 'yes | true; echo "yes:${PIPESTATUS[0]}"; "$@" | true; echo "sync:${PIPESTATUS[0]}"',
    stdoutFails: "broken pipe",
    stderrWorks: true,
  },
  {
    name: "stdout /dev/full",
    script: 'exec "$@" >/dev/full',
    stdoutFails: "no space left on device",
    stderrWorks: true,
  },
  {
    name: "stderr /dev/full",
    script: 'exec "$@" 2>/dev/full',
    stdoutFails: undefined,
    stderrWorks: false,
  },
  {
    name: "stdout and stderr /dev/full",
    script: 'exec "$@" >/dev/full 2>/dev/full',
    stdoutFails: "no space left on device",
    stderrWorks: false,
  },
];

for (const { name, script, stdoutFails, stderrWorks } of cases) {
  Deno.test(`${name}: exit 0, one POST, the metrics written`, async () => {
    await using server = await startMockServer({ apiKey: KEY, port: 0 });
    await using dir = await tempDir();
    const result = await syncUnderShell(script, server.url, dir.path);
    const piped = script.includes("PIPESTATUS");
    if (piped) {
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "yes:141\nsync:0\n", "SIGPIPE kills yes, not the program");
    } else {
      assert.equal(result.code, 0, result.stderr);
    }
    const posts = server.api.requests().filter((entry) => entry.method === "POST");
    assert.equal(posts.length, 1);
    assert.equal(posts[0].status, 200);
    const metrics = await Deno.readTextFile(`${dir.path}/m.prom`);
    assert.match(metrics, /^outage_sync_run_exit_code 0$/m);
    assert.match(
      metrics,
      /^outage_sync_site_status\{site="norwich-pear-tree",status="posted"\} 1$/m,
    );
    if (!stderrWorks) {
      assert.equal(result.stderr, "");
    } else {
      assert.match(result.stderr, /INFO +posted site=norwich-pear-tree/);
      const said = result.stderr.split("\n").filter((line) => line.includes("stdout"));
      assert.deepEqual(said, [STDOUT_FAILED(stdoutFails!).trimEnd()], "said once, in one line");
    }
    if (stdoutFails === undefined) {
      assert.match(result.stdout, /^posted +norwich-pear-tree .*10 outages posted/m);
    } else if (!piped) {
      assert.equal(result.stdout, "");
    }
  });
}
