/**
 * Issue #10, the server side: a hostile API — bodies built to crash or balloon the reader, feeds
 * with no valid record, connections dropped where an HTTP client would silently resend, bytes
 * that are not UTF-8, success statuses that are not 200, `Retry-After: 0` on every attempt. The
 * whole program runs in process (`runMain`) against real servers on 127.0.0.1: a scripted
 * `Deno.serve`, or a raw TCP server where the HTTP framing itself is the point. Each test records
 * its row of the "Hostile inputs" table of `docs/fault-matrix.md` (`tests/hostile_table.ts`).
 */

import assert from "node:assert/strict";
import { realExpected, realOutages, realSiteInfo } from "./helpers.ts";
import { hostileTable, postedWords } from "./hostile_table.ts";
import { runCli } from "./cli_process.ts";
import { runMain } from "./in_process.ts";
import { type RawAction, type RawRequest, startRawServer } from "./raw_http_server.ts";
import { json, type SeenRequest, startScriptedServer } from "./scripted_server.ts";

const KEY = "SENTINEL-hostile-server-4c1d";
const SITE = "norwich-pear-tree";
const table = hostileTable("hostile_server_test");
const encoder = new TextEncoder();

type Route = "outages" | "site-info" | "site-outages";

/** A route's answer to its `attempt`-th request (from 1); `undefined` gives the normal answer. */
type Answer = (attempt: number, seen: SeenRequest) => Response | undefined;

/** The API with the real data, where any route's answers can be replaced. */
function startApi(answers: Partial<Record<Route, Answer>> = {}) {
  const counts = new Map<Route, number>();
  const server = startScriptedServer((_, seen) => {
    const [, route, site] = seen.path.split("/") as [string, Route, string | undefined];
    const attempt = (counts.get(route) ?? 0) + 1;
    counts.set(route, attempt);
    const answer = answers[route]?.(attempt, seen);
    if (answer !== undefined) return answer;
    switch (route) {
      case "outages":
        return json(realOutages);
      case "site-info":
        return json({ ...realSiteInfo, id: decodeURIComponent(site ?? "") });
      default:
        return json({});
    }
  });
  const on = (route: Route) => server.requests.filter((r) => r.path.startsWith(`/${route}`));
  return Object.assign(server, {
    /** How many requests reached `route`. */
    count: (route: Route) => on(route).length,
    /** The POSTs that reached the server. */
    posts: () => on("site-outages"),
  });
}

function sync(url: string, ...flags: string[]) {
  return runMain(["sync", "--base-url", url, "--timeout", "2", ...flags], {
    KRAKENFLEX_API_KEY: KEY,
  });
}

/** The report line of the site (`failed        norwich-pear-tree …`). */
function siteLine(stdout: string): string {
  const line = stdout.split("\n").find((l) => l.includes(` ${SITE}`));
  assert.ok(line !== undefined, `no line for ${SITE} in:\n${stdout}`);
  return line;
}

function summaryLine(stdout: string): string {
  const line = stdout.split("\n").find((l) => /^(OK|FAILED): /.test(l));
  assert.ok(line !== undefined, `no summary in:\n${stdout}`);
  return line;
}

/** An outage of the real feed that the real payload keeps, and its enhanced form. */
function oneKeptOutage() {
  const enhanced = realExpected[0];
  const outage = (realOutages as { id: string; begin: string; end: string }[]).find((o) =>
    o.id === enhanced.id && o.begin === enhanced.begin
  );
  assert.ok(outage !== undefined);
  return { outage, enhanced };
}

Deno.test("GET /outages of 1,000,000 zeros: exit 1, counted not kept, 100 logged, nothing posted", async () => {
  const body = encoder.encode(`[${"0,".repeat(999_999)}0]`);
  await using server = startApi({ outages: () => new Response(body) });
  const result = await sync(server.url);
  assert.equal(result.code, 1, result.stdout + result.stderr.slice(0, 2000));
  assert.equal(server.posts().length, 0);
  assert.equal(server.count("outages"), 1);
  const line = siteLine(result.stdout);
  assert.match(line, /^failed +norwich-pear-tree\b/);
  assert.ok(
    line.endsWith(
      ": GET /outages: item 0, expected an object, got a number (and 999999 more invalid " +
        "records); nothing was posted (--skip-invalid skips such records)",
    ),
    line,
  );
  const summary = summaryLine(result.stdout);
  assert.match(summary, /; 1000000 outages fetched, 1000000 invalid; /);
  assert.doesNotMatch(summary, /skipped/);
  // Only the kept samples are logged, then one line for the rest: the log is bounded too.
  assert.equal(result.stderr.match(/ERROR invalid outage /g)?.length, 100);
  assert.match(result.stderr, /999900 more invalid outages not listed/);
  assert.ok(result.stderr.length < 20_000, `stderr: ${result.stderr.length} characters`);
  table.record({
    input:
      "`GET /outages`: `[0,0,…]`, 1,000,000 zeros (2 MB; the crash needed 134 M, see `deno task bench`)",
    outcome: "fails that fetch: invalid records counted, the first 100 logged, no crash",
    exit: result.code,
    posted: postedWords(server.posts().length),
    test: "GET /outages of 1,000,000 zeros",
  });
});

Deno.test("GET /site-info of 5,000,000 values: that site fails at once, nothing built or posted", async () => {
  const body = encoder.encode(
    `{"id":"${SITE}","name":"x","devices":[${"0,".repeat(4_999_999)}0]}`,
  );
  await using server = startApi({ "site-info": () => new Response(body) });
  const result = await sync(server.url, "--max-attempts", "3");
  assert.equal(result.code, 1, result.stdout);
  assert.match(
    siteLine(result.stdout),
    /^failed +norwich-pear-tree: GET \/site-info\/norwich-pear-tree: it holds \d+ JSON values, more than the 4000000 this request may build$/,
  );
  assert.equal(server.count("site-info"), 1, "not retried");
  assert.equal(server.posts().length, 0);
  table.record({
    input: '`GET /site-info`: `{"devices":[0,0,…]}`, 5,000,000 values',
    outcome: "that site fails: more values than the 4,000,000 a site-info may build; not retried",
    exit: result.code,
    posted: postedWords(server.posts().length),
    test: "GET /site-info of 5,000,000 values",
  });
});

Deno.test("a feed with no valid record never posts, with --skip-invalid, --post-empty or neither", async () => {
  const junk = [0, null, "x", { id: "a" }, { id: "b", begin: "yesterday", end: "today" }];
  for (
    const flags of [["--skip-invalid", "--post-empty"], ["--skip-invalid"], ["--post-empty"], []]
  ) {
    await using server = startApi({ outages: () => json(junk) });
    const result = await sync(server.url, ...flags);
    const skip = flags.includes("--skip-invalid");
    assert.equal(result.code, 1, `${flags}: ${result.stdout}`);
    assert.equal(server.posts().length, 0, `${flags}: posted`);
    const line = siteLine(result.stdout);
    assert.match(line, /^failed +norwich-pear-tree /, `${flags}: not skipped-empty`);
    assert.match(line, /GET \/outages: item 0, expected an object, got a number/);
    assert.match(
      line,
      skip
        ? /; none of the 5 records is valid, so nothing was posted$/
        : /; nothing was posted \(--skip-invalid skips such records\)$/,
    );
    assert.match(
      summaryLine(result.stdout),
      skip ? /; 5 outages fetched, 5 invalid skipped; / : /; 5 outages fetched, 5 invalid; /,
    );
    table.record({
      input: `\`GET /outages\`: 5 records, none valid; ${
        flags.length === 0 ? "no flag" : flags.map((f) => `\`${f}\``).join(" ")
      }`,
      outcome: skip
        ? "fails: none of the records is valid (never an empty POST, never skipped-empty)"
        : "fails: invalid records (--skip-invalid would skip them)",
      exit: result.code,
      posted: postedWords(server.posts().length),
      test: "a feed with no valid record never posts",
    });
  }
});

Deno.test('--skip-invalid posts the valid records among invalid ones; without it, "N invalid"', async () => {
  const junk = [0, null, "x", { id: "a" }, { id: "b", begin: "yesterday", end: "today" }];
  const { outage, enhanced } = oneKeptOutage();
  const feeds = [
    {
      name: "the real feed and 5 invalid records",
      body: [...junk, ...realOutages],
      expected: realExpected,
    },
    {
      name: "1 valid record among 5 invalid ones",
      body: [...junk.slice(0, 2), outage, ...junk.slice(2)],
      expected: [enhanced],
    },
  ];
  for (const feed of feeds) {
    await using server = startApi({ outages: () => json(feed.body) });
    const skipped = await sync(server.url, "--skip-invalid");
    assert.equal(skipped.code, 0, `${feed.name}: ${skipped.stdout}`);
    assert.deepEqual(server.posts().map((p) => JSON.parse(p.body)), [feed.expected]);
    assert.match(
      summaryLine(skipped.stdout),
      new RegExp(`; ${feed.body.length} outages fetched, 5 invalid skipped; `),
    );
    assert.equal(skipped.stderr.match(/WARN {2}skipping invalid outage /g)?.length, 5);
    table.record({
      input: `\`GET /outages\`: ${feed.name}; \`--skip-invalid\``,
      outcome: 'the valid records\' payload posted; the summary says "5 invalid skipped"',
      exit: skipped.code,
      posted: postedWords(server.posts().length),
      test: "--skip-invalid posts the valid records among invalid ones",
    });
  }
  await using server = startApi({ outages: () => json([...junk, ...realOutages]) });
  const failed = await sync(server.url);
  assert.equal(failed.code, 1);
  assert.equal(server.posts().length, 0);
  const summary = summaryLine(failed.stdout);
  assert.match(
    summary,
    new RegExp(`; ${junk.length + realOutages.length} outages fetched, 5 invalid; `),
  );
  assert.doesNotMatch(summary, /skipped/);
  table.record({
    input: "`GET /outages`: the real feed and 5 invalid records; no flag",
    outcome: 'fails; the summary says "5 invalid", not "skipped"',
    exit: failed.code,
    posted: postedWords(server.posts().length),
    test: "--skip-invalid posts the valid records among invalid ones",
  });
});

Deno.test("a site whose every record was skipped fails, never posts [] (--skip-invalid --post-empty)", async () => {
  const skippedSite = {
    id: "all-skipped",
    name: "All Skipped",
    devices: [{ id: "dev-a", name: "A" }, { id: "dev-b", name: "B" }],
  };
  const invalid = [
    { id: "dev-a", begin: "yesterday", end: "2022-01-01T00:00:00Z" },
    { id: "dev-b", begin: "2022-02-01T00:00:00Z", end: 17 },
  ];
  await using server = startApi({
    outages: () => json([...realOutages, ...invalid]),
    "site-info": (_, seen) => seen.path.endsWith("/all-skipped") ? json(skippedSite) : undefined,
  });
  const result = await sync(
    server.url,
    "--site",
    `all-skipped,${SITE}`,
    "--skip-invalid",
    "--post-empty",
  );
  assert.equal(result.code, 3, result.stdout);
  assert.deepEqual(server.posts().map((p) => p.path), [`/site-outages/${SITE}`]);
  const line = result.stdout.split("\n").find((l) => l.includes(" all-skipped "));
  assert.equal(
    line?.replace(/ +/, " "),
    "failed all-skipped (All Skipped): GET /outages: all 2 of this site's outage records were " +
      "invalid and skipped (--skip-invalid); nothing was posted, rather than an empty list (the " +
      "log lists the invalid records)",
  );
  assert.match(siteLine(result.stdout), /^posted +norwich-pear-tree\b/);
  table.record({
    input: "`GET /outages`: one site's every record invalid, another's valid; `--skip-invalid` " +
      "`--post-empty`",
    outcome: "that site fails: all 2 of its records were invalid and skipped (never `[]`); the " +
      "other site posted",
    exit: result.code,
    posted: "once (the other site)",
    test: "a site whose every record was skipped fails",
  });
});

const dataDir = new URL("../src/mock/data/", import.meta.url);
const outagesBytes = Deno.readFileSync(new URL("outages.json", dataDir));
const siteInfoBytes = Deno.readFileSync(new URL(`site-info-${SITE}.json`, dataDir));

/** The real answers to both GETs, with `content-length` and keep-alive. */
function realGet(request: RawRequest): RawAction {
  return {
    kind: "answer",
    status: 200,
    body: request.path.startsWith("/outages") ? outagesBytes : siteInfoBytes,
  };
}

Deno.test("delivery bound: a POST the server reads whole and drops reaches it at most --max-attempts times", async () => {
  for (const maxAttempts of [1, 3]) {
    await using server = startRawServer((request) =>
      request.method === "POST" ? { kind: "close" } : realGet(request)
    );
    const result = await sync(
      server.url,
      "--max-attempts",
      String(maxAttempts),
      "--log-level",
      "debug",
    );
    assert.equal(result.code, 1, result.stdout);
    const posts = server.requests.filter((r) => r.method === "POST");
    // Before the fix, Deno's client re-sent the POST on its own over a reused connection: 2 for 1.
    assert.equal(posts.length, maxAttempts, `POSTs on the wire with --max-attempts ${maxAttempts}`);
    for (const post of posts) assert.deepEqual(JSON.parse(post.body), realExpected);
    assert.match(
      siteLine(result.stdout),
      new RegExp(
        `^failed +norwich-pear-tree \\(Norwich Pear Tree\\): POST /site-outages/norwich-pear-tree: ` +
          `network error: .*${
            maxAttempts === 1 ? "" : ` \\(gave up after ${maxAttempts} attempts\\)`
          }$`,
      ),
    );
    // What the program counted is what went out: attempts logged, retries warned, the totals.
    const endpoint = 'endpoint="POST /site-outages/norwich-pear-tree"';
    assert.equal(result.stderr.split(`DEBUG request ${endpoint}`).length - 1, maxAttempts);
    assert.equal(result.stderr.split(`WARN  retrying ${endpoint}`).length - 1, maxAttempts - 1);
    assert.match(
      result.stderr,
      new RegExp(`DEBUG finished attempts=${maxAttempts + 2} retries=${maxAttempts - 1} `),
    );
    table.record({
      input: `\`POST\` read whole, then the connection closed unanswered (keep-alive); ` +
        `\`--max-attempts ${maxAttempts}\``,
      outcome: `fails after ${maxAttempts} attempt(s); the attempts counted are those on the wire`,
      exit: result.code,
      posted: `${postedWords(posts.length)} (never more than --max-attempts)`,
      test: "delivery bound: a POST the server reads whole and drops",
    });
  }
});

Deno.test("delivery bound: a GET /outages cut off mid-headers, or unanswered, reaches the wire --max-attempts times", async () => {
  const cuts = [
    {
      name: "a partial status line and headers, then closed",
      partial: "HTTP/1.1 200 OK\r\ncontent-le",
    },
    { name: "closed unanswered", partial: undefined },
  ];
  for (const cut of cuts) {
    await using server = startRawServer((request) =>
      request.path.startsWith("/outages")
        ? { kind: "close", partial: cut.partial }
        : realGet(request)
    );
    const result = await sync(server.url, "--max-attempts", "2");
    assert.equal(result.code, 1, result.stdout);
    assert.equal(server.count("GET", "/outages"), 2, `${cut.name}: GET /outages on the wire`);
    assert.equal(server.count("POST", "/"), 0);
    assert.match(
      siteLine(result.stdout),
      /: GET \/outages: (network error|the response body was cut short): .* \(gave up after 2 attempts\)$/,
    );
    assert.deepEqual(result.sleeps.length, 1);
    table.record({
      input: `\`GET /outages\`: ${cut.name}; \`--max-attempts 2\``,
      outcome: "fails after 2 attempts, exactly 2 requests on the wire",
      exit: result.code,
      posted: postedWords(server.count("POST", "/")),
      test: "delivery bound: a GET /outages cut off mid-headers, or unanswered",
    });
  }
});

/** A 200 answer's head, then `body` as sent; the connection closed after it. */
function rawAnswer(headers: string, body: Uint8Array): RawAction {
  const head = encoder.encode(
    `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${headers}connection: close\r\n\r\n`,
  );
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(head);
  bytes.set(body, head.length);
  return { kind: "raw", bytes };
}

/** `bytes` as chunked framing of one byte per chunk: `1\r\nX\r\n` each, then the last chunk. */
function oneByteChunked(bytes: Uint8Array): RawAction {
  const framed = new Uint8Array(bytes.length * 6 + 5);
  bytes.forEach((byte, i) => framed.set([0x31, 13, 10, byte, 13, 10], i * 6));
  framed.set(encoder.encode("0\r\n\r\n"), bytes.length * 6);
  return rawAnswer("transfer-encoding: chunked\r\n", framed);
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("GET /outages in one-byte chunks: read whole and synced, the same payload posted", async () => {
  await using server = startRawServer((request) =>
    request.method === "POST"
      ? { kind: "answer", status: 200, body: encoder.encode("{}") }
      : request.path.startsWith("/outages")
      ? oneByteChunked(outagesBytes)
      : realGet(request)
  );
  const result = await sync(server.url);
  assert.equal(result.code, 0, result.stdout);
  const posts = server.requests.filter((r) => r.method === "POST");
  assert.deepEqual(posts.map((p) => JSON.parse(p.body)), [realExpected]);
  table.record({
    input: `\`GET /outages\` (${outagesBytes.length} bytes) sent as one-byte chunks, ` +
      "no `Content-Length`",
    outcome: "synced; each chunk copied as it comes: memory follows the body (docs/benchmarks.md)",
    exit: result.code,
    posted: postedWords(posts.length),
    test: "GET /outages in one-byte chunks",
  });
});

Deno.test('a gzip bomb: the cap counts decoded bytes, exit 1 "over the cap", nothing posted', async () => {
  // 4 MB of spaces inside a JSON array: about 4 KB gzipped, far under the 1 MB cap as sent, four
  // times over it decoded.
  const inflated = new Uint8Array(4 << 20).fill(0x20);
  inflated[0] = 0x5b;
  inflated[inflated.length - 1] = 0x5d;
  const bomb = await gzip(inflated);
  const small = await gzip(outagesBytes);
  assert.ok(bomb.length < 1 << 20);
  for (const [name, body] of [["bomb", bomb], ["real", small]] as const) {
    await using server = startRawServer((request) =>
      request.method === "POST"
        ? { kind: "answer", status: 200, body: encoder.encode("{}") }
        : request.path.startsWith("/outages")
        ? rawAnswer(`content-encoding: gzip\r\ncontent-length: ${body.length}\r\n`, body)
        : realGet(request)
    );
    const result = await sync(server.url, "--max-response-mb", "1");
    const posts = server.requests.filter((r) => r.method === "POST");
    if (name === "real") {
      // The same framing with a body that decodes within the cap is read as any other.
      assert.equal(result.code, 0, result.stdout);
      assert.deepEqual(posts.map((p) => JSON.parse(p.body)), [realExpected]);
      continue;
    }
    assert.equal(result.code, 1, result.stdout);
    assert.equal(posts.length, 0);
    assert.equal(server.count("GET", "/outages"), 1, "too-large is not retried");
    assert.match(
      siteLine(result.stdout),
      /GET \/outages: the response body is over the 1 MiB cap \(1048576 bytes\) once decoded \(it came compressed\); it was read no further/,
    );
    table.record({
      input: `\`GET /outages\`: ${bomb.length} bytes of gzip that inflate to 4 MB; ` +
        "`--max-response-mb 1`",
      outcome:
        'fails "over the 1 MiB cap (1048576 bytes) once decoded"; reading stops at the cap; not retried',
      exit: result.code,
      posted: postedWords(posts.length),
      test: "a gzip bomb: the cap counts decoded bytes",
    });
  }
});

Deno.test("loopback: origin-form request lines; HTTP_PROXY, HTTPS_PROXY and ALL_PROXY never reached", async () => {
  // A subprocess: the runtime reads the proxy variables of its environment when a client is made.
  await using proxy = startRawServer(() => ({ kind: "close" }));
  await using server = startRawServer((request) =>
    request.method === "POST" ? { kind: "answer", status: 200, body: encoder.encode("{}") } : {
      kind: "answer",
      status: 200,
      body: request.path.endsWith("/outages") ? outagesBytes : siteInfoBytes,
    }
  );
  const env: Record<string, string> = { KRAKENFLEX_API_KEY: KEY };
  for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"]) {
    env[name] = env[name.toLowerCase()] = proxy.url;
  }
  const result = await runCli(["sync", "--base-url", `${server.url}/v1`, "--max-attempts", "3"], {
    env,
  });
  assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
  assert.deepEqual(proxy.requests, [], "the proxy was sent a request (and the key)");
  assert.deepEqual(server.requests.map((r) => `${r.method} ${r.target}`).sort(), [
    `GET /v1/outages`,
    `GET /v1/site-info/${SITE}`,
    `POST /v1/site-outages/${SITE}`,
  ]);
  // Each request on its own connection, once: the delivery bound is as it was.
  assert.equal(new Set(server.requests.map((r) => r.connection)).size, 3);
  assert.deepEqual(
    JSON.parse(server.requests.find((r) => r.method === "POST")!.body),
    realExpected,
  );
  table.record({
    input: "`--base-url http://127.0.0.1:…/v1`, `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` set",
    outcome:
      "synced directly: origin-form request lines (`GET /v1/outages`); the proxy saw nothing",
    exit: result.code,
    posted: postedWords(server.count("POST", "/")),
    test: "loopback: origin-form request lines",
  });
});

Deno.test("UTF-8 only: an invalid byte fails that fetch, naming its offset; not retried, nothing posted", async () => {
  // "Battery" spelt in Latin-1 (0xE9), as the issue saw it posted as "Batt\uFFFDry 6".
  const latin1 = (text: string) => {
    const [before, after] = text.split("\u00e9");
    const bytes = encoder.encode(before + "\u00e9" + after);
    const offset = encoder.encode(before).length;
    // U+00E9 is two bytes in UTF-8 (C3 A9); the Latin-1 byte is E9 alone.
    return {
      bytes: new Uint8Array([...bytes.subarray(0, offset), 0xe9, ...bytes.subarray(offset + 2)]),
      offset,
    };
  };
  const outages = latin1(
    JSON.stringify([
      { ...realOutages[0] as object, name: "Batt\u00e9ry 6" },
      ...realOutages.slice(1),
    ]),
  );
  const site = latin1(
    JSON.stringify({
      ...realSiteInfo,
      devices: [
        { ...realSiteInfo.devices[0], name: "Batt\u00e9ry 6" },
        ...realSiteInfo.devices.slice(1),
      ],
    }),
  );
  const cases = [
    { route: "outages" as const, endpoint: "GET /outages", body: outages },
    { route: "site-info" as const, endpoint: `GET /site-info/${SITE}`, body: site },
  ];
  for (const { route, endpoint, body } of cases) {
    assert.equal(body.bytes[body.offset], 0xe9);
    await using server = startApi({ [route]: () => new Response(body.bytes) });
    const result = await sync(server.url, "--max-attempts", "3");
    assert.equal(result.code, 1, result.stdout);
    assert.ok(
      siteLine(result.stdout).includes(
        `${endpoint}: the response body is not valid UTF-8 (first bad byte at offset ${body.offset})`,
      ),
      result.stdout,
    );
    assert.equal(server.count(route), 1, "not retried");
    assert.equal(server.posts().length, 0);
    assert.doesNotMatch(result.stdout + result.stderr, /\ufffd/);
    table.record({
      input: `\`${
        endpoint.replace(/\/norwich-pear-tree$/, "")
      }\` 200: byte 0xE9 in a name (\`Batt\\xe9ry 6\`)`,
      outcome: "fails that fetch: not valid UTF-8, the byte's offset named; not retried",
      exit: result.code,
      posted: postedWords(server.posts().length),
      test: "UTF-8 only: an invalid byte fails that fetch",
    });
  }
});

Deno.test('UTF-8 only: a declared charset other than UTF-8 fails; utf-8 and "UTF-8" are fine', async () => {
  const answer = (contentType: string) => () =>
    new Response(JSON.stringify(realOutages), { headers: { "content-type": contentType } });
  {
    await using server = startApi({ outages: answer("application/json; charset=iso-8859-1") });
    const result = await sync(server.url, "--max-attempts", "3");
    assert.equal(result.code, 1, result.stdout);
    assert.match(
      siteLine(result.stdout),
      /: GET \/outages: the response declares charset "iso-8859-1"/,
    );
    assert.equal(server.count("outages"), 1, "not retried");
    assert.equal(server.posts().length, 0);
    table.record({
      input: "`GET /outages` 200 `content-type: application/json; charset=iso-8859-1`",
      outcome: 'fails that fetch: declares charset "iso-8859-1"; not retried',
      exit: result.code,
      posted: postedWords(server.posts().length),
      test: "UTF-8 only: a declared charset other than UTF-8 fails",
    });
  }
  for (
    const contentType of ["application/json; charset=utf-8", 'application/json; charset="UTF-8"']
  ) {
    await using server = startApi({ outages: answer(contentType) });
    const result = await sync(server.url);
    assert.equal(result.code, 0, `${contentType}: ${result.stdout}`);
    assert.deepEqual(server.posts().map((p) => JSON.parse(p.body)), [realExpected]);
  }
});

Deno.test("only 200 is a success for a GET: 201, 204 and 206 fail at once, nothing posted", async () => {
  for (const status of [201, 204, 206]) {
    await using server = startApi({
      outages: () => new Response(status === 204 ? null : "[]", { status }),
    });
    const result = await sync(server.url, "--max-attempts", "3");
    assert.equal(result.code, 1, `${status}: ${result.stdout}`);
    assert.match(
      siteLine(result.stdout),
      new RegExp(`: GET /outages: the API answered ${status}; only 200 is a success for a GET`),
    );
    assert.equal(server.count("outages"), 1, `${status}: not retried`);
    assert.equal(server.posts().length, 0);
    table.record({
      input: `\`GET /outages\` ${status}${status === 204 ? "" : " with `[]`"}`,
      outcome: "fails that fetch: only 200 is a success for a GET; not retried",
      exit: result.code,
      posted: postedWords(server.posts().length),
      test: "only 200 is a success for a GET",
    });
  }
});

Deno.test("Retry-After: 0 on every attempt: every wait at least 50 ms, one clean final message", async () => {
  await using server = startApi({
    outages: () => json({ message: "Busy" }, 503, { "retry-after": "0" }),
  });
  const result = await sync(server.url, "--max-attempts", "20");
  assert.equal(result.code, 1, result.stdout);
  assert.equal(server.count("outages"), 20);
  assert.equal(server.posts().length, 0);
  assert.equal(result.sleeps.length, 19);
  assert.ok(result.sleeps.every((ms) => ms >= 50), `waits: ${result.sleeps}`);
  assert.match(
    siteLine(result.stdout),
    /^failed +norwich-pear-tree \(Norwich Pear Tree\): GET \/outages: the API answered 503: Busy \(gave up after 20 attempts\)$/,
  );
  assert.equal(result.stdout.split("gave up").length - 1, 1);
  const waits = [
    ...result.stderr.matchAll(/WARN {2}retrying endpoint="GET \/outages" .*waitMs=(\d+)/g),
  ];
  assert.equal(waits.length, 19);
  assert.ok(waits.every((m) => Number(m[1]) >= 50));
  table.record({
    input: "`GET /outages` 503 `Retry-After: 0` on every attempt; `--max-attempts 20`",
    outcome: 'every wait ≥ 50 ms (no retry storm); one clean "(gave up after 20 attempts)"',
    exit: result.code,
    posted: postedWords(server.posts().length),
    test: "Retry-After: 0 on every attempt",
  });
});

// Last, so that every test above has recorded its rows.
Deno.test("hostile inputs: this file's rows of docs/fault-matrix.md are the rows its tests recorded", () => {
  table.check();
});
