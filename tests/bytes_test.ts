/** `src/bytes.ts`: chunks joined into one array. */

import assert from "node:assert/strict";
import { concatBytes } from "../src/bytes.ts";

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
