/**
 * The request log stays small and servable whatever is sent: a ring of the last requests, bodies
 * kept parsed only when small and shallow, paths and notes cut.
 */

import assert from "node:assert/strict";
import {
  BODY_KEPT,
  createRequestLog,
  cutText,
  logBody,
  type RequestLogEntry,
} from "../src/mock/request_log.ts";
import { api, EXPECTED, get, ORIGIN, post } from "./mock_helpers.ts";

function entry(n: number): RequestLogEntry {
  return { method: "GET", path: `/${n}`, status: 200, time: "t", keyPresent: true };
}

Deno.test("mock request log: the ring", async (t) => {
  await t.step("keeps the last N entries, oldest first, and counts the dropped", () => {
    const log = createRequestLog(3);
    for (let n = 1; n <= 2; n++) log.add(entry(n));
    assert.deepEqual(log.entries().map((e) => e.path), ["/1", "/2"]);
    for (let n = 3; n <= 7; n++) log.add(entry(n));
    assert.deepEqual(log.entries().map((e) => e.path), ["/5", "/6", "/7"]);
    assert.equal(log.dropped(), 4);
    log.reset();
    assert.deepEqual([log.entries(), log.dropped()], [[], 0]);
  });

  await t.step("entries are copies; an entry filled in later shows its state", () => {
    const log = createRequestLog(2);
    const first = entry(1);
    log.add(first);
    first.status = 504;
    const copy = log.entries()[0];
    assert.equal(copy.status, 504);
    copy.status = 1;
    assert.equal(log.entries()[0].status, 504);
  });

  await t.step("a size below 1 is refused", () => {
    for (const size of [0, -1, 1.5, NaN]) assert.throws(() => createRequestLog(size), RangeError);
  });
});

Deno.test("mock request log: bodies, paths and notes", async (t) => {
  await t.step("small shallow JSON is kept parsed, with its size", () => {
    const e = entry(1);
    logBody(e, { text: '[{"a":1}]', bytes: 9, parsed: { value: [{ a: 1 }] } });
    assert.deepEqual([e.body, e.bodyBytes, e.bodySummary], [[{ a: 1 }], 9, undefined]);
  });

  await t.step("short text that is not JSON is kept whole", () => {
    const e = entry(1);
    logBody(e, { text: "hello", bytes: 5, parsed: undefined });
    assert.deepEqual([e.body, e.bodySummary], ["hello", undefined]);
  });

  await t.step("a long body: its first 4 KiB as text, and what it was", () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ i }));
    const text = JSON.stringify(items);
    const e = entry(1);
    logBody(e, { text, bytes: text.length, parsed: { value: items } });
    assert.equal(e.body, text.slice(0, BODY_KEPT));
    assert.equal(e.bodyBytes, text.length);
    assert.equal(e.bodySummary, "a JSON array of 1000 element(s)");
    const other = entry(2);
    logBody(other, { text: "x".repeat(5000), bytes: 5000, parsed: undefined });
    assert.deepEqual([(other.body as string).length, other.bodySummary], [BODY_KEPT, "not JSON"]);
  });

  await t.step("deep JSON is kept as text, so that the log always serialises", () => {
    const text = "[".repeat(100) + "]".repeat(100);
    const e = entry(1);
    logBody(e, { text, bytes: text.length, parsed: { value: JSON.parse(text) } });
    assert.deepEqual([e.body, e.bodySummary], [text, "a JSON array of 1 element(s)"]);
    // Brackets inside strings are not nesting.
    const flat = JSON.stringify(["[[[[".repeat(20)]);
    const f = entry(2);
    logBody(f, { text: flat, bytes: flat.length, parsed: { value: JSON.parse(flat) } });
    assert.deepEqual(f.body, JSON.parse(flat));
  });

  await t.step("cutText says how much it cut", () => {
    assert.equal(cutText("abc", 3), "abc");
    assert.equal(cutText("abcdef", 2), "ab… (4 more characters)");
  });
});

Deno.test("mock request log: through the handler", async (t) => {
  await t.step(
    "the log keeps logSize requests; GET /__mock/requests says how many it dropped",
    async () => {
      const mock = api({ logSize: 2 });
      for (const path of ["/a", "/b", "/c"]) await (await mock.handle(get(path))).body?.cancel();
      assert.deepEqual(mock.requests().map((e) => e.path), ["/b", "/c"]);
      assert.equal(mock.droppedRequests(), 1);
      const response = await mock.handle(new Request(`${ORIGIN}/__mock/requests`));
      assert.equal(response.headers.get("x-mock-dropped"), "1");
      assert.equal((await response.json()).length, 2);
      mock.reset();
      assert.equal(mock.droppedRequests(), 0);
    },
  );

  await t.step("a deeply nested POST: 400, and the log still serves", async () => {
    const mock = api();
    const deep = "[".repeat(200_000) + "]".repeat(200_000);
    const response = await mock.handle(post("/site-outages/norwich-pear-tree", deep));
    assert.equal(response.status, 400);
    await response.body?.cancel();
    assert.match(mock.requests()[0].note ?? "", /nests too deeply/);
    const served = await mock.handle(new Request(`${ORIGIN}/__mock/requests`));
    assert.equal(served.status, 200);
    const [logged] = await served.json();
    assert.equal(logged.bodySummary, "a JSON array of 1 element(s)");
    assert.equal(logged.body.length, BODY_KEPT);
  });

  await t.step("a long path and a long 400 reason are cut", async () => {
    const mock = api();
    await (await mock.handle(get(`/${"p".repeat(10_000)}`))).body?.cancel();
    assert.match(mock.requests()[0].path, /^\/p{2047}… \(7953 more characters\)$/);
    const element = { ...EXPECTED[0], name: "n".repeat(50_000) };
    await (await mock.handle(post("/site-outages/norwich-pear-tree", [element]))).body?.cancel();
    const note = mock.requests()[1].note ?? "";
    assert.ok(note.length < 1100, String(note.length));
    assert.match(note, /^element \[0\] is not in the expected payload/);
  });
});
