/**
 * `outage-sync mock-api` run in process with captured stdout/stderr and an abort signal standing in
 * for SIGINT.
 */

import assert from "node:assert/strict";
import { MOCK_API_USAGE, mockApiCommand, type MockApiCommandIo } from "../src/mock/command.ts";
import { startMockServer } from "../src/mock/server.ts";

const KEY = "command-test-key-77d2";

interface Run {
  code: Promise<number>;
  stdout: string[];
  stderr: string[];
  /** Resolves with the base URL once the command prints it. */
  listening: Promise<string>;
  stop(): void;
}

function run(
  args: string[],
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): Run {
  const controller = new AbortController();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const listening = Promise.withResolvers<string>();
  const io: MockApiCommandIo = {
    env: (name) => env[name],
    stdout: (text) => {
      stdout.push(text);
      const url = /^http:\/\/127\.0\.0\.1:\d+$/m.exec(text);
      if (url !== null) listening.resolve(url[0]);
    },
    stderr: (text) => stderr.push(text),
    readTextFile: (path) =>
      Object.hasOwn(files, path)
        ? Promise.resolve(files[path])
        : Promise.reject(new Deno.errors.NotFound(`No such file: ${path}`)),
    signal: controller.signal,
  };
  const code = mockApiCommand(args, io).finally(() => listening.reject(new Error("not listening")));
  listening.promise.catch(() => {});
  return { code, stdout, stderr, listening: listening.promise, stop: () => controller.abort() };
}

function assertNoKey(result: Run): void {
  const all = result.stdout.join("") + result.stderr.join("");
  assert.ok(!all.includes(KEY), "the key is never printed");
}

Deno.test("mock-api command: usage errors", async (t) => {
  await t.step("--help prints usage on stdout and exits 0", async () => {
    const result = run(["--help"]);
    assert.equal(await result.code, 0);
    assert.equal(result.stdout.join(""), MOCK_API_USAGE);
    assert.match(MOCK_API_USAGE, /--rate-limit N/);
    assert.deepEqual(result.stderr, []);
  });

  await t.step("a missing key is an error on stderr, exit 2", async () => {
    for (const env of [{}, { KRAKENFLEX_API_KEY: "  " }] as Record<string, string>[]) {
      const result = run(["--port", "0"], env);
      assert.equal(await result.code, 2);
      assert.deepEqual(result.stdout, []);
      assert.match(
        result.stderr.join(""),
        /^error: No API key: pass --api-key KEY or set KRAKENFLEX_API_KEY/,
      );
    }
  });

  const cases: [string[], string][] = [
    [["--port", "abc"], 'Cannot parse "--port": expected an integer from 0 to 65535, got "abc"'],
    [
      ["--port", "70000"],
      'Cannot parse "--port": expected an integer from 0 to 65535, got "70000"',
    ],
    [
      ["--fail-rate", "1.5"],
      'Cannot parse "--fail-rate": expected a probability from 0 to 1, got "1.5"',
    ],
    [
      ["--fail-rate", "-0.1"],
      'Option "--fail-rate" argument is ambiguous. Did you forget to specify the option argument for "--fail-rate"? To specify an option argument starting with a dash use "--fail-rate=-XYZ".',
    ],
    [["--latency=-5"], 'Cannot parse "--latency": expected an integer from 0 to 600000, got "-5"'],
    [
      ["--rate-limit", "0"],
      'Cannot parse "--rate-limit": expected an integer from 1 to 1000000, got "0"',
    ],
    [
      ["--synthetic", "1e6"],
      'Cannot parse "--synthetic": expected an integer from 0 to 20000000, got "1e6"',
    ],
    [["--seed", "x"], 'Cannot parse "--seed": expected an integer from 0 to 4294967295, got "x"'],
    [["--sites", "2"], 'Cannot use "--sites" without "--synthetic"'],
    [
      ["--data", "a.json", "--synthetic", "10"],
      'Cannot use "--data" and "--synthetic" together: choose one',
    ],
    [["--verbose"], 'Unknown option "--verbose"'],
    [["serve"], 'Unexpected argument "serve". This command does not take positional arguments'],
    [["--port"], 'Option "--port <value>" argument missing'],
  ];
  for (const [args, message] of cases) {
    await t.step(`${args.join(" ")} → exit 2 naming the flag`, async () => {
      const result = run(["--api-key", KEY, ...args]);
      assert.equal(await result.code, 2);
      assert.deepEqual(result.stdout, []);
      const lines = result.stderr.join("").split("\n");
      assert.equal(lines[0], `error: ${message}`);
      assert.equal(lines[1], "Run `outage-sync mock-api --help` for usage.");
      assertNoKey(result);
    });
  }

  await t.step("a --data file that is missing or invalid → exit 2 naming it", async () => {
    let result = run(["--data", "missing.json", "--api-key", KEY]);
    assert.equal(await result.code, 2);
    assert.match(
      result.stderr[0],
      /^error: Cannot read "--data" file "missing.json": no such file/,
    );
    result = run(["--data", "bad.json", "--api-key", KEY], {}, {
      "bad.json":
        '{"outages":[{"id":"a","begin":"2022-01-01","end":"2022-01-01T00:00:00Z"}],"sites":[]}',
    });
    assert.equal(await result.code, 2);
    assert.equal(
      result.stderr.join(""),
      'error: Cannot use the "--data" file: bad.json: outages[0].begin: ' +
        'not an RFC 3339 timestamp with offset: "2022-01-01"\n',
    );
  });

  await t.step("a port in use → exit 1", async () => {
    const other = await startMockServer({ apiKey: "x" });
    try {
      const result = run(["--port", String(other.port), "--api-key", KEY]);
      assert.equal(await result.code, 1);
      assert.match(result.stderr.join(""), /Cannot listen on 127\.0\.0\.1:\d+: the port is in use/);
    } finally {
      await other.close();
    }
  });
});

Deno.test("mock-api command: serving", async (t) => {
  await t.step("prints its URL, serves the captures, stops cleanly on abort", async () => {
    const result = run(["--port", "0", "--api-key", KEY]);
    const url = await result.listening;
    assert.deepEqual(result.stdout, [`${url}\n`]);
    const response = await fetch(`${url}/interview-tests-mock-api/v1/site-info/norwich-pear-tree`, {
      headers: { "x-api-key": KEY },
    });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).name, "Norwich Pear Tree");
    result.stop();
    assert.equal(await result.code, 0);
    assert.match(result.stderr.join(""), /serving 108 outages, 1 site\(s\) \(norwich-pear-tree\)/);
    assertNoKey(result);
    await assert.rejects(fetch(`${url}/outages`), TypeError);
  });

  await t.step("takes the key from KRAKENFLEX_API_KEY, trimmed", async () => {
    const result = run(["--port=0"], { KRAKENFLEX_API_KEY: ` ${KEY}\n` });
    const url = await result.listening;
    const ok = await fetch(`${url}/outages`, { headers: { "x-api-key": KEY } });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const refused = await fetch(`${url}/outages`, { headers: { "x-api-key": "other" } });
    assert.equal(refused.status, 403);
    await refused.body?.cancel();
    result.stop();
    assert.equal(await result.code, 0);
    assertNoKey(result);
  });

  await t.step("--synthetic, --sites, --seed, --fail-rate and --rate-limit", async () => {
    const result = run([
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
    const url = await result.listening;
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
    result.stop();
    assert.equal(await result.code, 0);
    assert.match(
      result.stderr.join(""),
      /serving 2000 outages, 2 site\(s\) \(synthetic-site-1, synthetic-site-2\)/,
    );
  });

  await t.step("--data serves the file", async () => {
    const data = JSON.stringify({
      outages: [{ id: "d", begin: "2023-01-01T00:00:00Z", end: "2023-01-02T00:00:00Z" }],
      sites: [{ id: "s", name: "S", devices: [{ id: "d", name: "D" }] }],
    });
    const result = run(["--port", "0", "--data", "d.json", "--latency", "1"], {
      KRAKENFLEX_API_KEY: KEY,
    }, { "d.json": data });
    const url = await result.listening;
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
    result.stop();
    assert.equal(await result.code, 0);
  });

  await t.step("an already aborted signal returns 0 without listening", async () => {
    const controller = new AbortController();
    controller.abort();
    const stdout: string[] = [];
    const code = await mockApiCommand(["--port", "0", "--api-key", KEY], {
      env: () => undefined,
      stdout: (text) => stdout.push(text),
      stderr: () => {},
      readTextFile: () => Promise.reject(new Error("unused")),
      signal: controller.signal,
    });
    assert.equal(code, 0);
    assert.deepEqual(stdout, []);
  });
});
