/**
 * Request bodies: never read before the key is checked, never more than the cap (413), and
 * counted as they are read so that a test can see what was pulled.
 */

import assert from "node:assert/strict";
import { BodyBudget, readBody } from "../src/mock/request_body.ts";
import {
  api,
  assertMessage,
  EXPECTED,
  KEY,
  lastEntry,
  MESSAGE_403,
  ORIGIN,
} from "./mock_helpers.ts";

/** A POST whose body is `chunks` chunks of `size` bytes, counting the chunks pulled. */
function countedPost(
  chunks: number,
  size: number,
  headers: Record<string, string>,
): { request: Request; pulled: () => number } {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === chunks) return controller.close();
      pulled++;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
  }, { highWaterMark: 0 });
  const request = new Request(`${ORIGIN}/site-outages/norwich-pear-tree`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
    duplex: "half",
  } as RequestInit);
  return { request, pulled: () => pulled };
}

Deno.test("mock request bodies", async (t) => {
  await t.step(
    "a POST without the right key gets 403 before a byte of its body is read",
    async () => {
      const mock = api();
      for (const headers of [{}, { "x-api-key": "wrong" }] as Record<string, string>[]) {
        const { request, pulled } = countedPost(1000, 1 << 20, headers);
        await assertMessage(await mock.handle(request), 403, MESSAGE_403);
        assert.equal(pulled(), 0);
        assert.equal(lastEntry(mock).body, undefined);
      }
    },
  );

  await t.step("a Content-Length over the cap: 413 before a byte is read", async () => {
    const mock = api({ maxBodyBytes: 1000 });
    const { request, pulled } = countedPost(10, 200, {
      "x-api-key": KEY,
      "content-length": "2000",
    });
    await assertMessage(await mock.handle(request), 413, "Request Too Long");
    assert.equal(pulled(), 0);
    assert.equal(lastEntry(mock).note, "Content-Length 2000 is over the cap of 1000 bytes");
  });

  await t.step("a body that grows past the cap: 413, read no further", async () => {
    const mock = api({ maxBodyBytes: 1000 });
    const { request, pulled } = countedPost(100, 300, { "x-api-key": KEY });
    await assertMessage(await mock.handle(request), 413, "Request Too Long");
    assert.ok(pulled() <= 5, `${pulled()} chunks pulled`);
    assert.equal(lastEntry(mock).status, 413);
    assert.equal(lastEntry(mock).note, "the body is over the cap of 1000 bytes");
  });

  await t.step("a body at the cap is read and checked", async () => {
    const text = JSON.stringify(EXPECTED);
    const mock = api({ maxBodyBytes: text.length });
    const response = await mock.handle(
      new Request(`${ORIGIN}/site-outages/norwich-pear-tree`, {
        method: "POST",
        headers: { "x-api-key": KEY, "content-type": "application/json" },
        body: text,
      }),
    );
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.equal(lastEntry(mock).bodyBytes, text.length);
  });

  await t.step("the cap defaults to 64 MiB; a negative one is refused", async () => {
    const mock = api();
    for (const [length, status] of [[64 * 1024 * 1024 + 1, 413], [64 * 1024 * 1024, 400]]) {
      const { request, pulled } = countedPost(1, 2, {
        "x-api-key": KEY,
        "content-length": String(length),
      });
      const response = await mock.handle(request);
      assert.equal(response.status, status);
      await response.body?.cancel();
      assert.equal(pulled(), status === 413 ? 0 : 1);
    }
    assert.throws(() => api({ maxBodyBytes: -1 }), RangeError);
  });

  await t.step("readBody: the bytes, whole, from one or many chunks", async () => {
    const { request } = countedPost(3, 4, {});
    const read = await readBody(request, 100);
    assert.ok(read.kind === "read");
    assert.deepEqual(read.bytes, new Uint8Array(12).fill(0x20));
    const empty = await readBody(new Request(ORIGIN, { method: "POST" }), 100);
    assert.ok(empty.kind === "read" && empty.bytes.length === 0);
  });

  await t.step("readBody: a body that fails is a client gone", async () => {
    const body = new ReadableStream({
      pull: (controller) => controller.error(new Error("gone")),
    });
    const request = new Request(ORIGIN, { method: "POST", body, duplex: "half" } as RequestInit);
    assert.deepEqual(await readBody(request, 100), { kind: "gone" });
  });
});

Deno.test("mock request bodies: one growing buffer under a shared budget", async (t) => {
  await t.step("100,000 one-byte chunks: read whole, the budget given back", async () => {
    const budget = new BodyBudget(256 * 1024);
    const { request, pulled } = countedPost(100_000, 1, { "x-api-key": KEY });
    const read = await readBody(request, 1 << 20, budget);
    assert.equal(pulled(), 100_000);
    assert.ok(read.kind === "read");
    assert.equal(read.bytes.length, 100_000);
    assert.ok(read.bytes.every((byte) => byte === 0x20));
    assert.equal(budget.left, budget.max);
  });

  await t.step("a body the budget has no room for: busy, read no further", async () => {
    const budget = new BodyBudget(64 * 1024);
    assert.ok(budget.take(60 * 1024), "another body holds most of it");
    const { request, pulled } = countedPost(1000, 1024, { "x-api-key": KEY });
    const read = await readBody(request, 1 << 20, budget);
    assert.equal(read.kind, "busy");
    assert.ok(pulled() < 1000);
    assert.equal(budget.left, 4 * 1024, "what the refused body took is given back");
  });

  await t.step("through the handler: 503 {message} with Retry-After, logged", async () => {
    const mock = api({ maxHeldBodyBytes: 8 * 1024 });
    const { request } = countedPost(100, 1024, { "x-api-key": KEY });
    const response = await mock.handle(request);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("retry-after"), "1");
    assert.deepEqual(await response.json(), { message: "Service Unavailable" });
    assert.equal(lastEntry(mock).status, 503);
    assert.match(lastEntry(mock).note ?? "", /would hold over 8192 bytes/);
  });

  await t.step("a budget that is not a whole number >= 1 is refused", () => {
    for (const max of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new BodyBudget(max), RangeError);
    }
  });
});
