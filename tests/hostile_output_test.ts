/**
 * Issue #10, what a hostile server can make the program print or send: the key echoed back whole,
 * cut or encoded; report and log lines forged with newlines and terminal escapes; 5 MB messages;
 * an `HTTP_PROXY` that would see the key; and the metrics of a run that never started. The
 * program runs in process (`runMain`) against scripted servers on 127.0.0.1, and as a subprocess
 * where the runtime reads the environment itself (the proxy). Each test records its row of the
 * "Hostile inputs" table of `docs/fault-matrix.md` (`tests/hostile_table.ts`).
 */

import assert from "node:assert/strict";
import { realFileWriter } from "../src/cli/real_io.ts";
import { startMockServer } from "../src/mock/server.ts";
import { NARROW, runCli } from "./cli_process.ts";
import { realExpected, realOutages, realSiteInfo, tempDir } from "./helpers.ts";
import { hostileTable, postedWords } from "./hostile_table.ts";
import { runMain } from "./in_process.ts";
import { parsePrometheus } from "./prometheus.ts";
import { json, startScriptedServer } from "./scripted_server.ts";

const SITE = "norwich-pear-tree";
const table = hostileTable("hostile_output_test");

/** A plain key, and one whose JSON, URL and HTML encodings all differ from it. */
const KEYS = [
  "SENTINEL-0123456789abcdefXYZ",
  `SENTINEL+0123/4567"89\\ab=cd&<ef>'gh%XYZ`,
];

/** The 8-character windows that must never be printed. */
const WINDOW = 8;

/** Base64 of `prefix + key`, and the part of it that depends on the key's characters alone. */
function base64Echo(prefix: string, key: string): { echo: string; middle: string } {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const echo = btoa(String.fromCharCode(...bytes(prefix + key)));
  const before = bytes(prefix).length;
  const skip = (3 - (before % 3)) % 3;
  const groups = Math.floor((bytes(key).length - skip) / 3);
  const start = ((before + skip) / 3) * 4;
  return { echo, middle: echo.slice(start, start + groups * 4) };
}

/** The ways a server may echo `key`: each echo, and the part of it no output may show. */
function keyEchoes(key: string): { name: string; echo: string; middle: string }[] {
  const once = JSON.stringify(key).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  const html = Array.from(key, (c) => `&#${c.codePointAt(0)};`).join("");
  const url = encodeURIComponent(key);
  return [
    { name: "raw", echo: key, middle: key },
    { name: "JSON-escaped once", echo: once, middle: once },
    { name: "JSON-escaped twice", echo: twice, middle: twice },
    { name: "URL-encoded", echo: url, middle: url },
    { name: "HTML entities", echo: html, middle: html },
    { name: "base64", ...base64Echo("", key) },
    { name: "base64 after key=", ...base64Echo("key=", key) },
    { name: "base64 of user:key", ...base64Echo("user:", key) },
  ];
}

/**
 * Where any 8-character window of any echo of `key` appears in `output`: one finding per echo,
 * with the text around it.
 */
function keyParts(output: string, key: string, label: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  for (const { name, middle } of keyEchoes(key)) {
    if (seen.has(middle)) continue; // The same text as an echo already looked for.
    seen.add(middle);
    for (let i = 0; i + WINDOW <= middle.length; i++) {
      const window = middle.slice(i, i + WINDOW);
      const at = output.indexOf(window);
      if (at >= 0) {
        const lineStart = output.lastIndexOf("\n", at) + 1;
        const context = at - lineStart > 140
          ? `${output.slice(lineStart, lineStart + 60)} … ${output.slice(at - 60, at + 40)}`
          : output.slice(lineStart, at + 40);
        found.push(
          `${label}: ${JSON.stringify(window)} of the key (${name}) printed, in ` +
            JSON.stringify(context),
        );
        break;
      }
    }
  }
  return found;
}

const dots = (n: number) => ".".repeat(n);
const range = (from: number, to: number, step: number) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);
const html = (inner: string) =>
  new Response(`<html><body><p>${inner}</p></body></html>`, {
    status: 500,
    headers: { "content-type": "text/html" },
  });

/**
 * Sites whose `GET /site-info` echoes the key (as the server received it), each placing it where
 * one of the cuts the program makes (a 197-character snippet, a 77-character quoted value, a
 * 200-character field, 1,000-character text and 10,000-character JSON messages) would leave all
 * but its last characters, or encoding it.
 */
function siteEchoes(): Map<string, (key: string) => Response> {
  const sites = new Map<string, (key: string) => Response>();
  for (const n of [...range(140, 200, 15), ...range(910, 1000, 15), ...range(9910, 10000, 15)]) {
    sites.set(`forbidden-${n}`, (key) => json({ message: dots(n) + key }, 403));
  }
  for (const n of range(145, 180, 7)) {
    sites.set(`html-500-${n}`, (key) => html(dots(n) + key));
    // 200, but not JSON: the parse fails right where the key starts.
    sites.set(`not-json-${n}`, (key) => new Response(`{"name":"${dots(n)}"${key}}`));
  }
  for (const n of [52, 60, 70]) {
    sites.set(`quoted-id-${n}`, (key) => json({ ...realSiteInfo, id: dots(n) + key }));
  }
  for (const n of range(165, 195, 10)) {
    sites.set(
      `named-${n}`,
      (key) => json({ ...realSiteInfo, id: `named-${n}`, name: dots(n) + key }),
    );
  }
  for (const [i, echo] of keyEchoes("").entries()) {
    const encoded = (key: string) => keyEchoes(key)[i].echo;
    sites.set(
      `encoded-404-${i}`,
      (key) => json({ message: `${dots(150)} ${encoded(key)} end` }, 404),
    );
    sites.set(`encoded-500-${i}`, (key) => html(`Authorization: ${encoded(key)} (${echo.name})`));
  }
  return sites;
}

/** Where else the key is echoed: in `GET /outages` (so nothing is posted), or in every POST's answer. */
type Variant = "outages" | "posts";

function startEchoServer(variant: Variant) {
  const sites = siteEchoes();
  return startScriptedServer((request, seen) => {
    const key = request.headers.get("x-api-key") ?? "";
    const [, route, site = ""] = seen.path.split("/");
    if (route === "outages") {
      if (variant === "posts") return json(realOutages);
      // Not JSON from the key on, which starts 20 characters before the 197-character snippet ends.
      const head =
        `[{"id":"","begin":"2022-01-01T00:00:00.000Z","end":"2022-01-01T00:00:00.000Z"},`;
      const padded = head.replace('"id":""', `"id":"${dots(177 - head.length)}"`);
      return new Response(`${padded}${key}]`);
    }
    if (route === "site-info") {
      return sites.get(decodeURIComponent(site))?.(key) ?? json({ message: "no such site" }, 404);
    }
    return Number(site.split("-").pop()) % 10 === 0
      ? json({ message: dots(190) + key }, 403)
      : html(`upstream said: ${dots(170)}${key}`);
  });
}

Deno.test("the key is never printed, whole, cut or encoded, in any output format", async () => {
  await using outagesEcho = startEchoServer("outages");
  await using postsEcho = startEchoServer("posts");
  const sites = [...siteEchoes().keys()].join(",");
  const TEXT = ["text"], JSON_ = ["json", "--json"];
  // Each key meets each echo variant and each output format once (text logs and report, or JSON
  // logs and report), in four runs rather than eight.
  const plan = [
    { key: KEYS[0], server: outagesEcho, format: TEXT },
    { key: KEYS[0], server: postsEcho, format: JSON_ },
    { key: KEYS[1], server: outagesEcho, format: JSON_ },
    { key: KEYS[1], server: postsEcho, format: TEXT },
  ];
  const runs = plan.map(async ({ key, server, format }) => {
    const result = await runMain([
      "sync",
      "--base-url",
      server.url,
      "--site",
      sites,
      "--concurrency",
      "64",
      "--max-attempts",
      "2",
      // Nothing here hangs: a generous timeout only keeps a loaded machine from failing the
      // requests before the echoes they carry are printed.
      "--timeout",
      "20",
      "--log-level",
      "debug",
      "--log-format",
      ...format,
    ], { KRAKENFLEX_API_KEY: key });
    const variant = server === outagesEcho ? "outages" : "posts";
    const label = `key ${JSON.stringify(key)}, echoed in ${variant}, ${format.join(" ")}`;
    assert.equal(result.code, 1, `${label}: ${result.stdout.slice(0, 2000)}`);
    assert.ok(result.stdout.includes("[redacted]"), `${label}: nothing was redacted`);
    if (variant === "posts") assert.match(result.stdout, /POST \/site-outages\/named-/);
    return [
      ...keyParts(result.stdout, key, `${label}, stdout`),
      ...keyParts(result.stderr, key, `${label}, stderr`),
    ];
  });
  // The runs go on together: they share nothing but the two servers, which answer by path alone.
  const leaks = (await Promise.all(runs)).flat();
  assert.ok(leaks.length === 0, `parts of the key printed:\n${leaks.join("\n")}`);
  table.record({
    input: "the key echoed in any answer, across every cut, or encoded (URL, base64, HTML " +
      "entities, JSON twice)",
    outcome: "no 8 characters of it or of an encoding printed, in text or JSON logs and reports",
    exit: 1,
    posted: "no / refused",
    test: "the key is never printed, whole, cut or encoded",
  });
});

Deno.test("a key shorter than 8 characters is refused, and not printed", async () => {
  const result = await runMain(["sync", "--base-url", "http://127.0.0.1:9"], {
    KRAKENFLEX_API_KEY: "short7x",
  });
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /keys shorter than 8 are refused/);
  assert.doesNotMatch(result.stderr, /short7x/);
  // Eight is enough.
  await using server = await startMockServer({ apiKey: "eight8ch", port: 0 });
  const eight = await runMain(["sync", "--base-url", server.url], {
    KRAKENFLEX_API_KEY: "eight8ch",
  });
  assert.equal(eight.code, 0, eight.stderr);
  table.record({
    input: "`KRAKENFLEX_API_KEY=short7x` (7 characters)",
    outcome: "usage error: keys shorter than 8 are refused (redaction would garble output); " +
      "the key not printed",
    exit: result.code,
    posted: "no (no request)",
    test: "a key shorter than 8 characters is refused",
  });
});

/**
 * The forms of `key` the program must never print, in any letter case: each echo of
 * {@link keyEchoes}, and the key percent-encoded in lower case and in base64url.
 */
function foldedEchoes(key: string): { name: string; middle: string }[] {
  const bytes = new TextEncoder().encode(key);
  const lowerPercent = Array.from(bytes, (b) => `%${new Uint8Array([b]).toHex()}`).join("");
  const whole = bytes.subarray(0, bytes.length - (bytes.length % 3));
  return [
    ...keyEchoes(key),
    { name: "percent-encoded, lower case", middle: lowerPercent },
    { name: "base64url", middle: whole.toBase64({ alphabet: "base64url" }) },
  ];
}

/** Where any 8 characters of any form of `key` appear in `output`, in any letter case. */
function foldedKeyParts(output: string, key: string, label: string): string[] {
  const lower = output.toLowerCase();
  return foldedEchoes(key).flatMap(({ name, middle }) => {
    const windows = Array.from(
      { length: Math.max(0, middle.length - WINDOW + 1) },
      (_, i) => middle.slice(i, i + WINDOW).toLowerCase(),
    );
    const found = windows.find((window) => lower.includes(window));
    if (found === undefined) return [];
    const at = lower.indexOf(found);
    return [`${label}: ${JSON.stringify(found)} (${name}) in ${output.slice(at - 60, at + 40)}`];
  });
}

Deno.test("a key the program would case-fold is redacted: a redirect's host, a charset", async () => {
  // The server puts the key it received, as it received it (mixed case), where the program
  // lower-cased it itself: a Location's host, and a Content-Type's charset.
  await using redirect = startScriptedServer((request, seen) =>
    seen.path === "/outages"
      ? new Response(null, {
        status: 302,
        headers: { location: `http://${request.headers.get("x-api-key")}.evil.example/outages` },
      })
      : json(realSiteInfo)
  );
  await using charset = startScriptedServer((request, seen) =>
    new Response(JSON.stringify(seen.path === "/outages" ? realOutages : realSiteInfo), {
      headers: { "content-type": `application/json; charset=${request.headers.get("x-api-key")}` },
    })
  );
  const JSON_ = ["--json", "--log-format", "json"];
  const plan = [
    { key: KEYS[0], server: redirect, format: [] },
    { key: KEYS[1], server: redirect, format: JSON_ },
    { key: KEYS[0], server: charset, format: JSON_ },
    { key: KEYS[1], server: charset, format: [] },
  ];
  const runs = plan.map(async ({ key, server, format }) => {
    const result = await runMain(
      ["sync", "--base-url", server.url, "--max-attempts", "1", "--log-level", "debug", ...format],
      { KRAKENFLEX_API_KEY: key },
    );
    const label = `key ${JSON.stringify(key)}${format.length > 0 ? ", JSON" : ""}`;
    assert.equal(result.code, 1, `${label}: ${result.stdout}`);
    assert.match(
      result.stdout,
      server === redirect
        ? /GET \/outages: the API answered 302 redirecting to \\?"http:\/\/\[redacted\]\.evil/
        : /GET \/\S+: the response declares charset \\?"\[redacted\]\\?"/,
      label,
    );
    return [
      ...foldedKeyParts(result.stdout, key, `${label}, stdout`),
      ...foldedKeyParts(result.stderr, key, `${label}, stderr`),
    ];
  });
  const leaks = (await Promise.all(runs)).flat();
  assert.ok(leaks.length === 0, `parts of the key printed:\n${leaks.join("\n")}`);
  const posts = [redirect, charset].flatMap((s) => s.requests).filter((r) => r.method === "POST");
  table.record({
    input: "the key (mixed case) as a 302's Location host, and as a 200's `Content-Type` charset",
    outcome: "parsed only once redacted: no 8 characters of it in any case or encoding, in text " +
      "or JSON logs and reports",
    exit: 1,
    posted: postedWords(posts.length),
    test: "a key the program would case-fold is redacted",
  });
});

/** Characters a terminal interprets rather than shows: C0 and C1 controls, DEL, bidi controls. */
// deno-lint-ignore no-control-regex -- finding control characters is the point
const CONTROLS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const FORGED = "Not found\n\r\x1b[2K\x1b[1A\x1b]0;pwned\x07\u202eevil\n" +
  "posted        evil: 10 outages posted\nOK: 1 site (1 posted); 0 outages fetched; 0.01 s";

/** Asserts that text output has exactly `lines` lines and no raw control character. */
function assertPlainLines(output: string, lines: number, label: string): string[] {
  assert.ok(output.endsWith("\n"), `${label}: no final newline`);
  const split = output.slice(0, -1).split("\n");
  assert.equal(split.length, lines, `${label}:\n${output}`);
  assert.doesNotMatch(output, CONTROLS, label);
  return split;
}

/**
 * Asserts that every stderr line is a whole log line: text with no raw control character, or a
 * JSON object (whose strings JSON escapes; it leaves U+202E and C1 characters as they are).
 */
function assertLogLines(stderr: string, format: "text" | "json"): unknown[] {
  // deno-lint-ignore no-control-regex -- finding control characters is the point
  const raw = format === "text" ? CONTROLS : /[\x00-\x09\x0b-\x1f]/;
  assert.doesNotMatch(stderr, raw, "stderr");
  return stderr.slice(0, -1).split("\n").map((line) => {
    if (format === "json") return JSON.parse(line);
    assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (ERROR|WARN |INFO |DEBUG) \S/);
    return line;
  });
}

Deno.test("a server's message cannot forge report or log lines: escapes shown, never interpreted", async () => {
  await using server = startScriptedServer((_, seen) => {
    if (seen.path === "/outages") return json(realOutages);
    if (seen.path === `/site-info/${SITE}`) return json({ message: FORGED }, 404);
    return html(FORGED); // site "second", and any POST
  });
  const args = [
    "sync",
    "--base-url",
    server.url,
    "--site",
    `${SITE},second`,
    "--max-attempts",
    "1",
  ];
  const text = await runMain([...args, "--log-level", "debug"], { KRAKENFLEX_API_KEY: KEYS[0] });
  assert.equal(text.code, 1);
  const lines = assertPlainLines(text.stdout, 3, "stdout");
  assert.match(
    lines[0],
    /^failed +norwich-pear-tree: GET \/site-info\/norwich-pear-tree: the API answered 404: Not found\\n\\r\\x1b\[2K\\x1b\[1A\\x1b\]0;pwned\\x07\\u202eevil\\nposted {8}evil: 10 outages posted\\nOK: 1 site/,
  );
  assert.match(
    lines[1],
    /^failed +second: GET \/site-info\/second: the API answered 500: .*\\x1b\]0;pwned\\x07/,
  );
  assert.match(lines[2], /^FAILED: 2 sites \(2 failed\)/);
  assertLogLines(text.stderr, "text");

  const machine = await runMain([...args, "--json", "--log-format", "json"], {
    KRAKENFLEX_API_KEY: KEYS[0],
  });
  assert.equal(machine.code, 1);
  const report = JSON.parse(machine.stdout);
  assert.ok(
    report.sites[0].error.message.includes(`the API answered 404: ${FORGED}`),
    report.sites[0].error.message,
  );
  const logged = assertLogLines(machine.stderr, "json") as Record<string, unknown>[];
  assert.ok(logged.some((line) => String(line.error).includes(FORGED)), "the message kept as JSON");
  table.record({
    input: "a 404 `message` with `\\n`, `\\r`, ANSI and title escapes, U+202E and forged " +
      "`posted …`/`OK:` lines",
    outcome: "one line per site and the summary; escapes shown as `\\x1b`, `\\n`; the JSON " +
      "report and logs keep the text as a JSON string",
    exit: text.code,
    posted: postedWords(server.requests.filter((r) => r.method === "POST").length),
    test: "a server's message cannot forge report or log lines",
  });
});

Deno.test("a site's name or device name cannot forge lines either (dry run shows them)", async () => {
  const name = "\x1b]0;pwned\x07Norwich\nposted        evil: 10 outages posted\r\u202e";
  const site = {
    ...realSiteInfo,
    name,
    devices: realSiteInfo.devices.map((d) => ({ ...d, name: `\x1b[31m${d.name}\n` })),
  };
  await using server = startScriptedServer((_, seen) =>
    seen.path === "/outages" ? json(realOutages) : json(site)
  );
  const result = await runMain(
    ["sync", "--base-url", server.url, "--dry-run", "--log-level", "debug"],
    { KRAKENFLEX_API_KEY: KEYS[0] },
  );
  assert.equal(result.code, 0, result.stdout);
  const lines = assertPlainLines(result.stdout, realExpected.length + 2, "stdout");
  assert.match(
    lines[0],
    /^dry-run +norwich-pear-tree \(\\x1b\]0;pwned\\x07Norwich\\nposted {8}evil: 10 outages posted\\r\\u202e\): 10 outages would be posted/,
  );
  assert.match(lines[1], /^ {2}\S+ {2}"\\u001b\[31m.*\\n" {2}/);
  assertLogLines(result.stderr, "text");
  assert.equal(server.requests.filter((r) => r.method === "POST").length, 0);
  table.record({
    input: "a site `name` with a title escape and a forged line; device names with ANSI escapes " +
      "(`--dry-run`)",
    outcome: "one line per site, payload line and summary; escapes shown, never interpreted",
    exit: result.code,
    posted: "no (dry run)",
    test: "a site's name or device name cannot forge lines either",
  });
});

Deno.test("a 5 MB message: stdout and stderr stay small and say how much was cut", async () => {
  const message = `${"\x1b[1A".repeat(10)}${"A".repeat(5_000_000 - 40)}`;
  await using server = startScriptedServer((_, seen) =>
    seen.path === "/outages" ? json(realOutages) : json({ message }, 404)
  );
  const args = ["sync", "--base-url", server.url, "--log-level", "debug"];
  const text = await runMain(args, { KRAKENFLEX_API_KEY: KEYS[0] });
  assert.equal(text.code, 1);
  for (const [name, output] of [["stdout", text.stdout], ["stderr", text.stderr]]) {
    assert.ok(output.length < 30_000, `${name}: ${output.length} characters`);
    assert.doesNotMatch(output, CONTROLS, name);
    const cut = /… \((\d+) more characters\)/.exec(output);
    assert.ok(cut !== null, `${name} does not say it was cut`);
    assert.ok(Number(cut[1]) > 4_990_000 && Number(cut[1]) < 5_000_000, cut[0]);
  }
  assertPlainLines(text.stdout, 2, "stdout");
  const machine = await runMain([...args, "--json", "--log-format", "json"], {
    KRAKENFLEX_API_KEY: KEYS[0],
  });
  assert.equal(machine.code, 1);
  assert.ok(machine.stdout.length < 30_000, `stdout: ${machine.stdout.length} characters`);
  assert.ok(machine.stderr.length < 30_000, `stderr: ${machine.stderr.length} characters`);
  const error: string = JSON.parse(machine.stdout).sites[0].error.message;
  const cut = /… \((\d+) more characters\)$/.exec(error);
  assert.ok(cut !== null, error.slice(-100));
  assert.equal(error.length - cut[0].length, 10_000);
  assert.ok(error.includes("\x1b[1A"), "the JSON report keeps the text as it came");
  table.record({
    input: "a 404 `message` of 5 MB",
    outcome: "stdout and stderr < 30 KB each, saying `… (N more characters)`; JSON report cut " +
      "at 10,000 characters",
    exit: text.code,
    posted: postedWords(server.requests.filter((r) => r.method === "POST").length),
    test: "a 5 MB message: stdout and stderr stay small",
  });
});

/** A raw TCP listener standing in for an HTTP proxy: it records every connection's first bytes. */
function startFakeProxy() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen: string[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      const buffer = new Uint8Array(4096);
      const n = await conn.read(buffer).catch(() => null);
      seen.push(new TextDecoder().decode(buffer.subarray(0, n ?? 0)));
      await conn.write(new TextEncoder().encode("HTTP/1.1 502 Bad Gateway\r\n\r\n")).catch(() => 0);
      conn.close();
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    seen,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
    },
  };
}

async function resolvesHere(hostname: string, port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname, port })).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test("HTTP_PROXY is never used for a loopback base URL: the key does not reach it", async () => {
  await using proxy = startFakeProxy();
  const env = (key: string) => ({
    KRAKENFLEX_API_KEY: key,
    HTTP_PROXY: proxy.url,
    http_proxy: proxy.url,
    HTTPS_PROXY: proxy.url,
    https_proxy: proxy.url,
    ALL_PROXY: proxy.url,
    all_proxy: proxy.url,
  });
  await using numeric = await startMockServer({ apiKey: KEYS[0], port: 0 });
  await using named = await startMockServer({ apiKey: KEYS[0], port: 0 });
  const hosts = [{ host: "127.0.0.1", server: numeric }];
  if (await resolvesHere("localhost", named.port)) hosts.push({ host: "localhost", server: named });
  const results = await Promise.all(
    hosts.map(({ host, server }) =>
      runCli(["sync", "--base-url", `http://${host}:${server.port}`, "--max-attempts", "1"], {
        env: env(KEYS[0]),
        permissions: ["--allow-net=127.0.0.1,localhost", ...NARROW.slice(1)],
      })
    ),
  );
  // What a proxy saw: the request line, and whether the key came with it.
  const seen = proxy.seen.map((head) =>
    `${head.split("\r\n")[0]}${/^x-api-key:/im.test(head) ? " with x-api-key" : ""}`
  );
  assert.deepEqual(seen, [], "the proxy was connected to");
  for (const [i, result] of results.entries()) {
    const { host, server } = hosts[i];
    assert.equal(result.code, 0, `${host}: ${result.stdout}${result.stderr}`);
    const posts = server.api.requests().filter((r) => r.method === "POST");
    assert.deepEqual(posts.map((p) => p.body), [realExpected]);
    table.record({
      input:
        `\`HTTP_PROXY\` (and \`HTTPS_PROXY\`, \`ALL_PROXY\`) set, \`--base-url http://${host}:…\``,
      outcome: "synced directly; the proxy saw no connection (the key never went to it)",
      exit: result.code,
      posted: postedWords(posts.length),
      test: "HTTP_PROXY is never used for a loopback base URL",
    });
  }
});

Deno.test("a usage error (no key) still writes the metrics file: exit 2, last success 0", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/m.prom`;
  const value = (text: string, name: string) =>
    parsePrometheus(text).samples.find((s) => s.name === name)?.value;
  const usage = await runMain(["sync", "--metrics-file", path], {}, { fs: realFileWriter });
  assert.equal(usage.code, 2, usage.stderr);
  assert.match(usage.stderr, /No API key/);
  const first = await Deno.readTextFile(path);
  assert.equal(value(first, "outage_sync_run_exit_code"), 2);
  assert.equal(value(first, "outage_sync_last_success_timestamp_seconds"), 0);
  assert.equal(value(first, "outage_sync_run_attempts"), 0);
  table.record({
    input: "no key, `--metrics-file` given (a first deploy with a bad key)",
    outcome: "usage error; the metrics file written with exit code 2 and last success 0",
    exit: usage.code,
    posted: "no (no request)",
    test: "a usage error (no key) still writes the metrics file",
  });

  await using server = await startMockServer({ apiKey: KEYS[0], port: 0 });
  const before = Date.now() / 1000;
  const ok = await runMain(
    ["sync", "--base-url", server.url, "--metrics-file", path],
    { KRAKENFLEX_API_KEY: KEYS[0] },
    { fs: realFileWriter, files: { [path]: first } },
  );
  assert.equal(ok.code, 0, ok.stderr);
  const second = await Deno.readTextFile(path);
  assert.equal(value(second, "outage_sync_run_exit_code"), 0);
  const success = value(second, "outage_sync_last_success_timestamp_seconds") ?? 0;
  assert.ok(success >= before - 1 && success <= Date.now() / 1000 + 1, `last success ${success}`);
});

// Last, so that every test above has recorded its rows.
Deno.test("hostile inputs: this file's rows of docs/fault-matrix.md are the rows its tests recorded", () => {
  table.check();
});
