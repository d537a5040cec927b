/**
 * Errors that say what happened and what to do (issue "Operator experience"): network failures
 * named, hopeless ones not retried, 403/404 hints, a base URL without a scheme, usage errors in
 * JSON, check's own wording, progress of long bodies, warnings about variables and files.
 */

import assert from "node:assert/strict";
import { progressReporter } from "../src/cli/sync_command.ts";
import { looseModes, unknownVariables } from "../src/config/config_warnings.ts";
import { parseBaseUrl } from "../src/config/values.ts";
import { type BodyProgress, readCapped } from "../src/http/body.ts";
import { describeNetworkFailure } from "../src/http/failure.ts";
import { createLogger } from "../src/logger.ts";
import { startMockServer } from "../src/mock/server.ts";
import { readTextFile, stateFiles } from "../src/cli/real_io.ts";
import { stateFileName } from "../src/state.ts";
import { realFileWriter, tempDir, usageError } from "./helpers.ts";
import { runMain, startMain } from "./in_process.ts";
import { json, startScriptedServer } from "./scripted_server.ts";

const KEY = "SENTINEL-operator-key-77a1";

/** A port nobody listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

Deno.test("describeNetworkFailure: the runtime's causes in words, with how many attempts they deserve", () => {
  const url = new URL("https://api.example.net/v1/outages");
  const chain = (inner: string) =>
    new TypeError("fetch failed", {
      cause: new Error(`error sending request for url (${url}): client error (Connect): ${inner}`),
    });
  assert.deepEqual(
    describeNetworkFailure(chain("tcp connect error: Connection refused (os error 111)"), url),
    { what: "connection refused by api.example.net:443" },
  );
  assert.deepEqual(
    describeNetworkFailure(
      chain("dns error: failed to lookup address information: Name or service not known"),
      url,
    ),
    { what: "DNS lookup failed for api.example.net (Name or service not known)", attemptLimit: 2 },
  );
  assert.deepEqual(
    describeNetworkFailure(chain("invalid peer certificate: UnknownIssuer"), url),
    {
      what:
        "TLS: the certificate of api.example.net was rejected (invalid peer certificate: UnknownIssuer)",
      attemptLimit: 1,
    },
  );
  // The runtime's words for a connection closed with no answer (Deno 2.9).
  const closed = new TypeError("fetch failed", {
    cause: new Error(
      `error sending request from 127.0.0.1:55408 for ${url} (api.example.net:443): ` +
        "client error (SendRequest): connection closed before message completed",
    ),
  });
  assert.deepEqual(describeNetworkFailure(closed, url), {
    what: "connection closed by api.example.net:443 before an answer arrived",
  });
  assert.equal(
    describeNetworkFailure(new TypeError("Fetch failed: Requests to port 9 are blocked"), url)
      .attemptLimit,
    1,
  );
});

Deno.test("network failures as an operator reads them: where, what, and no hopeless retries", async (t) => {
  await t.step("a refused connection names the host and port, and is retried", async () => {
    const port = closedPort();
    const result = await runMain(
      ["--base-url", `http://127.0.0.1:${port}`, "--max-attempts", "3"],
      {
        KRAKENFLEX_API_KEY: KEY,
      },
    );
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      new RegExp(
        `network error: connection refused by 127\\.0\\.0\\.1:${port} \\(gave up after 3 attempts\\)`,
      ),
    );
  });
  await t.step("a port the runtime blocks is not retried", async () => {
    const result = await runMain(["--base-url", "http://127.0.0.1:9", "--max-attempts", "5"], {
      KRAKENFLEX_API_KEY: KEY,
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /requests to port 9 are blocked by the runtime \(not retried: it cannot succeed on another attempt\)/,
    );
    assert.deepEqual(result.sleeps, []);
  });
  await t.step(
    "TLS spoken to a plain HTTP server: a TLS failure, named as such, not retried",
    async () => {
      await using server = startScriptedServer(() => json([]));
      const port = new URL(server.url).port;
      const result = await runMain([
        "--base-url",
        `https://127.0.0.1:${port}`,
        "--max-attempts",
        "5",
      ], {
        KRAKENFLEX_API_KEY: KEY,
      });
      assert.equal(result.code, 1);
      assert.match(result.stdout, new RegExp(`TLS handshake with 127\\.0\\.0\\.1:${port} failed`));
      assert.deepEqual(result.sleeps, []);
    },
  );
});

Deno.test("403 names the key and where it came from; 404 names the site id; both failures are said", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  const forbidden = await runMain(["--base-url", server.url], {}, {
    files: { ".env": "KRAKENFLEX_API_KEY=not-the-key-123\n" },
  });
  assert.equal(forbidden.code, 1);
  assert.match(
    forbidden.stdout,
    /answered 403: You do not have the required permissions to make this request\. \(check the API key, from KRAKENFLEX_API_KEY \(\.env\): wrong, revoked, or without access\)/,
  );
  // The site failed on its own 403; GET /outages' 403 is said too, once.
  assert.match(forbidden.stdout, /^GET \/outages failed: the API answered 403/m);
  const unknown = await runMain(["--base-url", server.url, "--site", "nowhere"], {
    KRAKENFLEX_API_KEY: KEY,
  });
  assert.match(
    unknown.stdout,
    /answered 404: .* \(check the site id: --site, KRAKENFLEX_SITE or the sites file\)/,
  );
});

Deno.test("a base URL without a scheme: did you mean http:// or https://?", () => {
  const local = usageError(() => parseBaseUrl("127.0.0.1:8080", '"--base-url"'), /with its scheme/);
  assert.equal(local.hint, 'Did you mean "http://127.0.0.1:8080" (or "https://127.0.0.1:8080")?');
  const remote = usageError(() => parseBaseUrl("api.example.net/v1", '"--base-url"'));
  assert.equal(remote.hint, 'Did you mean "https://api.example.net/v1"?');
});

Deno.test("usage errors follow the output asked for: a JSON log line, a JSON document", async () => {
  const jsonLogs = await runMain(["--log-format", "json", "--timeout", "soon"], {
    KRAKENFLEX_API_KEY: KEY,
  });
  assert.equal(jsonLogs.code, 2);
  const line = JSON.parse(jsonLogs.stderr);
  assert.equal(line.level, "error");
  assert.equal(line.kind, "usage");
  assert.match(line.msg, /Cannot parse "--timeout"/);
  assert.deepEqual(Object.keys(line), ["time", "level", "msg", "hint", "kind"]);
  const equals = await runMain(["--log-format=json", "--bogus"], {});
  assert.equal(JSON.parse(equals.stderr).msg, 'Unknown option "--bogus"');
  const fromEnv = await runMain(["--bogus"], { KRAKENFLEX_LOG_FORMAT: "json" });
  assert.equal(JSON.parse(fromEnv.stderr).msg, 'Unknown option "--bogus"');
  const document = await runMain(["--json"], {});
  assert.equal(document.code, 2);
  assert.deepEqual(JSON.parse(document.stdout), {
    ok: false,
    error: { message: "No API key: KRAKENFLEX_API_KEY is not set", kind: "usage" },
  });
});

Deno.test("check has its own words and JSON, failed or not", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  const ok = await runMain(["check", "--base-url", server.url, "--json"], {
    KRAKENFLEX_API_KEY: KEY,
  });
  const doc = JSON.parse(ok.stdout);
  assert.equal(doc.mode, "check");
  assert.equal(doc.dryRun, undefined);
  assert.deepEqual(doc.sites[0], {
    siteId: "norwich-pear-tree",
    siteName: "Norwich Pear Tree",
    status: "checked",
    devices: 8,
  });
  const failed = await runMain(["check", "--base-url", server.url, "--site", "nowhere"], {
    KRAKENFLEX_API_KEY: KEY,
  });
  assert.equal(failed.code, 1);
  assert.match(
    failed.stdout,
    /^FAILED: 1 site \(1 failed\); 108 outages fetched; .*; check only, nothing posted$/m,
  );
  assert.doesNotMatch(failed.stdout, /dry run/);
});

Deno.test("long bodies report their progress: a line updated in place on a terminal, else a log line", async () => {
  let clock = 0;
  const chunks = Array.from({ length: 30 }, () => new Uint8Array(100_000));
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      clock += 400; // each chunk "takes" 0.4 s
      const chunk = chunks.shift();
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  });
  const response = new Response(body, { headers: { "content-length": "3000000" } });
  const seen: BodyProgress[] = [];
  const bytes = await readCapped(
    response,
    10_000_000,
    "GET /outages",
    (p) => seen.push(p),
    () => clock,
  );
  assert.equal(bytes.length, 3_000_000);
  assert.ok(seen.length >= 5 && seen.length <= 14, `${seen.length} reports`);
  assert.equal(seen.at(-1)?.done, true);
  assert.ok(seen.slice(0, -1).every((p) => !p.done && p.total === 3_000_000 && p.ms >= 1000));

  let terminal = "";
  const onTerminal = progressReporter(
    { stderrIsTerminal: true, stderr: (t: string) => (terminal += t) } as never,
    createLogger({ level: "info", format: "text", write: () => {} }),
  );
  for (const p of seen) onTerminal(p);
  assert.ok(terminal.startsWith("\r\x1b[2KGET /outages: "), JSON.stringify(terminal));
  assert.ok(terminal.endsWith("\r\x1b[2K"), "the line is cleared once the body is complete");
  assert.ok(!terminal.includes("\n"));

  const logged: string[] = [];
  const onLog = progressReporter(
    { stderrIsTerminal: false, stderr: () => assert.fail("no raw line") } as never,
    createLogger({ level: "info", format: "text", write: (l) => logged.push(l) }),
  );
  for (const p of seen) onLog(p);
  assert.ok(logged.length >= 2 && logged.length < seen.length, `${logged.length} log lines`);
  assert.match(
    logged[0],
    /INFO {2}downloading endpoint="GET \/outages" bytes=\d+ total=3000000 rate="[\d.]+ MB\/s"/,
  );
});

Deno.test("warnings: a KRAKENFLEX_* variable nothing reads; a .env or key file others may write", async () => {
  const known = new Set(["KRAKENFLEX_SITE", "KRAKENFLEX_API_KEY"]);
  assert.deepEqual(
    unknownVariables([{ name: "KRAKENFLEX_SITES", from: ".env" }, {
      name: "HOME",
      from: "environment",
    }], known),
    [
      "KRAKENFLEX_SITES (.env) is not a setting outage-sync reads, so it is ignored; did you mean KRAKENFLEX_SITE?",
    ],
  );
  assert.deepEqual(looseModes([{ path: ".env", what: "The env file" }], () => 0o100600), []);
  assert.match(
    looseModes([{ path: ".env", what: "The env file" }], () => 0o100664)[0],
    /can be written by its group or by others \(mode 0664\)/,
  );
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  const result = await runMain(["--base-url", server.url, "--dry-run"], {
    KRAKENFLEX_API_KEY: KEY,
    KRAKENFLEX_SINCEE: "x",
  });
  assert.match(
    result.stderr,
    /WARN {2}KRAKENFLEX_SINCEE \(environment\) is not a setting outage-sync reads, so it is ignored; did you mean KRAKENFLEX_SINCE\?/,
  );
});

Deno.test("a misspelt KRAKENFLEX_* variable is named even when the run stops on a configuration error", async () => {
  const result = await runMain(["--dry-run"], {}, {
    files: { ".env": `KRAKENFLEX_APIKEY=${KEY}\n` },
  });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /No API key/);
  assert.match(
    result.stderr,
    /KRAKENFLEX_APIKEY \(\.env\) is not a setting outage-sync reads, so it is ignored; did you mean KRAKENFLEX_API_KEY\?/,
  );
  assert.ok(!result.stderr.includes(KEY));
});

Deno.test("unknownVariables: suggestions only when close; a flag without a variable says to pass it", () => {
  const known = new Set(["KRAKENFLEX_API_KEY", "KRAKENFLEX_SITE", "KRAKENFLEX_CONCURRENCY"]);
  assert.deepEqual(
    unknownVariables(
      [
        { name: "KRAKENFLEX_DRY_RUN", from: "environment" },
        { name: "KRAKENFLEX_DRYRUN", from: ".env" },
        { name: "KRAKENFLEX_CONCURENCY", from: ".env" },
      ],
      known,
      ["dry-run", "json"],
    ),
    [
      "KRAKENFLEX_DRY_RUN (environment) is not read: --dry-run has no environment variable; pass the flag",
      "KRAKENFLEX_DRYRUN (.env) is not a setting outage-sync reads, so it is ignored",
      "KRAKENFLEX_CONCURENCY (.env) is not a setting outage-sync reads, so it is ignored; did you mean KRAKENFLEX_CONCURRENCY?",
    ],
  );
});

Deno.test("KRAKENFLEX_DRY_RUN in the environment: the run says the flag must be passed", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  const result = await runMain(["--base-url", server.url, "--dry-run"], {
    KRAKENFLEX_API_KEY: KEY,
    KRAKENFLEX_DRY_RUN: "1",
  });
  assert.match(
    result.stderr,
    /KRAKENFLEX_DRY_RUN \(environment\) is not read: --dry-run has no environment variable; pass the flag/,
  );
  assert.doesNotMatch(result.stderr, /did you mean KRAKENFLEX_API_KEY/);
});

Deno.test("sync --api-key KEY: says where the key goes, and never echoes it", async () => {
  for (const args of [["--api-key", KEY], [`--api-key=${KEY}`], ["--apikey", KEY]]) {
    const result = await runMain(args, {});
    assert.equal(result.code, 2, args.join(" "));
    assert.ok(!result.stderr.includes(KEY), result.stderr);
    assert.ok(!result.stdout.includes(KEY), result.stdout);
    assert.match(result.stderr, /never taken on the command line/);
    assert.match(result.stderr, /KRAKENFLEX_API_KEY.*\.env.*--api-key-file/);
  }
});

Deno.test("a payload posted again says why: --force, --repost-after, a state file that cannot be used", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  await using dir = await tempDir();
  const sync = (args: string[] = []) =>
    runMain(["--base-url", server.url, "--state-dir", dir.path, ...args], {
      KRAKENFLEX_API_KEY: KEY,
    }, { fs: realFileWriter, readTextFile, stateFiles });
  assert.match((await sync()).stdout, /^posted .*\(never posted before\)/m);
  assert.match((await sync()).stdout, /^unchanged /m);
  assert.match((await sync(["--force"])).stdout, /^posted .*\(unchanged, posted again: --force\)/m);
  assert.match(
    (await sync(["--repost-after", "0"])).stdout,
    /^posted .*\(unchanged, posted again: last accepted longer ago than --repost-after\)/m,
  );
  const file = `${dir.path}/${await stateFileName("norwich-pear-tree")}`;
  await Deno.writeTextFile(file, "{}");
  const lost = await sync(["--json"]);
  assert.equal(JSON.parse(lost.stdout).sites[0].changes.reason, "state-unreadable");
});

Deno.test("--force without a state directory is warned about", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  const result = await runMain(["--base-url", server.url, "--force"], { KRAKENFLEX_API_KEY: KEY });
  assert.match(result.stderr, /WARN {2}--force does nothing without a state directory/);
});

Deno.test("mock-api warns about a key sync would refuse, and says it does not read .env", async () => {
  {
    await using run = startMain(["mock-api", "--api-key", "dev-key", "--port", "0"]);
    assert.match(await run.firstLine, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(
      run.stderr(),
      /mock-api: warning: the key is 7 characters long: sync refuses keys shorter than 8/,
    );
  }
  {
    await using run = startMain(["mock-api", "--api-key", KEY, "--port", "0"]);
    await run.firstLine;
    assert.doesNotMatch(run.stderr(), /warning: the key/);
  }
  const none = await runMain(["mock-api", "--port", "0"], {}, {
    files: { ".env": `KRAKENFLEX_API_KEY=${KEY}\n` },
  });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /mock-api does not read \.env/);
});

Deno.test("a bad --script file is answered with the file's shape, not the --fault grammar", async () => {
  const result = await runMain(["mock-api", "--api-key", KEY, "--script", "faults.json"], {}, {
    files: { "faults.json": '{"GET /outages": {"steps": "500"}}' },
  });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /Cannot use the "--script" file: faults\.json/);
  assert.match(result.stderr, /JSON object from route to a list of steps/);
  assert.doesNotMatch(result.stderr, /@MS|\*N/);
});

Deno.test("a dead API with many sites: one error line per cause, not one per site", async () => {
  const port = closedPort();
  // Short ids too: a site id that is also a letter of the message must not make causes differ.
  const sites = Array.from({ length: 20 }, (_, i) => i < 10 ? "abcdefghij"[i] : `site-${i}`)
    .join(",");
  const result = await runMain(
    ["--base-url", `http://127.0.0.1:${port}`, "--max-attempts", "1", "--site", sites],
    { KRAKENFLEX_API_KEY: KEY },
  );
  assert.equal(result.code, 1);
  assert.equal(result.stdout.match(/^failed /gm)?.length, 20, "the report still lists each site");
  const errors = result.stderr.split("\n").filter((line) => / ERROR /.test(line));
  assert.ok(errors.length <= 2, `${errors.length} error lines:\n${errors.join("\n")}`);
  assert.match(result.stderr, /INFO {2}more sites failed the same way sites=\d+/);
});
