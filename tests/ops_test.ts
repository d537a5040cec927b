/** `check` and `--metrics-file` against the emulator, in process. */

import assert from "node:assert/strict";
import { startMockServer } from "../src/mock/server.ts";
import { runMain } from "./in_process.ts";
import { parsePrometheus } from "./prometheus.ts";
import { runCli } from "./cli_process.ts";

const KEY = "SENTINEL-ops-key-4c";

Deno.test("check reaches every endpoint it needs, prints what it found, posts nothing", async () => {
  const server = await startMockServer({ apiKey: KEY, port: 0 });
  try {
    const result = await runMain(["check", "--base-url", server.url], { KRAKENFLEX_API_KEY: KEY });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^checked +norwich-pear-tree \(Norwich Pear Tree\): reachable, 8 devices$/m,
    );
    assert.match(
      result.stdout,
      /^OK: 1 site \(1 checked\); 108 outages fetched; .*check only, nothing posted$/m,
    );
    const log = server.api.requests();
    assert.deepEqual(log.map((e) => e.method).sort(), ["GET", "GET"]);
  } finally {
    await server.close();
  }
});

Deno.test("check names what is wrong: bad key → exit 1; unknown site among good → exit 3; bad config → 2", async () => {
  const server = await startMockServer({ apiKey: KEY, port: 0 });
  try {
    const badKey = await runMain(["check", "--base-url", server.url], {
      KRAKENFLEX_API_KEY: "nope",
    });
    assert.equal(badKey.code, 1);
    assert.match(badKey.stdout, /the API answered 403: You do not have the required permissions/);
    const partial = await runMain([
      "check",
      "--base-url",
      server.url,
      "--site",
      "norwich-pear-tree,elsewhere",
    ], {
      KRAKENFLEX_API_KEY: KEY,
    });
    assert.equal(partial.code, 3);
    assert.match(
      partial.stdout,
      /^failed +elsewhere: GET \/site-info\/elsewhere: the API answered 404/m,
    );
    const config = await runMain(["check", "--base-url", "ftp://x"], { KRAKENFLEX_API_KEY: KEY });
    assert.equal(config.code, 2);
    assert.equal(server.api.requests().filter((e) => e.method === "POST").length, 0);
  } finally {
    await server.close();
  }
});

Deno.test("--metrics-file: written after a sync, parsed; a failed run keeps the last success time", async () => {
  const server = await startMockServer({ apiKey: KEY, port: 0 });
  const dir = await Deno.makeTempDir();
  const path = `${dir}/outage_sync.prom`;
  const permissions = [
    "--allow-net=127.0.0.1",
    "--allow-env",
    "--allow-read",
    `--allow-write=${dir}`,
  ];
  try {
    const ok = await runCli(["--base-url", server.url, "--metrics-file", path], {
      env: { KRAKENFLEX_API_KEY: KEY },
      permissions,
    });
    assert.equal(ok.code, 0, ok.stderr);
    const first = parsePrometheus(await Deno.readTextFile(path));
    const get = (parsed: typeof first, name: string, labels: Record<string, string> = {}) =>
      parsed.samples.find((s) =>
        s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
      )
        ?.value;
    assert.equal(
      get(first, "outage_sync_site_status", { site: "norwich-pear-tree", status: "posted" }),
      1,
    );
    assert.equal(get(first, "outage_sync_site_outages_posted", { site: "norwich-pear-tree" }), 10);
    assert.equal(get(first, "outage_sync_run_exit_code"), 0);
    assert.equal(get(first, "outage_sync_run_attempts"), 3);
    const success = get(first, "outage_sync_last_success_timestamp_seconds");
    assert.ok(success !== undefined && Math.abs(success - Date.now() / 1000) < 60);

    const failed = await runCli(["--base-url", server.url, "--metrics-file", path], {
      env: { KRAKENFLEX_API_KEY: "wrong" },
      permissions,
    });
    assert.equal(failed.code, 1);
    const second = parsePrometheus(await Deno.readTextFile(path));
    assert.equal(get(second, "outage_sync_run_exit_code"), 1);
    assert.equal(
      get(second, "outage_sync_site_status", { site: "norwich-pear-tree", status: "failed" }),
      1,
    );
    assert.equal(get(second, "outage_sync_last_success_timestamp_seconds"), success);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--metrics-file without write permission: logged, the sync's exit code unchanged", async () => {
  const server = await startMockServer({ apiKey: KEY, port: 0 });
  const dir = await Deno.makeTempDir();
  try {
    const result = await runCli(["--base-url", server.url, "--metrics-file", `${dir}/m.prom`], {
      env: { KRAKENFLEX_API_KEY: KEY },
    });
    assert.equal(result.code, 0);
    assert.match(
      result.stderr,
      /ERROR cannot write the metrics file .*hint="grant write access to that path"/,
    );
    assert.equal([...Deno.readDirSync(dir)].length, 0);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
