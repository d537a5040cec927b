/** The emulator's response builders on their own: big bodies sent as views of the kept bytes. */

import assert from "node:assert/strict";
import { bytesResponse } from "../src/mock/responses.ts";
import { JSON_TYPE } from "./mock_helpers.ts";

const MIB = 1 << 20;

Deno.test("mock responses: bytesResponse", async (t) => {
  for (const size of [0, MIB, MIB + 1, 2 * MIB, 2.5 * MIB]) {
    await t.step(`${size} bytes arrive byte for byte, streamed above 1 MiB`, async () => {
      const bytes = new Uint8Array(size).map((_, i) => i % 251);
      const response = bytesResponse(bytes);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), JSON_TYPE);
      assert.equal(response.headers.get("content-length"), size > MIB ? String(size) : null);
      assert.deepEqual(new Uint8Array(await response.arrayBuffer()), bytes);
    });
  }

  await t.step(
    "a streamed body is views of the kept bytes, 1 MiB at a time, not a copy",
    async () => {
      const bytes = new Uint8Array(2.5 * MIB);
      const response = bytesResponse(bytes);
      assert.ok(response.body !== null);
      const sizes: number[] = [];
      for await (const chunk of response.body) {
        assert.equal(chunk.buffer, bytes.buffer);
        sizes.push(chunk.length);
      }
      assert.deepEqual(sizes, [MIB, MIB, MIB / 2]);
      // The bytes are kept, not consumed: the next answer sends them again.
      assert.equal((await bytesResponse(bytes).arrayBuffer()).byteLength, bytes.length);
    },
  );
});
