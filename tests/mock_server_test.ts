/**
 * The emulator over a real loopback socket, driven by plain `fetch` calls written from api.yaml,
 * as an independent client would.
 */

import assert from "node:assert/strict";
import { defaultDataset } from "../src/mock/dataset.ts";
import { startMockServer } from "../src/mock/server.ts";
import type { RequestLogEntry } from "../src/mock/handler.ts";

const KEY = "server-test-key-93a0";
const PREFIX = "/interview-tests-mock-api/v1";
const DATA = new URL("../src/mock/data/", import.meta.url);
const OUTAGES_TEXT = await Deno.readTextFile(new URL("outages.json", DATA));
const SITE_TEXT = await Deno.readTextFile(new URL("site-info-norwich-pear-tree.json", DATA));
const EXPECTED_TEXT = await Deno.readTextFile(
  new URL("expected-site-outages-norwich-pear-tree.json", DATA),
);

/** Reads the body to its end; the error when it fails part way. */
async function bodyError(response: Response): Promise<unknown> {
  try {
    await response.arrayBuffer();
    return undefined;
  } catch (error) {
    return error;
  }
}

async function requestLog(url: string): Promise<RequestLogEntry[]> {
  const response = await fetch(`${url}/__mock/requests`);
  assert.equal(response.status, 200);
  return await response.json();
}

Deno.test("mock server: the API over HTTP", async (t) => {
  await using server = await startMockServer({ apiKey: KEY, dataset: defaultDataset("captured") });
  const headers = { "x-api-key": KEY };
  await t.step("it listens on a free loopback port", () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(server.port > 0);
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
  });

  for (const prefix of ["", PREFIX]) {
    await t.step(`GET ${prefix}/outages → 200 with the captured body`, async () => {
      const response = await fetch(`${server.url}${prefix}/outages`, { headers });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "application/json");
      assert.equal(response.headers.get("content-length"), String(OUTAGES_TEXT.length));
      assert.equal(await response.text(), OUTAGES_TEXT);
    });

    await t.step(`GET ${prefix}/site-info/norwich-pear-tree → 200`, async () => {
      const response = await fetch(`${server.url}${prefix}/site-info/norwich-pear-tree`, {
        headers,
      });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), SITE_TEXT);
    });

    await t.step(`POST ${prefix}/site-outages with the real expected file → 200 {}`, async () => {
      const response = await fetch(`${server.url}${prefix}/site-outages/norwich-pear-tree`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: EXPECTED_TEXT,
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {});
    });
  }

  await t.step("a missing or wrong key → 403 {message}", async () => {
    for (const init of [{}, { headers: { "x-api-key": "nope" } }]) {
      const response = await fetch(`${server.url}${PREFIX}/outages`, init);
      assert.equal(response.status, 403);
      assert.deepEqual(await response.json(), {
        message: "You do not have the required permissions to make this request.",
      });
    }
  });

  await t.step("an unknown site or path → 404 {message}", async () => {
    for (const path of ["/site-info/kingfisher", "/site-outages", "/outage"]) {
      const response = await fetch(`${server.url}${PREFIX}${path}`, { headers });
      assert.equal(response.status, 404, path);
      assert.deepEqual(await response.json(), {
        message: "You have requested a resource that does not exist.",
      });
    }
  });

  await t.step("a payload that is not exactly right → 400 {message}", async () => {
    const payload = JSON.parse(EXPECTED_TEXT).slice(2);
    const response = await fetch(`${server.url}/site-outages/norwich-pear-tree`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(payload),
    });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      message: "We cannot process your request because it doesn't match the required format.",
    });
  });

  await t.step("GET /__mock/requests shows the log, never the key", async () => {
    const log = await requestLog(server.url);
    assert.equal(log.length, 12);
    assert.deepEqual(
      log.map((e) => `${e.method} ${e.path} ${e.status}`).slice(0, 3),
      [
        "GET /outages 200",
        "GET /site-info/norwich-pear-tree 200",
        "POST /site-outages/norwich-pear-tree 200",
      ],
    );
    assert.deepEqual(log[2].body, JSON.parse(EXPECTED_TEXT));
    assert.equal(log[6].keyPresent, false);
    assert.equal(log[7].keyPresent, true);
    assert.match(log[11].note ?? "", /2 expected element\(s\) missing/);
    assert.ok(!JSON.stringify(log).includes(KEY));
    assert.deepEqual(server.api.requests(), log);
  });

  await t.step("POST /__mock/reset clears the log", async () => {
    server.api.script("GET /outages", [500]);
    const response = await fetch(`${server.url}/__mock/reset`, { method: "POST" });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {});
    assert.deepEqual(await requestLog(server.url), []);
    const outages = await fetch(`${server.url}/outages`, { headers });
    assert.equal(outages.status, 200, "the script was cleared too");
    await outages.body?.cancel();
  });
});

Deno.test("mock server: faults as a client sees them", async (t) => {
  await using server = await startMockServer({ apiKey: KEY });
  const headers = { "x-api-key": KEY };
  const outages = `${server.url}${PREFIX}/outages`;
  await t.step("hang-forever: the client's AbortSignal ends the request", async () => {
    server.api.script("GET /outages", ["hang-forever"]);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 50);
    await assert.rejects(
      fetch(outages, { headers, signal: controller.signal }),
      (error: unknown) => error instanceof DOMException && error.name === "AbortError",
    );
    clearTimeout(timer);
    // The server notices the closed connection shortly after.
    for (let i = 0; i < 100 && server.api.requests().at(-1)?.note === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const entry = server.api.requests().at(-1);
    assert.equal(entry?.status, null);
    assert.equal(entry?.note, "the client went away while the request hung");
  });

  await t.step("truncate: the full Content-Length, then the body fails", async () => {
    server.api.script("GET /outages", ["truncate"]);
    const response = await fetch(outages, { headers });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-length"), String(OUTAGES_TEXT.length));
    assert.ok(await bodyError(response) instanceof TypeError);
  });

  await t.step("malformed: 200 with a body that is not JSON", async () => {
    server.api.script("GET /outages", ["malformed"]);
    const response = await fetch(outages, { headers });
    assert.equal(response.status, 200);
    await assert.rejects(response.json(), SyntaxError);
  });

  await t.step("redirect: a 3xx naming another origin", async () => {
    server.api.script("GET /outages", [{ kind: "redirect", location: "http://127.0.0.2:1/x" }]);
    const response = await fetch(outages, { headers, redirect: "manual" });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "http://127.0.0.2:1/x");
    await response.body?.cancel();
  });

  await t.step("a scripted status with a delay", async () => {
    server.api.script("GET /site-info", [{ kind: "status", status: 503, delayMs: 30 }]);
    const start = performance.now();
    const response = await fetch(`${server.url}/site-info/norwich-pear-tree`, { headers });
    assert.ok(performance.now() - start >= 25);
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { message: "Scripted status 503." });
  });

  await t.step("every faulted request is in the log", () => {
    assert.deepEqual(
      server.api.requests().map((e) => [e.fault, e.status]),
      [
        ["script:hang-forever", null],
        ["script:truncate", 200],
        ["script:malformed", 200],
        ["script:redirect", 302],
        ["script:status", 503],
      ],
    );
  });
});

Deno.test("mock server: close() ends hanging requests and leaks nothing", async () => {
  await using server = await startMockServer({ apiKey: KEY, latencyMs: 5 });
  server.api.script("GET /outages", ["hang-forever"]);
  server.api.script("GET /site-info", [{ kind: "normal", delayMs: 60_000 }]);
  // Each outcome is taken as it comes: a fetch that fails during close() is no unhandled rejection.
  const hanging = fetch(`${server.url}/outages`, { headers: { "x-api-key": KEY } })
    .then(bodyError, (error) => error);
  const delayed = fetch(`${server.url}/site-info/norwich-pear-tree`, {
    headers: { "x-api-key": KEY },
  }).then(bodyError, (error) => error);
  for (let i = 0; i < 100 && server.api.requests().length < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(server.api.requests().length, 2);
  await Promise.all([server.close(), server.close()]);
  // The client sees the connection close before any byte: close() did not wait for the delayed
  // answer (a 200 after 60 s), nor for the hanging one (never).
  for (const pending of [hanging, delayed]) {
    const outcome = await pending;
    assert.ok(outcome instanceof TypeError, String(outcome));
  }
  assert.deepEqual(server.api.requests().map((e) => e.note), [
    "the emulator closed while the request hung",
    "the emulator closed during the scripted delay",
  ]);
  await assert.rejects(fetch(`${server.url}/outages`), TypeError);
});

Deno.test("mock server: a taken port is refused", async () => {
  await using first = await startMockServer({ apiKey: KEY });
  await assert.rejects(startMockServer({ apiKey: KEY, port: first.port }), Deno.errors.AddrInUse);
});

Deno.test("mock server: `await using` closes it at the end of the scope", async () => {
  let url: string;
  {
    await using server = await startMockServer({ apiKey: KEY });
    url = server.url;
    const response = await fetch(`${url}/__mock/requests`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
  }
  await assert.rejects(fetch(`${url}/__mock/requests`), TypeError);
});

/** Sends `request` on a new connection and reads the answer until the server closes it. */
async function raw(port: number, request: string): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(request));
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(16 * 1024);
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    chunks.push(buffer.slice(0, n));
  }
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((chunk) => [...chunk])));
}

Deno.test("mock server: safe to leave running", async (t) => {
  await using server = await startMockServer({ apiKey: KEY, maxBodyBytes: 4096 });
  const headers = { "x-api-key": KEY, "content-type": "application/json" };

  await t.step("a Host other than loopback and the port: 421, for the log too", async () => {
    for (const path of ["/outages", "/__mock/requests"]) {
      const answer = await raw(
        server.port,
        `GET ${path} HTTP/1.1\r\nHost: rebound.example:${server.port}\r\nx-api-key: ${KEY}\r\n` +
          "Connection: close\r\n\r\n",
      );
      assert.match(answer, /^HTTP\/1\.1 421 /);
      assert.match(answer, /\r\ncontent-type: application\/json\r\n/i);
      assert.match(answer, /"message":"Misdirected request: /);
    }
    const absolute = await raw(
      server.port,
      `GET http://rebound.example/outages HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
        `x-api-key: ${KEY}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(absolute, /^HTTP\/1\.1 421 /, "the absolute form's host is the Host");
  });

  await t.step("a big POST without the key: 403, its body discarded, not logged", async () => {
    const body = new Uint8Array(8 * 1024 * 1024).fill(0x5b);
    const response = await fetch(`${server.url}/site-outages/norwich-pear-tree`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get("connection"), "close");
    await response.body?.cancel();
    const entry = server.api.requests().at(-1);
    assert.equal(entry?.status, 403);
    assert.equal(entry?.body, undefined);
    assert.equal(entry?.bodyBytes, undefined);
  });

  await t.step("a body over the cap: 413 Request Too Long", async () => {
    for (const body of [new Uint8Array(5000), ReadableStream.from([new Uint8Array(5000)])]) {
      const response = await fetch(`${server.url}/site-outages/norwich-pear-tree`, {
        method: "POST",
        headers,
        body,
      });
      assert.equal(response.status, 413);
      assert.deepEqual(await response.json(), { message: "Request Too Long" });
    }
  });

  await t.step("the emulator still answers, and its log serves", async () => {
    const response = await fetch(`${server.url}/__mock/requests`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-mock-dropped"), "0");
    assert.deepEqual((await response.json()).map((e: RequestLogEntry) => e.status).slice(-3), [
      403,
      413,
      413,
    ]);
  });
});
