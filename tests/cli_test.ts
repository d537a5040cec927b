import assert from "node:assert/strict";
import { realExpected, realOutages, realSiteInfo } from "./helpers.ts";
import { runCli } from "./cli_process.ts";
import { json, type ScriptedServer, startScriptedServer } from "./scripted_server.ts";

const KEY = "SENTINEL-cli-key-5b2c";

/** A faithful enough API: the real data, the key checked, unknown sites 404. */
function fakeApi(options: { outages?: unknown } = {}): ScriptedServer {
  return startScriptedServer((request, seen) => {
    if (request.headers.get("x-api-key") !== KEY) {
      return json(
        { message: "You do not have the required permissions to make this request." },
        403,
      );
    }
    if (seen.method === "GET" && seen.path === "/outages") {
      return json(options.outages ?? realOutages);
    }
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

Deno.test("sync against a local API posts the exact payload: exit 0, report on stdout", async () => {
  const server = fakeApi();
  try {
    const result = await runCli(["sync", "--base-url", server.url], {
      env: { KRAKENFLEX_API_KEY: KEY },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^posted +norwich-pear-tree \(Norwich Pear Tree\): 10 outages posted/m,
    );
    assert.match(result.stdout, /^OK: 1 site \(1 posted\); 108 outages fetched/m);
    assert.match(result.stderr, /INFO {2}posted site=norwich-pear-tree outages=10/);
    const posts = server.requests.filter((r) => r.method === "POST");
    assert.equal(posts.length, 1);
    assert.equal(posts[0].body, JSON.stringify(realExpected));
  } finally {
    await server.close();
  }
});

Deno.test("--json prints one JSON document with the SPEC fields", async () => {
  const server = fakeApi();
  try {
    const result = await runCli(["--json", "--dry-run", "--base-url", server.url + "/"], {
      env: { KRAKENFLEX_API_KEY: KEY },
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
    assert.deepEqual(report.sites[0].payload, realExpected);
    assert.equal(server.requests.filter((r) => r.method === "POST").length, 0);
  } finally {
    await server.close();
  }
});

Deno.test("usage errors exit 2 with a one-line message and a hint, before any request", async (t) => {
  const cases: [string[], RegExp][] = [
    [["--dryrun"], /^outage-sync: Unknown option "--dryrun"\nDid you mean "--dry-run"\?/],
    [
      ["--since", "2022-01-01"],
      /^outage-sync: Cannot parse "--since": expected an RFC 3339 timestamp/,
    ],
    [["--base-url", "http://example.com"], /the API key is only sent over https/],
    [["--timeout", "soon"], /Cannot parse "--timeout": expected a number/],
    [["frobnicate"], /^outage-sync: Unknown command "frobnicate"/],
  ];
  for (const [args, pattern] of cases) {
    await t.step(args.join(" "), async () => {
      const result = await runCli(args, { env: { KRAKENFLEX_API_KEY: KEY } });
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split("\n").length, 2, result.stderr);
    });
  }
});

Deno.test("a missing key is a usage error and no request is made", async () => {
  const server = fakeApi();
  try {
    const result = await runCli(["--base-url", server.url]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /No API key: KRAKENFLEX_API_KEY is not set/);
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
  }
});

Deno.test("a wrong key (403) fails the run with the API's message: exit 1", async () => {
  const server = fakeApi();
  try {
    const result = await runCli(["--base-url", server.url], {
      env: { KRAKENFLEX_API_KEY: "wrong-key" },
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /^failed +norwich-pear-tree: GET \/site-info\/norwich-pear-tree: the API answered 403: You do not have/m,
    );
    assert.match(result.stdout, /^FAILED: 1 site \(1 failed\)/m);
    assert.equal(server.requests.filter((r) => r.method === "POST").length, 0);
  } finally {
    await server.close();
  }
});

Deno.test("an unknown site (404) fails that site; with a good one the exit is 3", async () => {
  const server = fakeApi();
  try {
    const result = await runCli(["--base-url", server.url, "--site", "norwich-pear-tree,nowhere"], {
      env: { KRAKENFLEX_API_KEY: KEY },
    });
    assert.equal(result.code, 3);
    assert.match(
      result.stdout,
      /^failed +nowhere: GET \/site-info\/nowhere: the API answered 404: You have requested/m,
    );
    assert.match(result.stdout, /^posted +norwich-pear-tree/m);
  } finally {
    await server.close();
  }
});

Deno.test("the .env file in the working directory is read at run time; the environment wins", async () => {
  const server = fakeApi();
  const cwd = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${cwd}/.env`,
      `# test\nKRAKENFLEX_API_KEY = ${KEY}\nKRAKENFLEX_BASE_URL=${server.url}\n`,
    );
    const fromFile = await runCli([], { cwd });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    const overridden = await runCli([], { cwd, env: { KRAKENFLEX_API_KEY: "wrong-key" } });
    assert.equal(overridden.code, 1);
  } finally {
    await Deno.remove(cwd, { recursive: true });
    await server.close();
  }
});

Deno.test("the key never appears in any output at debug level, text or JSON, success or failure", async () => {
  const server = startScriptedServer((_, seen) =>
    // An API that echoes the key back in its error message must not make us print it.
    seen.path === "/outages"
      ? json(realOutages)
      : json({ message: `key ${seen.headers.get("x-api-key")} refused` }, 403)
  );
  try {
    for (const format of ["text", "json"]) {
      for (const extra of [[], ["--json"]]) {
        const result = await runCli([
          "--base-url",
          server.url,
          "--log-level",
          "debug",
          "--log-format",
          format,
          ...extra,
        ], {
          env: { KRAKENFLEX_API_KEY: KEY },
        });
        assert.equal(result.code, 1);
        assert.ok(result.stderr.length > 0 && result.stdout.length > 0);
        assert.ok(!result.stdout.includes(KEY), `key in stdout (${format})`);
        assert.ok(!result.stderr.includes(KEY), `key in stderr (${format})`);
        assert.match(result.stdout, /key \[redacted\] refused/);
      }
    }
  } finally {
    await server.close();
  }
});

Deno.test("JSON log lines carry time, level and msg", async () => {
  const server = fakeApi();
  try {
    const result = await runCli(["--base-url", server.url, "--log-format", "json", "-v"], {
      env: { KRAKENFLEX_API_KEY: KEY },
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
  } finally {
    await server.close();
  }
});

Deno.test("--help documents every option, variable and exit code; --version prints the version", async () => {
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  for (
    const word of [
      "--site",
      "--since",
      "--base-url",
      "KRAKENFLEX_API_KEY",
      "--api-key-file",
      "--env-file",
      "--dry-run",
      "--json",
      "--skip-invalid",
      "--post-empty",
      "--timeout",
      "--max-attempts",
      "--deadline",
      "--concurrency",
      "--log-format",
      "--log-level",
      "--quiet",
      "--verbose",
      "NO_COLOR",
      "130",
      "143",
    ]
  ) {
    assert.ok(help.stdout.includes(word), `help lacks ${word}`);
  }
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const version = await runCli(["--version"]);
  assert.equal(version.code, 0);
  assert.match(
    version.stdout,
    new RegExp(`^outage-sync ${denoJson.version.replaceAll(".", "\\.")} \\(`),
  );
});
