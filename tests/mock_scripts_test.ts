/**
 * Scripted answers, played through the handler: statuses and bodies, delays, resets, truncated and
 * malformed bodies, redirects, hangs, and the scripts it refuses.
 */

import assert from "node:assert/strict";
import { API_PREFIX } from "../src/mock/handler.ts";
import { MockConnectionDrop } from "../src/mock/responses.ts";
import {
  api,
  assertMessage,
  bodyOf,
  CAPTURED,
  drain,
  EXPECTED,
  get,
  JSON_TYPE,
  lastEntry,
  MESSAGE_403,
  MESSAGE_429,
  OUTAGES_BYTES,
  post,
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

  await t.step("reset: the body fails at once", async () => {
    const mock = api();
    mock.script("GET /outages", ["reset"]);
    const response = await mock.handle(get("/outages"));
    const { bytes, error } = await drain(response);
    assert.equal(bytes, 0);
    assert.ok(error instanceof MockConnectionDrop);
    const entry = lastEntry(mock);
    assert.equal(entry.status, null);
    assert.equal(entry.fault, "script:reset");
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

  await t.step("hang: no answer until the client aborts", async () => {
    const mock = api();
    mock.script("GET /outages", ["hang"]);
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

  await t.step("hang: close() ends it, and later requests are dropped", async () => {
    const mock = api();
    mock.script("GET /site-info", ["hang"]);
    const answer = mock.handle(get("/site-info/norwich-pear-tree"));
    mock.close();
    assert.ok((await drain(await answer)).error instanceof MockConnectionDrop);
    assert.equal(lastEntry(mock).note, "the emulator closed while the request hung");
    const late = await mock.handle(get("/outages"));
    assert.ok((await drain(late)).error instanceof MockConnectionDrop);
    assert.equal(lastEntry(mock).status, null);
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
      /"delayMs" must be a number >= 0/,
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
