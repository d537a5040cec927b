/**
 * The state directory across real processes: two runs at once never interleave (the second waits
 * for the first's lock, then finds the payload unchanged), and a SIGTERM between the POST and the
 * state write leaves no state, so the next run posts again.
 */

import assert from "node:assert/strict";
import { startMockServer } from "../src/mock/server.ts";
import { stateFileName } from "../src/state.ts";
import { NARROW, spawnCli } from "./cli_process.ts";
import { tempDir } from "./helpers.ts";

const KEY = "SENTINEL-state-process-key-51";

function permissions(dir: string): string[] {
  return [...NARROW, "--allow-sys=uid", `--allow-write=${dir}`];
}

Deno.test("two runs sharing a state directory: the second waits for the first, then posts nothing", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  server.api.script("POST /site-outages", [{ kind: "normal", delayMs: 1200 }]);
  await using dir = await tempDir();
  const args = ["--base-url", server.url, "--state-dir", `${dir.path}/state`];
  const options = { env: { KRAKENFLEX_API_KEY: KEY }, permissions: permissions(dir.path) };
  await using first = spawnCli(args, options);
  // Start the second once the first holds the lock (its POST has arrived).
  for (let i = 0; i < 200 && !server.api.requests().some((r) => r.method === "POST"); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await using second = spawnCli(args, options);
  const [a, b] = await Promise.all([first.output(), second.output()]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.match(a.stdout, /^posted /m);
  assert.match(b.stderr, /the state directory is locked by another run: waiting/);
  assert.match(b.stdout, /^unchanged +norwich-pear-tree/m);
  assert.equal(server.api.requests().filter((r) => r.method === "POST").length, 1);
});

Deno.test("SIGTERM between the POST and the state write: no state, and the next run posts again", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  server.api.script("POST /site-outages", [{ kind: "normal", delayMs: 2000 }]);
  await using dir = await tempDir();
  const state = `${dir.path}/state`;
  const args = ["--base-url", server.url, "--state-dir", state];
  const options = { env: { KRAKENFLEX_API_KEY: KEY }, permissions: permissions(dir.path) };
  await using run = spawnCli(args, options);
  for (let i = 0; i < 300 && !server.api.requests().some((r) => r.method === "POST"); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  run.kill("SIGTERM");
  const stopped = await run.output();
  assert.equal(stopped.code, 143, stopped.stderr);
  const file = `${state}/${await stateFileName("norwich-pear-tree")}`;
  await assert.rejects(Deno.stat(file), Deno.errors.NotFound);
  await using again = spawnCli(args, options);
  const next = await again.output();
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stdout, /^posted +norwich-pear-tree .*\(never posted before\)/m);
});

Deno.test("without --allow-sys=uid the state directory's owner cannot be checked: exit 2, never used unchecked", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  await using dir = await tempDir();
  const args = ["--base-url", server.url, "--state-dir", `${dir.path}/state`];
  const options = {
    env: { KRAKENFLEX_API_KEY: KEY },
    permissions: [...NARROW, `--allow-write=${dir.path}`],
  };
  await using run = spawnCli(args, options);
  const result = await run.output();
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    /Cannot use the state directory ".*\/state": its owner cannot be checked without the permission to read this user's id/,
  );
  assert.match(result.stderr, /--allow-sys=uid/);
  assert.equal(server.api.requests().length, 0);
});
