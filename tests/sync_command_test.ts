/**
 * `outage-sync sync` and `outage-sync check` through the dispatcher, in process, over real HTTP
 * against a scripted API or the emulator: the report on stdout, logs on stderr, exit codes, usage
 * errors, the key kept out of every output, and the metrics file.
 */

import assert from "node:assert/strict";
import type { FileWriter } from "../src/atomic_file.ts";
import { startMockServer } from "../src/mock/server.ts";
import { readTextFile, stateFiles } from "../src/cli/real_io.ts";
import {
  memoryFiles,
  realExpected,
  realFileWriter,
  realOutages,
  realSiteInfo,
  tempDir,
} from "./helpers.ts";
import { runMain } from "./in_process.ts";
import { parsePrometheus } from "./prometheus.ts";
import { json, type ScriptedServer, startScriptedServer } from "./scripted_server.ts";

const KEY = "SENTINEL-cli-key-5b2c";

/** A faithful enough API: the real data, the key checked, unknown sites 404. */
function fakeApi(): ScriptedServer {
  return startScriptedServer((request, seen) => {
    if (request.headers.get("x-api-key") !== KEY) {
      return json(
        { message: "You do not have the required permissions to make this request." },
        403,
      );
    }
    if (seen.method === "GET" && seen.path === "/outages") return json(realOutages);
    if (seen.method === "GET" && seen.path === "/site-info/norwich-pear-tree") {
      return json(realSiteInfo);
    }
    if (seen.method === "POST" && seen.path === "/site-outages/norwich-pear-tree") {
      return seen.body === JSON.stringify(realExpected)
        ? json({})
        : json({ message: "wrong payload" }, 400);
    }
    return json({ message: "You have requested a resource that does not exist." }, 404);
  });
}

Deno.test("sync posts the exact payload: exit 0, the report on stdout, logs on stderr", async () => {
  await using server = fakeApi();
  const result = await runMain(["sync", "--base-url", server.url], { KRAKENFLEX_API_KEY: KEY });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /^posted +norwich-pear-tree \(Norwich Pear Tree\): 10 outages posted/m,
  );
  assert.match(result.stdout, /^OK: 1 site \(1 posted\); 108 outages fetched/m);
  assert.doesNotMatch(result.stdout, /INFO/);
  assert.match(result.stderr, /INFO {2}posted site=norwich-pear-tree outages=10/);
  const posts = server.requests.filter((r) => r.method === "POST");
  assert.equal(posts.length, 1);
  assert.equal(posts[0].body, JSON.stringify(realExpected));
});

Deno.test("sync is the default command", async () => {
  await using server = fakeApi();
  const result = await runMain(["--base-url", server.url, "-q"], { KRAKENFLEX_API_KEY: KEY });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  assert.equal(server.requests.filter((r) => r.method === "POST").length, 1);
});

Deno.test("--json prints one JSON document with the SPEC fields", async () => {
  await using server = fakeApi();
  const result = await runMain(["--json", "--dry-run", "--base-url", server.url + "/"], {
    KRAKENFLEX_API_KEY: KEY,
  });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.deepEqual(Object.keys(report), [
    "ok",
    "dryRun",
    "since",
    "baseUrl",
    "outagesFetched",
    "outagesInvalid",
    "durationMs",
    "sites",
  ]);
  assert.equal(report.dryRun, true);
  assert.equal(report.baseUrl, server.url);
  assert.deepEqual(report.sites[0].payload, realExpected);
  assert.equal(server.requests.filter((r) => r.method === "POST").length, 0);
});

Deno.test("usage errors exit 2 with a one-line message and a hint, before any request", async (t) => {
  await using server = fakeApi();
  const cases: [string[], RegExp][] = [
    [["--dryrun"], /^outage-sync: Unknown option "--dryrun"\nDid you mean "--dry-run"\?/],
    [
      ["--since", "2022-01-01"],
      /^outage-sync: Cannot parse "--since": expected an RFC 3339 timestamp/,
    ],
    [["--base-url", "http://example.com"], /the API key is only sent over https/],
    [["--timeout", "soon"], /Cannot parse "--timeout": expected a number/],
    [["frobnicate"], /^outage-sync: Unknown command "frobnicate"/],
    [
      ["check", "--site", "a", "--timeout", "1", "--timeout", "2"],
      /^outage-sync: Option "--timeout" is given 2 times: "1", "2"\nGive it once\. Run `outage-sync check --help`/,
    ],
    [
      ["--since", "2022-01-01T00:00:00Z", "--since", "2023-01-01T00:00:00Z"],
      /^outage-sync: Option "--since" is given 2 times/,
    ],
  ];
  for (const [args, pattern] of cases) {
    await t.step(args.join(" "), async () => {
      const result = await runMain(args, {
        KRAKENFLEX_API_KEY: KEY,
        KRAKENFLEX_BASE_URL: server.url,
      });
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split("\n").length, 2, result.stderr);
    });
  }
  assert.equal(server.requests.length, 0);
});

Deno.test("a missing key is a usage error and no request is made", async () => {
  await using server = fakeApi();
  const result = await runMain(["--base-url", server.url]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    "outage-sync: No API key: KRAKENFLEX_API_KEY is not set\n" +
      "Set KRAKENFLEX_API_KEY in the environment or in .env, or name a key file with --api-key-file.\n",
  );
  assert.equal(server.requests.length, 0);
});

Deno.test("a wrong key (403) fails the run with the API's message: exit 1", async () => {
  await using server = fakeApi();
  const result = await runMain(["--base-url", server.url], { KRAKENFLEX_API_KEY: "wrong-key" });
  assert.equal(result.code, 1);
  assert.match(
    result.stdout,
    /^failed +norwich-pear-tree: GET \/site-info\/norwich-pear-tree: the API answered 403: You do not have/m,
  );
  assert.match(result.stdout, /^FAILED: 1 site \(1 failed\)/m);
  assert.equal(server.requests.filter((r) => r.method === "POST").length, 0);
});

Deno.test("an unknown site (404) fails that site; with a good one the exit is 3", async () => {
  await using server = fakeApi();
  const result = await runMain(
    ["--base-url", server.url, "--site", "norwich-pear-tree,nowhere"],
    { KRAKENFLEX_API_KEY: KEY },
  );
  assert.equal(result.code, 3);
  assert.match(
    result.stdout,
    /^failed +nowhere: GET \/site-info\/nowhere: the API answered 404: You have requested/m,
  );
  assert.match(result.stdout, /^posted +norwich-pear-tree/m);
});

Deno.test("the key and the base URL can come from a .env file; the environment wins", async () => {
  await using server = fakeApi();
  const files = { ".env": `KRAKENFLEX_API_KEY = ${KEY}\nKRAKENFLEX_BASE_URL=${server.url}\n` };
  const fromFile = await runMain(["-q"], {}, { files });
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const overridden = await runMain(["-q"], { KRAKENFLEX_API_KEY: "wrong-key" }, { files });
  assert.equal(overridden.code, 1);
});

Deno.test("the key never appears in any output at debug level, text or JSON, success or failure", async () => {
  // An API that echoes the key back in its error message must not make us print it.
  await using server = startScriptedServer((_, seen) =>
    seen.path === "/outages"
      ? json(realOutages)
      : json({ message: `key ${seen.headers.get("x-api-key")} refused` }, 403)
  );
  for (const format of ["text", "json"]) {
    for (const extra of [[], ["--json"]]) {
      const result = await runMain(
        ["--base-url", server.url, "--log-level", "debug", "--log-format", format, ...extra],
        { KRAKENFLEX_API_KEY: KEY },
      );
      assert.equal(result.code, 1);
      assert.ok(result.stderr.length > 0 && result.stdout.length > 0);
      assert.ok(!result.stdout.includes(KEY), `key in stdout (${format})`);
      assert.ok(!result.stderr.includes(KEY), `key in stderr (${format})`);
      assert.match(result.stdout, /key \[redacted\] refused/);
    }
  }
});

Deno.test("JSON log lines carry time, level and msg", async () => {
  await using server = fakeApi();
  const result = await runMain(["--base-url", server.url, "--log-format", "json", "-v"], {
    KRAKENFLEX_API_KEY: KEY,
  });
  assert.equal(result.code, 0);
  const lines = result.stderr.trim().split("\n").map((line) => JSON.parse(line));
  assert.ok(lines.length >= 4);
  for (const line of lines) {
    assert.equal(typeof line.time, "string");
    assert.ok(["error", "warn", "info", "debug"].includes(line.level));
    assert.equal(typeof line.msg, "string");
  }
  assert.ok(lines.some((line) => line.level === "debug" && line.msg === "request"));
  assert.ok(lines.some((line) => line.msg === "finished" && line.code === 0));
});

Deno.test("check reaches every endpoint it needs, prints what it found, posts nothing", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
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
  assert.deepEqual(server.api.requests().map((e) => e.method).sort(), ["GET", "GET"]);
});

Deno.test("check names what is wrong: bad key → exit 1; unknown site among good → exit 3; bad config → 2", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  const badKey = await runMain(["check", "--base-url", server.url], {
    KRAKENFLEX_API_KEY: "nope-not-the-key",
  });
  assert.equal(badKey.code, 1);
  assert.match(badKey.stdout, /the API answered 403: You do not have the required permissions/);
  const partial = await runMain(
    ["check", "--base-url", server.url, "--site", "norwich-pear-tree,elsewhere"],
    { KRAKENFLEX_API_KEY: KEY },
  );
  assert.equal(partial.code, 3);
  assert.match(
    partial.stdout,
    /^failed +elsewhere: GET \/site-info\/elsewhere: the API answered 404/m,
  );
  const config = await runMain(["check", "--base-url", "ftp://x"], { KRAKENFLEX_API_KEY: KEY });
  assert.equal(config.code, 2);
  assert.match(config.stderr, /Run `outage-sync check --help`|only sent over https/);
  assert.equal(server.api.requests().filter((e) => e.method === "POST").length, 0);
});

Deno.test("--metrics-file: written after a sync; a failed run keeps the last success time", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  const path = "/var/lib/node_exporter/textfile_collector/outage_sync.prom";
  const { files, fs } = memoryFiles();
  const args = ["--base-url", server.url, "--metrics-file", path];
  const ok = await runMain(args, { KRAKENFLEX_API_KEY: KEY }, { files, fs });
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(Object.keys(files), [path]);
  const first = parsePrometheus(files[path]);
  const get = (parsed: typeof first, name: string, labels: Record<string, string> = {}) =>
    parsed.samples.find((s) =>
      s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    )?.value;
  assert.equal(
    get(first, "outage_sync_site_status", { site: "norwich-pear-tree", status: "posted" }),
    1,
  );
  assert.equal(get(first, "outage_sync_site_outages_posted", { site: "norwich-pear-tree" }), 10);
  assert.equal(get(first, "outage_sync_run_exit_code"), 0);
  assert.equal(get(first, "outage_sync_run_attempts"), 3);
  const success = get(first, "outage_sync_last_success_timestamp_seconds");
  assert.ok(success !== undefined && Math.abs(success - Date.now() / 1000) < 60);

  const failed = await runMain(args, { KRAKENFLEX_API_KEY: "wrong-key-1234" }, { files, fs });
  assert.equal(failed.code, 1);
  const second = parsePrometheus(files[path]);
  assert.equal(get(second, "outage_sync_run_exit_code"), 1);
  assert.equal(
    get(second, "outage_sync_site_status", { site: "norwich-pear-tree", status: "failed" }),
    1,
  );
  assert.equal(get(second, "outage_sync_last_success_timestamp_seconds"), success);
});

Deno.test("--metrics-file that cannot be written: exit 2 naming the path and the fix, before any request", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  for (const command of ["sync", "check"]) {
    const result = await runMain([command, "--base-url", server.url, "--metrics-file", "/m.prom"], {
      KRAKENFLEX_API_KEY: KEY,
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /Cannot write the metrics file "\/m\.prom": file writes are not available here\n.*--metrics-file, KRAKENFLEX_METRICS_FILE/,
    );
  }
  assert.equal(server.api.requests().length, 0);
});

Deno.test("a metrics write that fails at the end: exit 4 after a good sync, and the report says so", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  const path = "/metrics/outage_sync.prom";
  const { files, fs } = memoryFiles();
  // The probe before the run works; the rename at the end does not (e.g. the disk filled up).
  const failing: FileWriter = {
    ...fs,
    rename: (_from, to) =>
      to === path ? Promise.reject(new Error("no space left on device")) : fs.rename(_from, to),
  };
  const args = ["--base-url", server.url, "--metrics-file", path];
  const text = await runMain(args, { KRAKENFLEX_API_KEY: KEY }, { files, fs: failing });
  assert.equal(text.code, 4, text.stderr);
  assert.match(text.stdout, /^posted +norwich-pear-tree/m);
  assert.match(
    text.stdout,
    /^metrics not written: cannot write "\/metrics\/outage_sync\.prom": no space left on device$/m,
  );
  assert.match(text.stdout, /^FAILED: 1 site \(1 posted\)/m);
  assert.match(
    text.stderr,
    /ERROR cannot write the metrics file path=\/metrics\/outage_sync\.prom/,
  );
  const json = await runMain([...args, "--json"], { KRAKENFLEX_API_KEY: KEY }, {
    files,
    fs: failing,
  });
  assert.equal(json.code, 4);
  const document = JSON.parse(json.stdout);
  assert.equal(document.ok, false);
  assert.match(document.metricsError, /no space left on device/);
  assert.deepEqual(Object.keys(files), []);
  // A sync that failed already keeps its own code: 1 says more than 4.
  const failed = await runMain(args, { KRAKENFLEX_API_KEY: "wrong-key-1234" }, {
    files,
    fs: failing,
  });
  assert.equal(failed.code, 1);
});

Deno.test("check and dry runs never change a sync's metrics, usage errors included", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  const path = "/var/lib/node_exporter/textfile_collector/outage_sync.prom";
  const { files, fs } = memoryFiles();
  const metrics = ["--base-url", server.url, "--metrics-file", path];
  const failed = await runMain(metrics, { KRAKENFLEX_API_KEY: "wrong-key-1234" }, { files, fs });
  assert.equal(failed.code, 1);
  const written = files[path];
  assert.match(written, /^outage_sync_site_status\{site="norwich-pear-tree",status="failed"\} 1$/m);
  assert.match(written, /^outage_sync_run_exit_code 1$/m);
  assert.match(written, /^outage_sync_last_success_timestamp_seconds 0$/m);
  for (
    const args of [
      ["check", ...metrics],
      ["sync", "--dry-run", ...metrics],
      ["check", "--bogus", ...metrics],
      ["sync", "--dry-run", "--bogus", ...metrics],
    ]
  ) {
    const result = await runMain(args, { KRAKENFLEX_API_KEY: KEY }, { files, fs });
    assert.ok([0, 2].includes(result.code), `${args.join(" ")}: ${result.stderr}`);
    assert.deepEqual(Object.keys(files), [path], args.join(" "));
    assert.equal(files[path], written, args.join(" "));
  }
});

Deno.test("check fails where sync fails: invalid records, an unusable state directory or metrics path", async () => {
  const outages = [...(realOutages as unknown[]), { id: "broken" }];
  await using server = startScriptedServer((_request, seen) => {
    if (seen.method === "POST") return json({});
    if (seen.path === "/outages") return json(outages);
    if (seen.path === "/site-info/norwich-pear-tree") return json(realSiteInfo);
    return json({ message: "no" }, 404);
  });
  const env = { KRAKENFLEX_API_KEY: KEY };
  for (const command of ["sync", "check"]) {
    const invalid = await runMain([command, "--base-url", server.url], env);
    assert.equal(invalid.code, 1, `${command}: ${invalid.stdout}`);
    assert.match(invalid.stderr, /invalid outage/);
    const skipped = await runMain([command, "--base-url", server.url, "--skip-invalid"], env);
    assert.equal(skipped.code, 0, `${command}: ${skipped.stderr}`);
    const state = await runMain([command, "--base-url", server.url, "--state-dir", "/s"], env);
    assert.equal(state.code, 2, `${command}: ${state.stderr}`);
    assert.match(state.stderr, /Cannot use the state directory "\/s"/);
  }
  assert.equal(server.requests.filter((r) => r.method === "POST").length, 1);
});

Deno.test("check on real files: the state directory and metrics path proved usable, nothing left behind", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  await using dir = await tempDir();
  const state = `${dir.path}/state`;
  const metrics = `${dir.path}/metrics`;
  await Deno.mkdir(metrics);
  const check = () =>
    runMain(
      [
        "check",
        "--base-url",
        server.url,
        "--state-dir",
        state,
        "--metrics-file",
        `${metrics}/m.prom`,
      ],
      { KRAKENFLEX_API_KEY: KEY },
      { fs: realFileWriter, readTextFile, stateFiles },
    );
  const first = await check();
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual([...Deno.readDirSync(metrics)], [], "no metrics, no probe left");
  assert.deepEqual([...Deno.readDirSync(state)].map((e) => e.name), [".lock"]);
  // Another run holds the lock: check does not wait for it, and leaves it held.
  const held = await stateFiles.tryLock(`${state}/.lock`, "pid 4242, since 2026-12-01T10:00:00Z");
  assert.ok(held.held);
  try {
    const second = await check();
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /the state directory is usable; another run holds its lock now/);
    assert.ok(!(await stateFiles.tryLock(`${state}/.lock`, "x")).held, "still held");
  } finally {
    held.release();
  }
  assert.equal(server.api.requests().filter((e) => e.method === "POST").length, 0);
});

Deno.test("check's help lists only its own options; sync's lists them all", async () => {
  const check = await runMain(["check", "--help"], {});
  const sync = await runMain(["sync", "--help"], {});
  for (const flag of ["--dry-run", "--force", "--post-empty", "--repost-after"]) {
    assert.ok(!check.stdout.includes(flag), `check --help lists ${flag}`);
    assert.ok(sync.stdout.includes(flag), `sync --help lacks ${flag}`);
  }
  for (const flag of ["--site", "--skip-invalid", "--state-dir", "--metrics-file", "--json"]) {
    assert.ok(check.stdout.includes(flag), `check --help lacks ${flag}`);
  }
});

Deno.test("a .env value cut at an unquoted # is warned about, and named with the error it causes", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  const cutSite = await runMain(["--base-url", server.url, "--dry-run"], {}, {
    files: { ".env": `KRAKENFLEX_API_KEY=${KEY}\nKRAKENFLEX_SITE=norwich-pear-tree #main site\n` },
  });
  assert.equal(cutSite.code, 0, cutSite.stderr);
  assert.match(
    cutSite.stderr,
    /WARN {2}\.env line 2: the value of KRAKENFLEX_SITE was cut at "#" \(read as a comment\)/,
  );
  const before = server.api.requests().length;
  const cutKey = await runMain(["--base-url", server.url], {}, {
    files: { ".env": "KRAKENFLEX_API_KEY=abc#defghijklmnop\n" },
  });
  assert.equal(cutKey.code, 2);
  assert.match(cutKey.stderr, /is 3 characters long; keys shorter than 8 are refused\n/);
  assert.match(cutKey.stderr, /\.env line 1: the value of KRAKENFLEX_API_KEY was cut at "#"/);
  assert.ok(!cutKey.stderr.includes("defghijklmnop"));
  assert.equal(server.api.requests().length, before, "no request after a usage error");
});
