/**
 * What a client written for the real API sees from `mock-api`: an independent, strict client —
 * plain `fetch`, one connection per request, no retries, no redirects followed, the whole body read
 * before the status is trusted, `Content-Type` exactly `application/json` — against the default
 * emulator and against every scripted fault, given on the command line as people give them. Then
 * the same faults from a raw TCP socket, which sees a reset and a close byte by byte.
 */

import assert from "node:assert/strict";
import type { Outage, SiteInfo } from "../src/api_shapes.ts";
import { startMockServer } from "../src/mock/server.ts";
import { startMain } from "./in_process.ts";
import { answer, strict } from "./strict_client.ts";

const KEY = "fidelity-key-41c9";
const PREFIX = "/interview-tests-mock-api/v1";
const DATA = new URL("../src/mock/data/", import.meta.url);
const OUTAGES_TEXT = await Deno.readTextFile(new URL("outages.json", DATA));
const SITE: SiteInfo = JSON.parse(
  await Deno.readTextFile(new URL("site-info-norwich-pear-tree.json", DATA)),
);
const EXPECTED_TEXT = await Deno.readTextFile(
  new URL("expected-site-outages-norwich-pear-tree.json", DATA),
);
const DEVICES = new Set(SITE.devices.map((device) => device.id));
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function assertOutages(value: unknown): Outage[] {
  assert.ok(Array.isArray(value));
  const outages = value as Outage[];
  for (const outage of outages) {
    assert.deepEqual(Object.keys(outage), ["id", "begin", "end"]);
    assert.ok(Date.parse(outage.begin) < Date.parse(outage.end), JSON.stringify(outage));
  }
  const ids = outages.map((outage) => outage.id);
  assert.deepEqual(ids, [...ids].sort(), "in id order, as every capture is");
  return outages;
}

const withKey = { headers: { "x-api-key": KEY } };

Deno.test("fidelity: a strict client against the default mock-api", async (t) => {
  await using run = startMain(["mock-api", "--port", "0", "--api-key", KEY]);
  const base = `${await run.firstLine}${PREFIX}`;

  await t.step("GET /outages: exactly application/json, 108 outages in id order", async () => {
    const seen = answer(await strict(`${base}/outages`, withKey));
    assert.equal(seen.status, 200);
    assert.equal(seen.headers.get("content-type"), "application/json");
    assert.equal(assertOutages(seen.json).length, 108);
  });

  await t.step("two GET /outages: the same 18 real outages, different noise", async () => {
    const [a, b] = [
      assertOutages(answer(await strict(`${base}/outages`, withKey)).json),
      assertOutages(answer(await strict(`${base}/outages`, withKey)).json),
    ];
    const captured = assertOutages(JSON.parse(OUTAGES_TEXT));
    const real = (list: Outage[]) => list.filter((outage) => DEVICES.has(outage.id));
    const noise = (list: Outage[]) => list.filter((outage) => !DEVICES.has(outage.id));
    assert.deepEqual(real(a), real(captured));
    assert.deepEqual(real(b), real(captured));
    assert.equal(real(a).length, 18);
    assert.equal(noise(a).length, 90);
    const ids = new Set(noise(a).map((outage) => outage.id));
    assert.ok(noise(b).every((outage) => !ids.has(outage.id)), "fresh noise every time");
    assert.ok(noise(captured).every((outage) => !ids.has(outage.id)), "not the captured noise");
    for (const outage of [...noise(a), ...noise(b)]) {
      assert.match(outage.id, UUID_V4);
      assert.ok(outage.begin >= "2021-01-01T00:00:00.000Z", outage.begin);
      assert.ok(outage.end <= "2022-12-31T23:59:59.999Z", outage.end);
    }
  });

  await t.step(
    "GET /site-info and the right POST: 200, a POST short of one element: 400",
    async () => {
      const site = answer(await strict(`${base}/site-info/norwich-pear-tree`, withKey));
      assert.equal(site.status, 200);
      assert.deepEqual(site.json, SITE);
      const post = (body: string) =>
        strict(`${base}/site-outages/norwich-pear-tree`, {
          method: "POST",
          headers: { "x-api-key": KEY, "content-type": "application/json" },
          body,
        });
      const ok = answer(await post(EXPECTED_TEXT));
      assert.deepEqual([ok.status, ok.headers.get("content-type"), ok.json], [
        200,
        "application/json",
        {},
      ]);
      const short = answer(await post(JSON.stringify(JSON.parse(EXPECTED_TEXT).slice(1))));
      assert.equal(short.status, 400);
      assert.equal(short.headers.get("content-type"), "application/json");
    },
  );

  await t.step("a wrong key, an unknown site: 403 and 404 with a message", async () => {
    const refused = answer(await strict(`${base}/outages`, { headers: { "x-api-key": "x" } }));
    const unknown = answer(await strict(`${base}/site-info/kingfisher`, withKey));
    for (const [seen, status] of [[refused, 403], [unknown, 404]] as const) {
      assert.equal(seen.status, status);
      assert.equal(seen.headers.get("content-type"), "application/json");
      assert.equal(typeof (seen.json as { message: unknown }).message, "string");
    }
  });
});

Deno.test("fidelity: --noise captured serves the capture byte for byte", async () => {
  await using run = startMain(["mock-api", "--port", "0", "--api-key", KEY, "--noise=captured"]);
  const url = `${await run.firstLine}${PREFIX}/outages`;
  for (let i = 0; i < 2; i++) assert.equal(answer(await strict(url, withKey)).text, OUTAGES_TEXT);
});

Deno.test("fidelity: every scripted fault, from --fault and --script, as a client sees it", async (t) => {
  const script = {
    "GET /site-info/*": [
      { kind: "redirect", location: "https://elsewhere.example/site-info" },
      { kind: "status", status: 429, headers: { "retry-after": "7" } },
    ],
  };
  await using run = startMain(
    [
      "mock-api",
      "--port=0",
      "--api-key",
      KEY,
      "--gateway-timeout",
      "0.1",
      "--script",
      "faults.json",
      "--fault",
      "GET /outages=500,503,reset,close,hang,truncate,malformed,ok@60,hang-forever",
    ],
    {},
    { files: { "faults.json": JSON.stringify(script) } },
  );
  const base = `${await run.firstLine}${PREFIX}`;
  const outages = () => strict(`${base}/outages`, withKey);

  await t.step("500 and 503: the status with a JSON message", async () => {
    for (
      const [status, message] of [[500, "Internal server error"], [503, "Scripted status 503."]]
    ) {
      const seen = answer(await outages());
      assert.equal(seen.status, status);
      assert.equal(seen.headers.get("content-type"), "application/json");
      assert.deepEqual(seen.json, { message });
    }
  });

  await t.step("reset: the request fails with a connection reset, no status", async () => {
    const seen = await outages();
    assert.equal(seen.kind, "failed");
    assert.ok(seen.kind === "failed" && seen.phase === "request");
    assert.ok(seen.error instanceof TypeError);
    assert.match(seen.why, /reset/i);
  });

  await t.step("close: the request fails, the connection closed before any byte", async () => {
    const seen = await outages();
    assert.ok(seen.kind === "failed" && seen.phase === "request", JSON.stringify(seen));
    assert.ok(seen.error instanceof TypeError);
    assert.match(seen.why, /closed before message completed/);
  });

  await t.step("hang: the gateway's 504 after --gateway-timeout", async () => {
    const seen = answer(await outages());
    assert.equal(seen.status, 504);
    assert.deepEqual(seen.json, { message: "Endpoint request timed out" });
    assert.ok(seen.ms >= 90, `${seen.ms} ms`);
  });

  await t.step("truncate: 200 and a Content-Length, then the body fails", async () => {
    const seen = await outages();
    assert.ok(seen.kind === "failed" && seen.phase === "body", JSON.stringify(seen));
    assert.ok(seen.error instanceof TypeError);
  });

  await t.step("malformed: 200 application/json that does not parse", async () => {
    const seen = answer(await outages());
    assert.equal(seen.status, 200);
    assert.ok(seen.json instanceof SyntaxError);
  });

  await t.step("ok@60: the real answer, 60 ms late", async () => {
    const seen = answer(await outages());
    assert.equal(assertOutages(seen.json).length, 108);
    assert.ok(seen.ms >= 55, `${seen.ms} ms`);
  });

  await t.step("hang-forever: nothing until the client gives up", async () => {
    const seen = await strict(`${base}/outages`, { ...withKey, signal: AbortSignal.timeout(80) });
    assert.ok(seen.kind === "failed" && seen.phase === "request");
    assert.equal((seen.error as DOMException).name, "TimeoutError");
  });

  await t.step("then normal answers again", async () => {
    assert.equal(answer(await outages()).status, 200);
  });

  await t.step("redirect (from --script): a 302 the client does not follow", async () => {
    const seen = answer(await strict(`${base}/site-info/norwich-pear-tree`, withKey));
    assert.equal(seen.status, 302);
    assert.equal(seen.headers.get("location"), "https://elsewhere.example/site-info");
  });

  await t.step("a status with headers (from --script): 429 with Retry-After", async () => {
    const seen = answer(await strict(`${base}/site-info/norwich-pear-tree`, withKey));
    assert.equal(seen.status, 429);
    assert.equal(seen.headers.get("retry-after"), "7");
    assert.deepEqual(seen.json, { message: "You've exceeded your limit for your API key." });
  });
});

/** Sends a raw HTTP/1.1 request and reads until the server ends the connection. */
async function rawExchange(port: number, request: string): Promise<{ bytes: number; end: string }> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(request));
  const buffer = new Uint8Array(64 * 1024);
  let bytes = 0;
  for (;;) {
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch (error) {
      return { bytes, end: error instanceof Error ? error.name : String(error) };
    }
    if (n === null) return { bytes, end: "EOF" };
    bytes += n;
  }
}

Deno.test("fidelity: a raw socket sees a reset as RST and a close as EOF, before any byte", async () => {
  await using server = await startMockServer({ apiKey: KEY });
  server.api.script("GET /outages", ["reset", "close", "truncate"]);
  const request =
    `GET /outages HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nx-api-key: ${KEY}\r\n` +
    "Connection: close\r\n\r\n";
  assert.deepEqual(await rawExchange(server.port, request), { bytes: 0, end: "ConnectionReset" });
  assert.deepEqual(await rawExchange(server.port, request), { bytes: 0, end: "EOF" });
  const truncated = await rawExchange(server.port, request);
  assert.equal(truncated.end, "EOF");
  assert.ok(
    truncated.bytes > 100 && truncated.bytes < OUTAGES_TEXT.length,
    String(truncated.bytes),
  );
  assert.deepEqual(server.api.requests().map((entry) => [entry.fault, entry.status]), [
    ["script:reset", null],
    ["script:close", null],
    ["script:truncate", 200],
  ]);
});
