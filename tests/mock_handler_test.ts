/**
 * The emulator's request handler fed `Request` objects, with no socket: the endpoints, the key,
 * unknown paths and wrong methods, the latency, the options it refuses, the request log and its
 * control routes.
 */

import assert from "node:assert/strict";
import type { SiteInfo } from "../src/api_shapes.ts";
import { API_PREFIX, type RequestLogEntry } from "../src/mock/handler.ts";
import {
  api,
  assertMessage,
  bodyOf,
  bytesEqual,
  CAPTURED,
  EXPECTED,
  get,
  JSON_TYPE,
  KEY,
  lastEntry,
  MESSAGE_403,
  MESSAGE_404,
  ORIGIN,
  OUTAGES_BYTES,
  post,
  SITE_BYTES,
  STRUCTURAL,
} from "./mock_helpers.ts";

Deno.test("mock handler: endpoints, keys and paths", async (t) => {
  const mock = api({ dataset: CAPTURED });

  for (const prefix of ["", API_PREFIX]) {
    await t.step(`GET ${prefix}/outages answers the capture byte for byte`, async () => {
      const response = await mock.handle(get(`${prefix}/outages`));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), JSON_TYPE);
      assert.ok(bytesEqual(new Uint8Array(await response.arrayBuffer()), OUTAGES_BYTES));
    });

    await t.step(`GET ${prefix}/site-info/norwich-pear-tree answers the capture`, async () => {
      const response = await mock.handle(get(`${prefix}/site-info/norwich-pear-tree`));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), JSON_TYPE);
      assert.ok(bytesEqual(new Uint8Array(await response.arrayBuffer()), SITE_BYTES));
    });

    await t.step(`POST ${prefix}/site-outages accepts the real expected payload`, async () => {
      const response = await mock.handle(
        post(`${prefix}/site-outages/norwich-pear-tree`, EXPECTED),
      );
      assert.equal(response.status, 200);
      assert.deepEqual(await bodyOf(response), {});
    });
  }

  await t.step("a GET body is served again identically (the buffer is not consumed)", async () => {
    for (let i = 0; i < 2; i++) {
      const response = await mock.handle(get("/outages"));
      assert.equal((await response.arrayBuffer()).byteLength, OUTAGES_BYTES.length);
    }
  });

  await t.step("a missing or wrong key gets 403 on every route, before a 404", async () => {
    const requests = [
      get("/outages", {}, null),
      get("/outages", {}, "wrong"),
      get("/outages", {}, ""),
      get(`${API_PREFIX}/site-info/norwich-pear-tree`, {}, "wrong"),
      get("/site-info/no-such-site", {}, null),
      get("/no/such/path", {}, "wrong"),
      post("/site-outages/norwich-pear-tree", EXPECTED, "application/json", null),
      post("/site-outages/norwich-pear-tree", EXPECTED, "application/json", KEY.toUpperCase()),
    ];
    for (const request of requests) {
      await assertMessage(await mock.handle(request), 403, MESSAGE_403);
      assert.equal(lastEntry(mock).status, 403);
    }
  });

  await t.step("unknown sites and paths get 404", async () => {
    const paths = [
      "/site-info/no-such-site",
      "/site-info/Norwich-Pear-Tree",
      "/site-info/",
      "/site-info/norwich-pear-tree/devices",
      "/outages/",
      "/",
      "/interview-tests-mock-api/v2/outages",
      `${API_PREFIX}`,
      "/site-info/%E0%A4%A", // not valid percent-encoding
      "/__mock/nothing",
    ];
    for (const path of paths) {
      await assertMessage(await mock.handle(get(path)), 404, MESSAGE_404);
    }
    await assertMessage(
      await mock.handle(post("/site-outages/no-such-site", [])),
      404,
      MESSAGE_404,
    );
    assert.equal(lastEntry(mock).note, 'unknown site "no-such-site"');
  });

  await t.step("a wrong method on an endpoint gets 405 with Allow", async () => {
    const cases: [Request, string][] = [
      [get("/outages", { method: "POST", body: "[]" }), "GET"],
      [get("/outages", { method: "DELETE" }), "GET"],
      [get(`${API_PREFIX}/site-info/norwich-pear-tree`, { method: "PUT", body: "{}" }), "GET"],
      [get("/site-outages/norwich-pear-tree"), "POST"],
    ];
    for (const [request, allow] of cases) {
      const response = await mock.handle(request);
      await assertMessage(response, 405, "The method is not allowed for the requested resource.");
      assert.equal(response.headers.get("allow"), allow);
    }
  });

  await t.step("site ids are URL-decoded", async () => {
    const custom = api({ dataset: STRUCTURAL });
    const response = await custom.handle(get(`/site-info/${encodeURIComponent("site one/é")}`));
    assert.equal(response.status, 200);
    assert.equal((await bodyOf(response) as SiteInfo).name, "Site One");
  });

  await t.step("the log records every request without the key", () => {
    const log = mock.requests();
    assert.ok(log.length > 20);
    const serialised = JSON.stringify(log);
    assert.ok(!serialised.includes(KEY), "the key never appears in the log");
    assert.ok(log.some((e) => !e.keyPresent) && log.some((e) => e.keyPresent));
    for (const entry of log) {
      assert.ok(!Number.isNaN(Date.parse(entry.time)));
      assert.ok(entry.status === null || typeof entry.status === "number");
    }
    const posted = log.find((e) => e.method === "POST" && e.status === 200);
    assert.deepEqual(posted?.body, EXPECTED);
  });
});

Deno.test("mock handler: latency and options", async (t) => {
  await t.step("latency waits before every answer, through the injected sleep", async () => {
    const waits: number[] = [];
    const mock = api({
      latencyMs: 250,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    assert.equal((await mock.handle(get("/outages"))).status, 200);
    assert.equal((await mock.handle(get("/outages", {}, null))).status, 403);
    assert.deepEqual(waits, [250, 250]);
  });

  await t.step("options out of range are refused", () => {
    assert.throws(() => api({ failRate: 1.5 }), RangeError);
    assert.throws(() => api({ latencyMs: -1 }), RangeError);
    assert.throws(() => api({ rateLimitPerMinute: 0 }), RangeError);
    assert.throws(() => api({ apiKey: "" }), TypeError);
  });
});

Deno.test("mock handler: the request log and its control routes", async (t) => {
  const time = Date.parse("2024-05-06T07:08:09.010Z");
  const mock = api({ now: () => time });
  mock.script("GET /outages", [500]);

  await t.step("GET /__mock/requests returns the log without needing the key", async () => {
    await (await mock.handle(get("/outages?x=1"))).body?.cancel();
    await (await mock.handle(post("/site-outages/norwich-pear-tree", [], "application/json"))).body
      ?.cancel();
    const response = await mock.handle(new Request(`${ORIGIN}/__mock/requests`));
    assert.equal(response.status, 200);
    const log = await bodyOf(response) as RequestLogEntry[];
    assert.deepEqual(log, [
      {
        method: "GET",
        path: "/outages?x=1",
        status: 500,
        time: "2024-05-06T07:08:09.010Z",
        keyPresent: true,
        fault: "script:status",
      },
      {
        method: "POST",
        path: "/site-outages/norwich-pear-tree",
        status: 400,
        time: "2024-05-06T07:08:09.010Z",
        keyPresent: true,
        body: [],
        bodyBytes: 2,
        note: "10 expected element(s) missing, e.g. " +
          '{"begin":"2022-02-15T11:28:26.735Z","end":"2022-08-28T03:37:48.568Z",' +
          '"id":"0e4d59ba-43c7-4451-a8ac-ca628bcde417","name":"Battery 6"}',
      },
    ]);
    assert.deepEqual(mock.requests(), log);
  });

  await t.step("requests() returns copies", () => {
    const copy = mock.requests();
    copy[0].status = 999;
    assert.equal(mock.requests()[0].status, 500);
  });

  await t.step("POST /__mock/reset clears the log and the scripts", async () => {
    mock.script("GET /outages", [500]);
    const response = await mock.handle(new Request(`${ORIGIN}/__mock/reset`, { method: "POST" }));
    assert.deepEqual(await bodyOf(response), {});
    assert.deepEqual(mock.requests(), []);
    assert.equal((await mock.handle(get("/outages"))).status, 200);
  });

  await t.step("control routes refuse other methods", async () => {
    const a = await mock.handle(new Request(`${ORIGIN}/__mock/reset`));
    assert.equal(a.status, 405);
    await a.body?.cancel();
    const b = await mock.handle(new Request(`${ORIGIN}/__mock/requests`, { method: "DELETE" }));
    assert.equal(b.status, 405);
    await b.body?.cancel();
    assert.equal(mock.requests().length, 1, "control requests are not logged");
  });
});
