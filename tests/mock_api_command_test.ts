/**
 * `outage-sync mock-api` through the dispatcher, in process, with captured stdout/stderr and an
 * interrupt standing in for SIGINT.
 */

import assert from "node:assert/strict";
import { mockApiCommand } from "../src/cli/mock_api_command.ts";
import { FAULT_HINT, SHORT_FORM_KINDS } from "../src/mock/script_file.ts";
import { startMockServer } from "../src/mock/server.ts";
import { type InProcessResult, runMain, startMain } from "./in_process.ts";

const KEY = "command-test-key-77d2";

function assertNoKey(output: { stdout: string; stderr: string }): void {
  assert.ok(!(output.stdout + output.stderr).includes(KEY), "the key is never printed");
}

/** Asserts a usage error: exit 2, nothing on stdout, `message` then a one-line hint on stderr. */
function assertUsage(result: InProcessResult, message: string, hint?: string): void {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, "");
  const lines = result.stderr.split("\n");
  assert.equal(lines.length, 3, result.stderr);
  assert.equal(lines[0], `outage-sync: ${message}`);
  if (hint === undefined) {
    // Value errors carry the dispatcher's general hint; flag errors name mock-api's help.
    assert.match(
      lines[1],
      /^(Did you mean "--[a-z-]+"\? |Give it once\. )?Run `outage-sync (mock-api )?--help`/,
    );
  } else {
    assert.equal(lines[1], hint);
  }
  assert.equal(lines[2], "");
  assertNoKey(result);
}

Deno.test("mock-api: usage errors", async (t) => {
  await t.step("--help prints its own usage on stdout and exits 0", async () => {
    const result = await runMain(["mock-api", "--help"]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, mockApiCommand.help);
    assert.match(result.stdout, /--rate-limit N/);
    assert.equal(result.stderr, "");
  });

  await t.step("a missing or blank key is an error on stderr, exit 2", async () => {
    for (const env of [{}, { KRAKENFLEX_API_KEY: "  " }] as Record<string, string>[]) {
      assertUsage(
        await runMain(["mock-api", "--port", "0"], env),
        "No API key: pass --api-key KEY or set KRAKENFLEX_API_KEY",
        "mock-api does not read .env: export the variable or pass the flag. Any key of at " +
          "least 8 characters will do; clients must send the same one.",
      );
    }
  });

  const cases: [string[], string][] = [
    [
      ["--port", "abc"],
      'Cannot parse "--port": expected a whole number from 0 to 65535, got "abc"',
    ],
    [
      ["--port", "70000"],
      'Cannot parse "--port": expected a whole number from 0 to 65535, got "70000"',
    ],
    [
      ["--fail-rate", "1.5"],
      'Cannot parse "--fail-rate": expected a number from 0 to 1, got "1.5"',
    ],
    [["--fail-rate", "-0.1"], 'Option "--fail-rate" needs a value'],
    [
      ["--latency=-5"],
      'Cannot parse "--latency": expected a whole number from 0 to 600000, got "-5"',
    ],
    [
      ["--rate-limit", "0"],
      'Cannot parse "--rate-limit": expected a whole number from 1 to 1000000, got "0"',
    ],
    [
      ["--synthetic", "1e6"],
      'Cannot parse "--synthetic": expected a whole number from 0 to 20000000, got "1e6"',
    ],
    [
      ["--seed", "x"],
      'Cannot parse "--seed": expected a whole number from 0 to 4294967295, got "x"',
    ],
    [["--sites", "2"], 'Cannot use "--sites" without "--synthetic"'],
    [
      ["--data", "a.json", "--synthetic", "10"],
      'Cannot use "--data" and "--synthetic" together: choose one',
    ],
    [["--verbose"], 'Unknown option "--verbose"'],
    [["serve"], 'Unexpected argument "serve"'],
    [["--port"], 'Option "--port" needs a value'],
    [["--port", "1", "--port", "2"], 'Option "--port" is given 2 times: "1", "2"'],
    [
      ["--noise", "none"],
      'Cannot parse "--noise": expected "fresh" or "captured", got "none"',
    ],
    [
      ["--noise", "captured", "--synthetic", "5"],
      'Cannot use "--noise" with "--synthetic": only the embedded captures have noise',
    ],
    [
      ["--gateway-timeout", "-1"],
      'Option "--gateway-timeout" needs a value',
    ],
    [
      ["--gateway-timeout", "1h"],
      'Cannot parse "--gateway-timeout": expected a number from 0 to 3600, got "1h"',
    ],
    [
      ["--log-size", "0"],
      'Cannot parse "--log-size": expected a whole number from 1 to 100000, got "0"',
    ],
  ];
  for (const [args, message] of cases) {
    await t.step(`${args.join(" ")} → exit 2 naming the flag`, async () => {
      assertUsage(await runMain(["mock-api", "--api-key", KEY, ...args]), message);
    });
  }

  await t.step("a mistyped flag gets the one it is close to", async () => {
    assertUsage(
      await runMain(["mock-api", "--api-key", KEY, "--prot", "0"]),
      'Unknown option "--prot"',
      'Did you mean "--port"? Run `outage-sync mock-api --help` for the options.',
    );
  });

  await t.step("a missing --data file → exit 2 naming the path once", async () => {
    const result = await runMain(["mock-api", "--data", "missing.json", "--api-key", KEY]);
    assertUsage(result, 'Cannot read "--data" file "missing.json": no such file');
    assert.equal(result.stderr.split("missing.json").length, 2, result.stderr);
  });

  await t.step("an invalid --data file → exit 2 naming it and the problem", async () => {
    const files = {
      "bad.json":
        '{"outages":[{"id":"a","begin":"2022-01-01","end":"2022-01-01T00:00:00Z"}],"sites":[]}',
    };
    assertUsage(
      await runMain(["mock-api", "--data", "bad.json", "--api-key", KEY], {}, { files }),
      'Cannot use the "--data" file: bad.json: outages[0].begin: ' +
        'not an RFC 3339 timestamp with offset: "2022-01-01"',
    );
  });

  await t.step("a bad --fault → exit 2 naming the entry, with a hint", async () => {
    const result = await runMain([
      "mock-api",
      "--api-key",
      KEY,
      "--fault",
      "GET /outages=500,ok",
      "--fault",
      "POST /site-outages/*=500,explode",
    ]);
    assertUsage(
      result,
      // The kinds the short form names, as the kinds' table gives them (tests/mock_script_file_test.ts).
      'Cannot parse "--fault" "POST /site-outages/*=500,explode": step 2 "explode": expected a ' +
        `status (200-599) or one of ${SHORT_FORM_KINDS.join(", ")}, then [NAME=VALUE;...] ` +
        "(headers, after a status), @MS (a delay) and *N (a repeat) if wanted",
      FAULT_HINT,
    );
  });

  await t.step("a bad or missing --script file → exit 2 naming the file and entry", async () => {
    const files = { "f.json": '{"GET /outages": [503, {"kind": "redirect"}]}' };
    const bad = await runMain(["mock-api", "--api-key", KEY, "--script", "f.json"], {}, { files });
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr.split("\n")[0],
      'outage-sync: Cannot use the "--script" file: f.json: "GET /outages"[1]: "location" must ' +
        "be an absolute URL, got undefined",
    );
    assertUsage(
      await runMain(["mock-api", "--api-key", KEY, "--script", "none.json"]),
      'Cannot read "--script" file "none.json": no such file',
    );
  });

  await t.step(
    "hostile scripts → exit 2 naming the entry, quoting at most 200 characters",
    async () => {
      const steps = JSON.stringify({ "GET /outages": new Array(130_000).fill(500) });
      const many = await runMain(["mock-api", "--api-key", KEY, "--script", "f.json"], {}, {
        files: { "f.json": steps },
      });
      assert.equal(many.code, 2, many.stderr);
      assert.equal(
        many.stderr.split("\n")[0],
        'outage-sync: Cannot use the "--script" file: f.json: "GET /outages": 130000 step(s) make ' +
          "130000 in the file, over the limit of 100000",
      );
      const overLimit = await runMain([
        "mock-api",
        "--api-key",
        KEY,
        "--fault",
        `GET /outages=${new Array(60_000).fill("500").join(",")}`,
        "--fault",
        `GET /outages=${new Array(60_000).fill("500").join(",")}`,
      ]);
      assertUsage(
        overLimit,
        "Cannot queue 120000 scripted steps: the limit is 100000",
        "Use repeat (*N) for a step that answers many requests.",
      );
      // Before, this one listened (and its delay fired after ~1 ms): a run that listens fails here.
      await using lateRun = startMain([
        "mock-api",
        "--api-key",
        KEY,
        "--port",
        "0",
        "--fault",
        `GET /outages=500@${2 ** 31}`,
      ]);
      const listened = await lateRun.firstLine.then(() => true, () => false);
      assert.ok(!listened, "refused before listening");
      const late = { code: await lateRun.code, stderr: lateRun.stderr() };
      assert.equal(late.code, 2, late.stderr);
      assert.match(
        late.stderr,
        /step 1 "500@2147483648": "delayMs" must be a number from 0 to 3600000 \(an hour\), got 2147483648/,
      );
      const huge = "x".repeat(400_000);
      for (
        const text of [
          `{"GET /outages": [{"kind": "status", "status": 500, "body": {}, "${huge}": 1}]}`,
          `{"GET /outages": [{"kind": "${huge}"}]}`,
          `{"GET /outages": ["${huge}"]}`,
          `{"GET /${huge}": [500]}`,
          `{"GET /outages": [{"kind": "status", "status": "${huge}"}]}`,
        ]
      ) {
        const bad = await runMain(["mock-api", "--api-key", KEY, "--script", "f.json"], {}, {
          files: { "f.json": text },
        });
        assert.equal(bad.code, 2);
        const line = bad.stderr.split("\n")[0];
        assert.ok(line.length < 800, `${line.length} characters: ${line.slice(0, 300)}`);
        assert.match(line, /^outage-sync: Cannot use the "--script" file: f\.json: /);
        assert.match(line, /x{190}… \(\d+ characters\)/);
      }
      const fault = await runMain([
        "mock-api",
        "--api-key",
        KEY,
        "--fault",
        `GET /outages=${huge}`,
      ]);
      assert.equal(fault.code, 2);
      assert.ok(fault.stderr.length < 1500, `${fault.stderr.length} characters`);
    },
  );

  await t.step("a port in use → exit 1", async () => {
    await using other = await startMockServer({ apiKey: "x" });
    const result = await runMain(["mock-api", "--port", String(other.port), "--api-key", KEY]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      /^outage-sync: Cannot listen on 127\.0\.0\.1:\d+: the port is in use \(pick another with --port/,
    );
  });
});

Deno.test("mock-api: serving", async (t) => {
  await t.step("prints its URL, serves the captures, stops cleanly on interrupt", async () => {
    const run = startMain(["mock-api", "--port", "0", "--api-key", KEY]);
    const url = await run.firstLine;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(run.stdout(), `${url}\n`);
    const response = await fetch(`${url}/interview-tests-mock-api/v1/site-info/norwich-pear-tree`, {
      headers: { "x-api-key": KEY },
    });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).name, "Norwich Pear Tree");
    run.interrupt();
    assert.equal(await run.code, 0);
    assert.equal(
      run.stderr(),
      `mock-api: serving 108 outages (90 of them fresh noise in every answer), 1 site(s) ` +
        `(norwich-pear-tree) at ${url}\nmock-api: stopped\n`,
    );
    assertNoKey({ stdout: run.stdout(), stderr: run.stderr() });
    await assert.rejects(fetch(`${url}/outages`), TypeError);
  });

  await t.step("takes the key from KRAKENFLEX_API_KEY, trimmed", async () => {
    await using run = startMain(["mock-api", "--port=0"], { KRAKENFLEX_API_KEY: ` ${KEY}\n` });
    const url = await run.firstLine;
    const ok = await fetch(`${url}/outages`, { headers: { "x-api-key": KEY } });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const refused = await fetch(`${url}/outages`, { headers: { "x-api-key": "other" } });
    assert.equal(refused.status, 403);
    await refused.body?.cancel();
    assertNoKey({ stdout: run.stdout(), stderr: run.stderr() });
  });

  await t.step("--synthetic, --sites, --seed, --fail-rate and --rate-limit", async () => {
    await using run = startMain([
      "mock-api",
      "--port",
      "0",
      "--api-key",
      KEY,
      "--synthetic",
      "2000",
      "--sites",
      "2",
      "--seed",
      "4",
      "--fail-rate",
      "0",
      "--rate-limit",
      "3",
    ]);
    const url = await run.firstLine;
    const statuses: number[] = [];
    for (
      const path of [
        "/outages",
        "/site-info/synthetic-site-2",
        "/site-info/synthetic-site-3",
        "/outages",
      ]
    ) {
      const response = await fetch(url + path, { headers: { "x-api-key": KEY } });
      statuses.push(response.status);
      if (path === "/outages" && response.status === 200) {
        assert.equal((await response.json()).length, 2000);
      } else {
        await response.body?.cancel();
      }
    }
    // The fourth request of the minute is over the limit (unless the minute turned meanwhile).
    assert.deepEqual(statuses.slice(0, 3), [200, 200, 404]);
    assert.ok(statuses[3] === 429 || statuses[3] === 200);
    assert.match(
      run.stderr(),
      /serving 2000 outages, 2 site\(s\) \(synthetic-site-1, synthetic-site-2\)/,
    );
  });

  await t.step(
    "--header-timeout and --body-timeout reach the server; bad values are usage errors",
    async () => {
      await using run = startMain(
        ["mock-api", "--port", "0", "--header-timeout", "0.2", "--body-timeout", "0.2"],
        { KRAKENFLEX_API_KEY: KEY },
      );
      const port = Number(new URL(await run.firstLine).port);
      const encoder = new TextEncoder();
      for (
        const sent of [
          "POST /site-outages/s HTTP/1.1\r\nHost: 127.0.0.1\r\n",
          "POST /site-outages/s HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-length: 100\r\n" +
          `x-api-key: ${KEY}\r\n\r\n[`,
        ]
      ) {
        using conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await conn.write(encoder.encode(sent));
        let timer: ReturnType<typeof setTimeout> | undefined;
        // Bounded only so that a server that never closes fails here instead of hanging.
        const guard = new Promise<"open">((resolve) => timer = setTimeout(resolve, 10_000, "open"));
        const read = await Promise.race([conn.read(new Uint8Array(1024)).catch(() => null), guard]);
        clearTimeout(timer);
        assert.equal(read, null, "closed by the emulator, without an answer");
      }
      assertUsage(
        await runMain(["mock-api", "--api-key", KEY, "--body-timeout", "0"]),
        'Cannot parse "--body-timeout": expected a number from 0.001 to 3600, got "0"',
      );
      const tight = await runMain(["mock-api", "--api-key", KEY, "--body-memory", "0"]);
      assert.equal(tight.code, 2);
    },
  );

  await t.step("--data serves the file", async () => {
    const data = JSON.stringify({
      outages: [{ id: "d", begin: "2023-01-01T00:00:00Z", end: "2023-01-02T00:00:00Z" }],
      sites: [{ id: "s", name: "S", devices: [{ id: "d", name: "D" }] }],
    });
    await using run = startMain(
      ["mock-api", "--port", "0", "--data", "d.json", "--latency", "1"],
      { KRAKENFLEX_API_KEY: KEY },
      { files: { "d.json": data } },
    );
    const url = await run.firstLine;
    const response = await fetch(`${url}/site-outages/s`, {
      method: "POST",
      headers: { "x-api-key": KEY, "content-type": "application/json" },
      body: JSON.stringify([{
        id: "d",
        name: "D",
        begin: "2023-01-01T00:00:00Z",
        end: "2023-01-02T00:00:00Z",
      }]),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {});
    assert.match(run.stderr(), /serving 1 outages, 1 site\(s\) \(s\)/);
  });

  await t.step("root paths: a warning once on stderr; --strict-paths refuses them", async () => {
    await using loose = startMain(["mock-api", "--port", "0", "--api-key", KEY]);
    const url = await loose.firstLine;
    for (const path of ["/outages", "/site-info/norwich-pear-tree"]) {
      await (await fetch(url + path, { headers: { "x-api-key": KEY } })).body?.cancel();
    }
    assert.equal(
      loose.stderr().split("\n")[1],
      'mock-api: warning: "GET /outages" was served at the root: the real API serves only under ' +
        "/interview-tests-mock-api/v1 (--strict-paths refuses root paths). Said once.",
    );
    assert.equal(loose.stderr().split("warning").length, 2);
    await using strict = startMain(["mock-api", "--port=0", "--api-key", KEY, "--strict-paths"]);
    const strictUrl = await strict.firstLine;
    const root = await fetch(`${strictUrl}/outages`, { headers: { "x-api-key": KEY } });
    assert.equal(root.status, 404);
    await root.body?.cancel();
    const prefixed = await fetch(`${strictUrl}/interview-tests-mock-api/v1/outages`, {
      headers: { "x-api-key": KEY },
    });
    assert.equal(prefixed.status, 200);
    await prefixed.body?.cancel();
    assert.ok(!strict.stderr().includes("warning"));
  });

  await t.step("--any-host answers another Host; --log-size bounds the log", async () => {
    await using run = startMain([
      "mock-api",
      "--port=0",
      "--api-key",
      KEY,
      "--any-host",
      "--log-size",
      "2",
    ]);
    const url = new URL(await run.firstLine);
    for (let i = 0; i < 3; i++) {
      using conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(url.port) });
      await conn.write(new TextEncoder().encode(
        `GET /interview-tests-mock-api/v1/site-info/x${i} HTTP/1.1\r\nHost: other.example\r\n` +
          `x-api-key: ${KEY}\r\nConnection: close\r\n\r\n`,
      ));
      const answer = new TextDecoder().decode((await conn.readable.getReader().read()).value);
      assert.match(answer, /^HTTP\/1\.1 404 /);
    }
    const log = await fetch(`${url.origin}/__mock/requests`);
    assert.equal(log.headers.get("x-mock-dropped"), "1");
    assert.equal((await log.json()).length, 2);
  });

  await t.step("interrupted before it listens: exit 0, nothing printed", async () => {
    const run = startMain(["mock-api", "--port", "0", "--api-key", KEY]);
    run.interrupt();
    assert.equal(await run.code, 0);
    assert.equal(run.stdout(), "");
    assert.equal(run.stderr(), "");
  });
});
