/**
 * End to end over loopback: the program as a subprocess against the emulator as a subprocess
 * (`outage-sync mock-api`), and `outage-sync demo`.
 */

import assert from "node:assert/strict";
import { realExpected } from "./helpers.ts";
import { baseEnv, MAIN, runCli } from "./cli_process.ts";

const KEY = "SENTINEL-e2e-key-a1b2";

/** `deno run` arguments for `outage-sync mock-api --port 0` with the `deno task mock` permissions. */
const MOCK_API = [
  "run",
  "--no-lock",
  "--allow-net=127.0.0.1",
  "--allow-env",
  "--allow-read",
  MAIN,
  "mock-api",
  "--port",
  "0",
];

/** Starts `outage-sync mock-api --port 0` and reads its URL from the first stdout line. */
async function startMockProcess(extra: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...MOCK_API, ...extra],
    clearEnv: true,
    env: { ...baseEnv(), KRAKENFLEX_API_KEY: KEY },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
  }
  const url = text.trim().split("\n")[0];
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  return {
    url,
    async stop(): Promise<{ code: number; stderr: string }> {
      child.kill("SIGTERM");
      const rest = (async () => {
        for (;;) if ((await reader.read()).done) break;
      })();
      const [status, stderr] = await Promise.all([
        child.status,
        new Response(child.stderr).text(),
        rest,
      ]);
      return { code: status.code, stderr };
    },
  };
}

Deno.test("sync (subprocess) against mock-api (subprocess): one GET /outages, one site-info, one exact POST", async () => {
  const mock = await startMockProcess();
  let stopped = false;
  try {
    const result = await runCli(["sync", "--base-url", `${mock.url}/interview-tests-mock-api/v1`], {
      env: { KRAKENFLEX_API_KEY: KEY },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^posted +norwich-pear-tree \(Norwich Pear Tree\): 10 outages posted/m,
    );
    const log = await (await fetch(`${mock.url}/__mock/requests`)).json();
    assert.deepEqual(
      log.map((entry: { method: string; path: string; status: number }) =>
        `${entry.method} ${entry.path} ${entry.status}`
      )
        .sort(),
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
    const { code, stderr } = await mock.stop();
    stopped = true;
    assert.equal(code, 0, stderr);
  } finally {
    if (!stopped) await mock.stop();
  }
});

Deno.test("mock-api refuses to start without a key (exit 2) and names what to do", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: MOCK_API,
    clearEnv: true,
    env: baseEnv(),
    stdin: "null",
  }).output();
  assert.equal(output.code, 2);
  assert.match(new TextDecoder().decode(output.stderr), /key/i);
});

Deno.test("demo: exit 0 and a report naming norwich-pear-tree and 10 outages posted", async () => {
  const result = await runCli(["demo"], {
    permissions: ["--allow-net=127.0.0.1", "--allow-env", "--allow-read"],
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /^posted +norwich-pear-tree \(Norwich Pear Tree\): 10 outages posted/m,
  );
  assert.match(result.stderr, /the emulator accepted the POST/);
  assert.match(result.stderr, /POST \/site-outages\/norwich-pear-tree → 200/);
});

Deno.test("demo --json prints the JSON report", async () => {
  const result = await runCli(["demo", "--json"]);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.ok, true);
  assert.equal(report.sites[0].status, "posted");
  assert.equal(report.sites[0].kept, 10);
});
