/**
 * Scripted answers, played through the handler: statuses and bodies, delays, resets, truncated and
 * malformed bodies, redirects, hangs, and the scripts it refuses.
 */

import assert from "node:assert/strict";
import { API_PREFIX } from "../src/mock/handler.ts";
import { dropOf, MockConnectionDrop } from "../src/mock/responses.ts";
import type { MockApi } from "../src/mock/handler.ts";
import {
  api,
  assertMessage,
  bodyOf,
  CAPTURED,
  drain,
  EXPECTED,
  get,
  JSON_TYPE,
  KEY,
  lastEntry,
  MESSAGE_403,
  MESSAGE_429,
  OUTAGES_BYTES,
  post,
  STRUCTURAL,
} from "./mock_helpers.ts";

Deno.test("mock scripts: scripted responses", async (t) => {
  await t.step("statuses are consumed in order, then normal answers resume", async () => {
    const mock = api();
    mock.script("GET /outages", [500, 503, {
      kind: "status",
      status: 429,
      headers: { "retry-after": "2" },
    }]);
    await assertMessage(await mock.handle(get("/outages")), 500, "Internal server error");
    await assertMessage(
      await mock.handle(get(`${API_PREFIX}/outages`)),
      503,
      "Scripted status 503.",
    );
    const limited = await mock.handle(get("/outages"));
    await assertMessage(limited, 429, MESSAGE_429);
    assert.equal(limited.headers.get("retry-after"), "2");
    // The site-info route has no script of its own.
    assert.equal((await mock.handle(get("/site-info/norwich-pear-tree"))).status, 200);
    assert.equal((await mock.handle(get("/outages"))).status, 200);
    assert.deepEqual(mock.requests().map((e) => e.fault), [
      "script:status",
      "script:status",
      "script:status",
      undefined,
      undefined,
    ]);
  });

  await t.step(
    "a scripted body is sent as is (string) or as JSON, with extra headers",
    async () => {
      const mock = api();
      mock.script("GET /site-info", [
        { kind: "status", status: 200, body: '{"id":"x"', headers: { "x-test": "1" } },
        {
          kind: "status",
          status: 502,
          body: "<html>Bad gateway</html>",
          headers: { "content-type": "text/html" },
        },
        { kind: "status", status: 200, body: { id: "other", name: "Other", devices: [] } },
        { kind: "status", status: 204 },
      ]);
      let response = await mock.handle(get("/site-info/anything"));
      assert.equal(await response.text(), '{"id":"x"');
      assert.equal(response.headers.get("x-test"), "1");
      response = await mock.handle(get("/site-info/anything"));
      assert.equal(response.status, 502);
      assert.equal(response.headers.get("content-type"), "text/html");
      assert.equal(await response.text(), "<html>Bad gateway</html>");
      response = await mock.handle(get("/site-info/anything"));
      assert.deepEqual(await bodyOf(response), { id: "other", name: "Other", devices: [] });
      response = await mock.handle(get("/site-info/anything"));
      assert.equal(response.status, 204);
      assert.equal(response.body, null);
    },
  );

  await t.step('scripts apply whatever the key; "normal" still checks it', async () => {
    const mock = api();
    mock.script("POST /site-outages", [200, "normal"]);
    let response = await mock.handle(post("/site-outages/norwich-pear-tree", [], undefined, null));
    assert.equal(response.status, 200);
    await response.body?.cancel();
    response = await mock.handle(
      post("/site-outages/norwich-pear-tree", EXPECTED, undefined, null),
    );
    await assertMessage(response, 403, MESSAGE_403);
    assert.equal(lastEntry(mock).fault, "script:normal");
  });

  await t.step("a delay waits through the injected sleep, then answers", async () => {
    const waits: number[] = [];
    const mock = api({
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    mock.script("GET /outages", [{ kind: "normal", delayMs: 1500 }, {
      kind: "status",
      status: 500,
      delayMs: 20,
    }]);
    assert.equal((await mock.handle(get("/outages"))).status, 200);
    assert.equal((await mock.handle(get("/outages"))).status, 500);
    assert.deepEqual(waits, [1500, 20]);
  });

  await t.step("a delay ends when the client aborts, leaving no timer", async () => {
    const mock = api();
    mock.script("GET /outages", [{ kind: "status", status: 200, delayMs: 60_000 }]);
    const controller = new AbortController();
    const answer = mock.handle(get("/outages", { signal: controller.signal }));
    setTimeout(() => controller.abort(), 5);
    const response = await answer;
    assert.ok((await drain(response)).error instanceof MockConnectionDrop);
    const entry = lastEntry(mock);
    assert.equal(entry.status, null);
    assert.equal(entry.note, "the client went away during the scripted delay");
  });

  await t.step("reset and close: a dropped connection, its body failing at once", async () => {
    const mock = api();
    mock.script("GET /outages", ["reset", { kind: "close", delayMs: 0 }]);
    for (const kind of ["reset", "close"] as const) {
      const response = await mock.handle(get("/outages"));
      assert.equal(dropOf(response), kind, "the server sends no byte and resets or closes");
      const { bytes, error } = await drain(response);
      assert.equal(bytes, 0);
      assert.ok(error instanceof MockConnectionDrop);
      const entry = lastEntry(mock);
      assert.equal(entry.status, null);
      assert.equal(entry.fault, `script:${kind}`);
    }
    assert.equal(dropOf(await mock.handle(get("/outages"))), undefined);
  });

  await t.step("truncate: the full Content-Length, half the body, then a failure", async () => {
    const mock = api({ dataset: CAPTURED });
    mock.script("GET /outages", ["truncate", { kind: "truncate", body: "[1,2,3]", bytes: 2 }]);
    let response = await mock.handle(get("/outages"));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-length"), String(OUTAGES_BYTES.length));
    let result = await drain(response);
    assert.equal(result.bytes, Math.floor(OUTAGES_BYTES.length / 2));
    assert.ok(result.error instanceof MockConnectionDrop);
    response = await mock.handle(get("/outages"));
    assert.equal(response.headers.get("content-length"), "7");
    result = await drain(response);
    assert.equal(result.bytes, 2);
    assert.ok(result.error instanceof MockConnectionDrop);
    assert.equal(lastEntry(mock).status, 200);
    assert.equal(lastEntry(mock).fault, "script:truncate");
  });

  await t.step("malformed: 200 JSON that does not parse", async () => {
    const mock = api();
    mock.script("GET /site-info", ["malformed", { kind: "malformed", body: "{" }]);
    let response = await mock.handle(get("/site-info/norwich-pear-tree"));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), JSON_TYPE);
    const text = await response.text();
    assert.equal(text, '[{"id":');
    assert.throws(() => JSON.parse(text), SyntaxError);
    response = await mock.handle(get("/site-info/norwich-pear-tree"));
    assert.equal(await response.text(), "{");
  });

  await t.step("redirect: a 3xx to another origin", async () => {
    const mock = api();
    mock.script("POST /site-outages", [
      { kind: "redirect", location: "https://attacker.example/steal" },
      { kind: "redirect", location: "http://127.0.0.2:8080/x", status: 308 },
    ]);
    let response = await mock.handle(post("/site-outages/norwich-pear-tree", EXPECTED));
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "https://attacker.example/steal");
    response = await mock.handle(post("/site-outages/norwich-pear-tree", EXPECTED));
    assert.equal(response.status, 308);
    assert.equal(lastEntry(mock).status, 308);
    assert.deepEqual(lastEntry(mock).body, EXPECTED);
  });

  await t.step("hang-forever: no answer until the client aborts", async () => {
    const mock = api();
    mock.script("GET /outages", ["hang-forever"]);
    const controller = new AbortController();
    let settled = false;
    const answer = mock.handle(get("/outages", { signal: controller.signal })).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(settled, false);
    assert.equal(lastEntry(mock).status, null);
    controller.abort();
    const response = await answer;
    assert.ok((await drain(response)).error instanceof MockConnectionDrop);
    assert.equal(lastEntry(mock).note, "the client went away while the request hung");
  });

  await t.step("hang-forever: close() ends it, and later requests are dropped", async () => {
    const mock = api();
    mock.script("GET /site-info", ["hang-forever"]);
    const answer = mock.handle(get("/site-info/norwich-pear-tree"));
    mock.close();
    assert.ok((await drain(await answer)).error instanceof MockConnectionDrop);
    assert.equal(lastEntry(mock).note, "the emulator closed while the request hung");
    const late = await mock.handle(get("/outages"));
    assert.ok((await drain(late)).error instanceof MockConnectionDrop);
    assert.equal(lastEntry(mock).status, null);
  });

  await t.step("a long script is queued one step at a time; over the limit, refused", () => {
    const mock = api();
    // A spread of 100,000 steps into push() overflowed the stack (130,000 on the command line).
    mock.script("GET /outages", new Array(100_000).fill(503));
    assert.throws(
      () => mock.script("GET /outages", [503]),
      (error: Error) =>
        error instanceof TypeError &&
        error.message === 'Invalid script for "GET /outages": 1 step(s) would make 100001 ' +
            "queued, over the limit of 100000",
    );
    assert.throws(() => mock.script("GET /site-info/*", new Array(130_000).fill(503)), TypeError);
  });

  await t.step("a delay past setTimeout's range is refused, not fired at once", () => {
    const mock = api();
    for (const delayMs of [2 ** 31, 2 ** 31 - 1, 3_600_001]) {
      assert.throws(
        () => mock.script("GET /outages", [{ kind: "status", status: 503, delayMs }]),
        /"delayMs" must be a number from 0 to 3600000/,
      );
    }
    mock.script("GET /outages", [{ kind: "status", status: 503, delayMs: 3_600_000 }]);
    assert.throws(() => api({ latencyMs: 2 ** 31 }), /Invalid latency: expected at most/);
    assert.throws(() => api({ gatewayTimeoutMs: 2 ** 31 }), /Invalid gateway timeout/);
  });

  await t.step("bad scripts are refused with a message naming the entry", () => {
    const mock = api();
    assert.throws(() => mock.script("GET /outages", [99]), /\[0\]: status must be an integer/);
    assert.throws(
      () => mock.script("GET /outages", ["normal", { kind: "redirect", location: "/relative" }]),
      /\[1\]: "location" must be an absolute URL/,
    );
    assert.throws(
      () => mock.script("GET /outages", [{ kind: "normal", delayMs: -5 }]),
      /"delayMs" must be a number from 0 to 3600000 \(an hour\), got -5/,
    );
    assert.throws(
      // @ts-expect-error: an unknown route, as a JavaScript caller could pass
      () => mock.script("GET /site-outages", [200]),
      /Invalid route/,
    );
    assert.throws(
      // @ts-expect-error: an unknown kind
      () => mock.script("GET /outages", ["explode"]),
      /unknown kind "explode"/,
    );
  });
});

Deno.test("mock scripts: the gateway's timeout, repeats, sticky steps and sites", async (t) => {
  /** An emulator whose waits take no time and are recorded. */
  function timed(options: Parameters<typeof api>[0] = {}) {
    const waits: number[] = [];
    const mock = api({
      ...options,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    return { mock, waits };
  }
  async function statuses(mock: MockApi, path: string, count: number): Promise<number[]> {
    const result: number[] = [];
    for (let i = 0; i < count; i++) {
      const response = await mock.handle(get(path));
      await drain(response);
      result.push(response.status);
    }
    return result;
  }

  await t.step("hang: 504 Endpoint request timed out after 29 s by default", async () => {
    const { mock, waits } = timed();
    mock.script("GET /outages", ["hang"]);
    const response = await mock.handle(get("/outages"));
    assert.equal(response.headers.get("content-type"), JSON_TYPE);
    await assertMessage(response, 504, "Endpoint request timed out");
    assert.deepEqual(waits, [29_000]);
    assert.equal(lastEntry(mock).status, 504);
    assert.equal(lastEntry(mock).fault, "script:hang");
  });

  await t.step(
    "hang: after gatewayTimeoutMs; a client that gives up first is dropped",
    async () => {
      const { mock, waits } = timed({ gatewayTimeoutMs: 250 });
      mock.script("GET /outages", ["hang"]);
      assert.equal((await mock.handle(get("/outages"))).status, 504);
      assert.deepEqual(waits, [250]);
      const real = api({ gatewayTimeoutMs: 60_000 });
      real.script("GET /outages", ["hang"]);
      const controller = new AbortController();
      const answer = real.handle(get("/outages", { signal: controller.signal }));
      setTimeout(() => controller.abort(), 5);
      assert.ok((await drain(await answer)).error instanceof MockConnectionDrop);
      assert.equal(lastEntry(real).note, "the client went away while the request hung");
      assert.throws(() => api({ gatewayTimeoutMs: -1 }), RangeError);
    },
  );

  await t.step("repeat answers N requests with one step; ok is normal", async () => {
    const mock = api();
    mock.script("GET /outages", [{ kind: "status", status: 500, repeat: 3 }, "ok", 503]);
    assert.deepEqual(await statuses(mock, "/outages", 6), [500, 500, 500, 200, 503, 200]);
    assert.deepEqual(mock.requests().map((e) => e.fault).slice(3, 5), [
      "script:ok",
      "script:status",
    ]);
  });

  await t.step("sticky: the last step answers every later request, until a reset", async () => {
    const mock = api();
    mock.script("GET /outages", [503, { kind: "status", status: 500, repeat: 2 }], {
      sticky: true,
    });
    assert.deepEqual(await statuses(mock, "/outages", 5), [503, 500, 500, 500, 500]);
    mock.reset();
    assert.deepEqual(await statuses(mock, "/outages", 1), [200]);
  });

  await t.step("a site's own steps come before the route's, for that site only", async () => {
    const mock = api({ dataset: STRUCTURAL });
    mock.script("GET /site-info/site one/é", [500]);
    mock.script("GET /site-info/*", [503, 502]);
    const site = `/site-info/${encodeURIComponent("site one/é")}`;
    assert.deepEqual(await statuses(mock, site, 3), [500, 503, 502]);
    mock.script("GET /site-info", [504]);
    mock.script(`GET /site-info/other`, [501]);
    assert.deepEqual(await statuses(mock, site, 2), [504, 200]);
    assert.deepEqual(await statuses(mock, `${API_PREFIX}/site-info/other`, 2), [501, 404]);
  });

  await t.step("scripts from the options come back with every reset", async () => {
    const mock = api({
      scripts: [
        { target: "POST /site-outages/*", steps: [500, 500], sticky: false },
        { target: "GET /interview-tests-mock-api/v1/outages", steps: [503], sticky: true },
      ],
    });
    // Steps added to a sticky queue go after its steps; the last of all sticks.
    mock.script("GET /outages", [429]);
    assert.deepEqual(await statuses(mock, "/outages", 3), [503, 429, 429]);
    const posted = await mock.handle(post("/site-outages/norwich-pear-tree", EXPECTED));
    assert.equal(posted.status, 500);
    await posted.body?.cancel();
    mock.reset();
    const again = await mock.handle(post("/site-outages/norwich-pear-tree", EXPECTED));
    assert.equal(again.status, 500, "replayed from its first step");
    await again.body?.cancel();
    assert.deepEqual(await statuses(mock, "/outages", 1), [503]);
    assert.throws(
      () => api({ scripts: [{ target: "GET /x", steps: [], sticky: false }] }),
      TypeError,
    );
  });

  await t.step("a scripted POST's body is logged only when the key is right", async () => {
    const mock = api();
    mock.script("POST /site-outages", [500, 500]);
    for (const key of [null, KEY]) {
      const response = await mock.handle(
        post("/site-outages/norwich-pear-tree", EXPECTED, undefined, key),
      );
      await response.body?.cancel();
    }
    const [without, withKey] = mock.requests();
    assert.equal(without.body, undefined);
    assert.deepEqual(withKey.body, EXPECTED);
  });

  await t.step("steps and routes that are refused, each naming what is wrong", () => {
    const mock = api();
    const cases: [string, unknown, RegExp][] = [
      ["GET /outages", "status", /\[0\]: "status" needs its object form/],
      ["GET /outages", { kind: "status", status: 500, delay: 5 }, /unknown key "delay" for kind/],
      ["GET /outages", { kind: "hang", delayMs: 5 }, /unknown key "delayMs" for kind "hang"/],
      ["GET /outages", { kind: "normal", repeat: 0 }, /"repeat" must be an integer from 1/],
      ["GET /outages", { kind: "status", status: 200, headers: { a: 1 } }, /header "a" must be a/],
      ["GET /outages", { kind: "status", status: 200, headers: [] }, /"headers" must be an obj/],
      [
        "GET /outages",
        { kind: "status", status: 429, headers: { "retry-after": "2\r\nset-cookie: a=b" } },
        /header "retry-after" has a control character \(CR, LF, \.\.\.\) in its value/,
      ],
      [
        "GET /outages",
        { kind: "status", status: 429, headers: { "retry after": "2" } },
        /header name "retry after" is not a token/,
      ],
      [
        "GET /outages",
        { kind: "status", status: 200, headers: { "Content-Length": "2" } },
        /header "Content-Length" cannot be scripted: the emulator frames the body itself/,
      ],
      ["GET /outages", { kind: "truncate", body: 5 }, /"body" must be a string/],
      ["GET /outages", null, /expected a status, a kind or an object, got null/],
      ["GET /outages/x", 500, /Invalid route "GET \/outages\/x"/],
      ["POST /site-info/x", 500, /Invalid route/],
      ["GET /site-info/", 500, /Invalid route/],
    ];
    for (const [route, step, message] of cases) {
      // @ts-expect-error: what a JavaScript caller or a script file could pass
      assert.throws(() => mock.script(route, [step]), message, JSON.stringify(step));
    }
  });
});
