/** `src/bytes.ts`: chunks joined into one array, and one growing buffer. */

import assert from "node:assert/strict";
import { ByteCollector, concatBytes } from "../src/bytes.ts";

Deno.test("concatBytes joins chunks in order, with or without a counted total", () => {
  const chunks = [new Uint8Array([1, 2]), new Uint8Array([]), new Uint8Array([3, 4, 5])];
  assert.deepEqual(concatBytes(chunks), new Uint8Array([1, 2, 3, 4, 5]));
  assert.deepEqual(concatBytes(chunks, 5), new Uint8Array([1, 2, 3, 4, 5]));
  assert.deepEqual(concatBytes([]), new Uint8Array([]));
});

Deno.test("concatBytes returns a single chunk itself, without a copy", () => {
  const only = new Uint8Array([7, 8]);
  assert.equal(concatBytes([only]), only);
});

Deno.test("ByteCollector: memory held stays proportional to the bytes held, whatever the chunks", () => {
  const collector = new ByteCollector(1 << 30);
  let expected = 0;
  // Every chunk is a one-byte view onto the same 64 KiB buffer, overwritten for the next one (as
  // a reused read buffer is): a collector that kept views would end with every byte the last one.
  const shared = new Uint8Array(64 * 1024);
  for (let i = 0; i < 200_000; i++) {
    const chunk = shared.subarray(7, 8);
    chunk[0] = i & 0xff;
    collector.push(chunk);
    expected += 1;
    assert.ok(collector.held <= Math.max(2 * collector.size, 16 * 1024));
  }
  assert.equal(collector.size, expected);
  const bytes = collector.bytes();
  assert.equal(bytes.length, 200_000);
  assert.equal(bytes[199_999], 199_999 & 0xff);
  assert.equal(bytes[1000], 1000 & 0xff);
  // Its growth stops at the limit: a 1000-byte limit never allocates more.
  const capped = new ByteCollector(1000);
  for (let i = 0; i < 10; i++) capped.push(new Uint8Array(100));
  assert.equal(capped.held, 1000);
  // A known length is the one buffer.
  const known = new ByteCollector(1 << 30, 300);
  for (let i = 0; i < 3; i++) known.push(new Uint8Array(100));
  assert.equal(known.held, 300);
  // What it would hold after a push, before the push: the same buffer while it fits, then the
  // grown one, which a caller with a budget takes first.
  const empty = new ByteCollector(1 << 20, 0);
  assert.equal(empty.held, 0);
  assert.equal(empty.heldAfter(1), 16 * 1024);
  empty.push(new Uint8Array(1));
  assert.equal(empty.held, 16 * 1024);
  assert.equal(empty.heldAfter(100), 16 * 1024);
  assert.equal(empty.heldAfter(16 * 1024), 32 * 1024);
});

Deno.test("ByteCollector: every byte pushed is kept, in order, across each growth of its buffer", () => {
  const collector = new ByteCollector(1 << 20, 0);
  const expected: number[] = [];
  for (let i = 0; i < 40_000; i += 7) {
    const chunk = Uint8Array.from({ length: 7 }, (_, k) => (i + k) % 251);
    collector.push(chunk);
    expected.push(...chunk);
  }
  assert.equal(collector.size, expected.length);
  assert.deepEqual(collector.bytes(), Uint8Array.from(expected));
  // Past the limit the buffer never grows, however the chunks come.
  assert.ok(collector.held <= 1 << 20);
  const exact = new ByteCollector(10);
  exact.push(new Uint8Array(6).fill(1));
  exact.push(new Uint8Array(4).fill(2));
  assert.deepEqual(exact.bytes(), Uint8Array.from([1, 1, 1, 1, 1, 1, 2, 2, 2, 2]));
  assert.equal(exact.held, 10);
});

Deno.test("ByteCollector.heldAfter: a chunk that fills the buffer exactly needs no growth", () => {
  const known = new ByteCollector(1 << 30, 300);
  known.push(new Uint8Array(200));
  assert.equal(known.heldAfter(100), 300);
  assert.equal(known.heldAfter(101), 16 * 1024);
});
