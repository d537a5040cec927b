/**
 * The state directory across real processes: two runs at once never interleave (the second waits
 * for the first's lock, then finds the payload unchanged), and a SIGTERM between the POST and the
 * state write leaves no state, so the next run posts again.
 */

import assert from "node:assert/strict";
import { type MockServer, startMockServer } from "../src/mock/server.ts";
import { stateFileName } from "../src/state.ts";
import { NARROW, spawnCli } from "./cli_process.ts";
import { tempDir } from "./helpers.ts";
import { startScriptedServer } from "./scripted_server.ts";

const KEY = "SENTINEL-state-process-key-51";

function permissions(dir: string): string[] {
  return [...NARROW, "--allow-sys=uid", `--allow-write=${dir}`];
}

/**
 * The emulator behind a front server that holds the first POST until `release` resolves: the test
 * decides when the first run's POST (and so its lock) ends, whatever the machine's load.
 */
function holdingFront(server: MockServer, release: Promise<void>) {
  const posted = Promise.withResolvers<void>();
  const base = new URL(server.url);
  const front = startScriptedServer(async (request, seen) => {
    if (seen.method === "POST") {
      posted.resolve();
      await release;
    }
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    for (const name of ["x-api-key", "content-type"]) {
      const value = request.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    const answer = await fetch(`${base.origin}${url.pathname}${url.search}`, {
      method: seen.method,
      headers,
      body: seen.method === "POST" ? seen.body : undefined,
    });
    return new Response(await answer.arrayBuffer(), {
      status: answer.status,
      headers: { "content-type": answer.headers.get("content-type") ?? "application/json" },
    });
  });
  return { front, baseUrl: `${front.url}${base.pathname}`, posted: posted.promise };
}

/** Waits until `ready()` holds, checking every 10 ms; fails after `limitMs` rather than hang. */
async function until(ready: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  for (let waited = 0; !ready(); waited += 10) {
    assert.ok(waited < limitMs, `still waiting for ${what} after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("two runs sharing a state directory: the second waits for the first, then posts nothing", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  const release = Promise.withResolvers<void>();
  const { front, baseUrl, posted } = holdingFront(server, release.promise);
  await using _front = front;
  await using dir = await tempDir();
  const args = ["--base-url", baseUrl, "--state-dir", `${dir.path}/state`];
  const options = { env: { KRAKENFLEX_API_KEY: KEY }, permissions: permissions(dir.path) };
  await using first = spawnCli(args, options);
  // The second starts once the first holds the lock (its POST has arrived, and is held), and the
  // first's POST is answered only once the second says it is waiting for that lock.
  await posted;
  await using second = spawnCli(args, options);
  await until(() => /locked by another run: waiting/.test(second.stderrSoFar()), "the wait");
  release.resolve();
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
