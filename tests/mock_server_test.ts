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

  await t.step("a Host that is not a loopback name: 421, for the log too", async () => {
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

  await t.step("a loopback name with another port (a port forwarder's): answered", async () => {
    // `docker -p 8080:PORT`, `kubectl port-forward` and `ssh -L` send their own side's port.
    for (const host of ["127.0.0.1:8080", "localhost:3000", "[::1]:1", "localhost"]) {
      for (const path of ["/outages", "/__mock/requests"]) {
        const answer = await raw(
          server.port,
          `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nx-api-key: ${KEY}\r\nConnection: close\r\n\r\n`,
        );
        assert.match(answer, /^HTTP\/1\.1 200 /, `${host} ${path}`);
      }
    }
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

/**
 * Reads from `conn` until the server closes it (or resets it); whether it did within `guardMs`, a
 * bound only there so that a server that never closes fails the test instead of hanging it.
 */
async function closedByServer(conn: Deno.Conn, guardMs: number): Promise<string | "open"> {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const reading = (async () => {
    const buffer = new Uint8Array(16 * 1024);
    try {
      for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
        chunks.push(decoder.decode(buffer.subarray(0, n)));
      }
    } catch {
      // A reset is a close too.
    }
    return chunks.join("");
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<"open">((resolve) =>
    timer = setTimeout(() => resolve("open"), guardMs)
  );
  const result = await Promise.race([reading, guard]);
  clearTimeout(timer);
  if (result === "open") {
    conn.close();
    await reading;
  }
  return result;
}

/** A started emulator whose timeouts are short, and the head of a POST of `length` bytes to it. */
async function slowBodyServer() {
  const server = await startMockServer({
    apiKey: KEY,
    // Long enough that a loaded machine's 60 ms sleeps stay well inside it.
    headerTimeoutMs: 400,
    bodyIdleTimeoutMs: 400,
    gatewayTimeoutMs: 900,
  });
  const post = (length: number) =>
    `POST /site-outages/norwich-pear-tree HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
    `x-api-key: ${KEY}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
  return Object.assign(server, { post });
}

/** What a client reads first from `conn`, as text. */
async function firstAnswer(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(64 * 1024);
  const n = await conn.read(buffer);
  return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
}

const encoder = new TextEncoder();

/**
 * The cases of "bodies that never finish", each on an emulator of its own: most wait on the
 * emulator's timers, so they run at once rather than one after the other.
 */
const NEVER_FINISHED: Record<string, () => Promise<void>> = {
  "headers that never end: the connection closed after the header timeout": async () => {
    await using s = await slowBodyServer();
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await conn.write(encoder.encode(`POST /site-outages/x HTTP/1.1\r\nHost: 127.0.0.1\r\n`));
    const started = performance.now();
    assert.equal(await closedByServer(conn, 10_000), "", "closed without an answer");
    assert.ok(performance.now() - started >= 350, "not before the header timeout");
  },
  "a body that stops: closed after the idle timeout, logged as gone": async () => {
    await using s = await slowBodyServer();
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await conn.write(encoder.encode(`${s.post(60 * 1024 * 1024)}[{"id":`));
    assert.equal(await closedByServer(conn, 10_000), "", "closed without an answer");
    const entry = s.api.requests().at(-1);
    assert.equal(entry?.status, null);
    assert.equal(entry?.note, "the client went away while sending its body");
  },
  "a body without the key: 403, and the connection closed at once": async () => {
    await using s = await slowBodyServer();
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await conn.write(
      encoder.encode(s.post(1_000_000).replace(`x-api-key: ${KEY}\r\n`, "") + "[1,"),
    );
    const answer = await closedByServer(conn, 10_000);
    assert.match(answer, /^HTTP\/1\.1 403 /, "answered, then closed");
  },
  "a body that keeps coming, slower than at once: read whole": async () => {
    await using s = await slowBodyServer();
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    const body = "[]";
    await conn.write(encoder.encode(s.post(body.length + 8)));
    for (const part of ["[", " ", " ", " ", " ", " ", " ", " ", " ", "]"]) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      await conn.write(encoder.encode(part));
    }
    assert.match(await firstAnswer(conn), /^HTTP\/1\.1 400 /);
  },
  "a hang after a whole body is the gateway's 504, not an idle close": async () => {
    await using s = await slowBodyServer();
    s.api.script("POST /site-outages", ["hang"]);
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await conn.write(encoder.encode(`${s.post(2)}[]`));
    assert.match(await firstAnswer(conn), /^HTTP\/1\.1 504 /);
  },
  "a keep-alive connection still answers its second request": async () => {
    await using s = await slowBodyServer();
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await conn.write(encoder.encode(`${s.post(2)}[]`));
    assert.match(await firstAnswer(conn), /^HTTP\/1\.1 400 /);
    // Longer than the idle timeouts: they apply within a request, not between two.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await conn.write(encoder.encode(`${s.post(2)}[]`));
    assert.match(await firstAnswer(conn), /^HTTP\/1\.1 400 /);
  },
};

Deno.test("mock server: bodies that never finish", async (t) => {
  const outcomes = new Map(
    Object.entries(NEVER_FINISHED).map((
      [name, run],
    ) => [name, run().then(() => undefined, (e) => e)]),
  );
  for (const [name, outcome] of outcomes) {
    await t.step(name, async () => {
      const error = await outcome;
      if (error !== undefined) throw error;
    });
  }
});

Deno.test("mock server: the bodies being read share one budget", async () => {
  await using server = await startMockServer({ apiKey: KEY, maxHeldBodyBytes: 64 * 1024 });
  const encoder = new TextEncoder();
  const head = (length: number) =>
    `POST /site-outages/norwich-pear-tree HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${KEY}\r\n` +
    `content-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
  // One unfinished body holds 40 KB or more of the 64 KiB budget: no room for 30 KB more.
  using holder = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await holder.write(encoder.encode(head(1_000_000) + " ".repeat(40_000)));
  let refused: Response | undefined;
  for (let i = 0; i < 100 && refused === undefined; i++) {
    const response = await fetch(`${server.url}/site-outages/norwich-pear-tree`, {
      method: "POST",
      headers: { "x-api-key": KEY, "content-type": "application/json" },
      body: " ".repeat(30_000),
    });
    if (response.status === 503) refused = response;
    else await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(refused !== undefined, "a second body got 503 while the first held the budget");
  assert.deepEqual(await refused.json(), { message: "Service Unavailable" });
  assert.equal(refused.headers.get("retry-after"), "1");
  holder.close();
});

Deno.test("mock server: a timeout out of range is refused before it listens", async () => {
  for (const bad of [0, -1, Number.NaN, 2 ** 31]) {
    await assert.rejects(startMockServer({ apiKey: KEY, headerTimeoutMs: bad }), RangeError);
    await assert.rejects(startMockServer({ apiKey: KEY, bodyIdleTimeoutMs: bad }), RangeError);
  }
});
