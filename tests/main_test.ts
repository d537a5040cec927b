/**
 * `main.ts` as a subprocess, where the process is the point: its own `--version` path, the `.env`
 * of the working directory, the permissions of `deno task sync`, real signals, and a sync against
 * the emulator, both started as an operator starts them.
 */

import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { startMockServer } from "../src/mock/server.ts";
import { runCli, spawnCli } from "./cli_process.ts";
import { realExpected, tempDir } from "./helpers.ts";

const KEY = "SENTINEL-main-key-a1b2";

Deno.test("--version prints the version of deno.json and the target", async () => {
  const result = await runCli(["--version"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `outage-sync ${denoJson.version} (${Deno.build.target})\n`);
  assert.equal(result.stderr, "");
});

Deno.test("the .env file of the working directory is read at run time", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/.env`,
    `# test\nKRAKENFLEX_API_KEY = ${KEY}\nKRAKENFLEX_BASE_URL=${server.url}\n`,
  );
  const result = await runCli(["-q"], { cwd: dir.path });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(server.api.requests().filter((entry) => entry.status === 200).length, 3);
});

Deno.test("--metrics-file without write permission: exit 2 with a hint, before any request", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  await using dir = await tempDir();
  const result = await runCli(["--base-url", server.url, "--metrics-file", `${dir.path}/m.prom`], {
    env: { KRAKENFLEX_API_KEY: KEY },
  });
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /Cannot write the metrics file ".*\/m\.prom": no write permission for this path\n.*this build may write only under \/var\/lib\/node_exporter\/textfile_collector, \/var\/lib\/prometheus\/node-exporter/,
  );
  assert.equal(server.api.requests().length, 0);
  assert.deepEqual([...Deno.readDirSync(dir.path)], []);
});

/** Half the 30 s --timeout of the hanging request below: the margin for a slow runner. */
const SIGNAL_BOUND_MS = 15_000;

for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
  Deno.test(`${signal} during a hanging request: exit ${code} long before the timeout, report printed, no POST`, async () => {
    await using server = await startMockServer({ apiKey: KEY, port: 0 });
    server.api.script("GET /outages", ["hang"]);
    await using child = spawnCli(["sync", "--base-url", server.url, "--timeout", "30"], {
      env: { KRAKENFLEX_API_KEY: KEY },
    });
    // Wait until the hanging GET /outages has arrived, then signal.
    const arrived = () => server.api.requests().some((r) => r.path.endsWith("/outages"));
    for (let i = 0; i < 400 && !arrived(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.ok(arrived(), `the request never arrived: ${child.stderrSoFar()}`);
    const sent = performance.now();
    child.kill(signal);
    const output = await child.output();
    const elapsed = performance.now() - sent;
    assert.equal(output.code, code, output.stderr);
    // Time is the behaviour here, so the bound is wide: a program that waited for the request
    // would exit after the 30 s --timeout; the signal ends it in well under a second.
    assert.ok(elapsed < SIGNAL_BOUND_MS, `took ${elapsed} ms`);
    assert.match(output.stdout, /^failed +norwich-pear-tree.*interrupted/m);
    assert.match(output.stdout, new RegExp(`^INTERRUPTED by ${signal}: 1 site`, "m"));
    assert.equal(server.api.requests().filter((r) => r.method === "POST").length, 0);
  });
}

Deno.test("sync (subprocess) against mock-api (subprocess): one GET /outages, one site-info, one exact POST", async () => {
  await using mock = spawnCli(["mock-api", "--port", "0"], { env: { KRAKENFLEX_API_KEY: KEY } });
  const url = await mock.firstLine();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const result = await runCli(["sync", "--base-url", `${url}/interview-tests-mock-api/v1`], {
    env: { KRAKENFLEX_API_KEY: KEY },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /^posted +norwich-pear-tree \(Norwich Pear Tree\): 10 outages posted/m,
  );
  const log = await (await fetch(`${url}/__mock/requests`)).json();
  assert.deepEqual(
    log.map((entry: { method: string; path: string; status: number }) =>
      `${entry.method} ${entry.path} ${entry.status}`
    ).sort(),
    [
      "GET /interview-tests-mock-api/v1/outages 200",
      "GET /interview-tests-mock-api/v1/site-info/norwich-pear-tree 200",
      "POST /interview-tests-mock-api/v1/site-outages/norwich-pear-tree 200",
    ],
  );
  const post = log.find((entry: { method: string }) => entry.method === "POST");
  assert.equal(JSON.stringify(post.body), JSON.stringify(realExpected));
  assert.ok(log.every((entry: { keyPresent: boolean }) => entry.keyPresent));
  assert.ok(!JSON.stringify(log).includes(KEY), "the request log holds the key");
  mock.kill("SIGTERM");
  const stopped = await mock.output();
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stderr, /^mock-api: stopped$/m);
  assert.ok(!stopped.stderr.includes(KEY));
});
