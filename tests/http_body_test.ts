import assert from "node:assert/strict";
import { ApiError } from "../src/errors.ts";
import { createRedactor } from "../src/redact.ts";
import { declaredCharset, decodeUtf8, invalidUtf8Offset, readCapped } from "../src/http/body.ts";

const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("decodeUtf8: well-formed UTF-8, a real U+FFFD included, is decoded as it is", () => {
  const text = '[{"name":"Battéry ⚡ \ufffd 😀"}]';
  assert.equal(decodeUtf8(encode(text), undefined, "GET /x"), text);
  assert.equal(decodeUtf8(encode(text), "utf-8", "GET /x"), text);
});

Deno.test("decodeUtf8: an invalid byte is refused, naming its offset; a foreign charset too", () => {
  const bytes = new Uint8Array([...encode('["Batt'), 0xe9, ...encode('ry"]')]);
  assert.throws(() => decodeUtf8(bytes, undefined, "GET /outages"), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.kind, "encoding");
    assert.match(error.message, /not valid UTF-8 \(first bad byte at offset 6\)/);
    return true;
  });
  assert.throws(
    () => decodeUtf8(encode("[]"), "iso-8859-1", "GET /outages"),
    /declares charset "iso-8859-1"/,
  );
});

Deno.test("invalidUtf8Offset: overlong forms, surrogates, truncation and out-of-range code points", () => {
  assert.equal(invalidUtf8Offset(encode("plain ascii, é, 😀")), -1);
  assert.equal(invalidUtf8Offset(new Uint8Array([0x41, 0xc0, 0x80])), 1); // overlong NUL
  assert.equal(invalidUtf8Offset(new Uint8Array([0xed, 0xa0, 0x80])), 0); // a surrogate
  assert.equal(invalidUtf8Offset(new Uint8Array([0x41, 0xe2, 0x82])), 1); // cut short
  assert.equal(invalidUtf8Offset(new Uint8Array([0xf4, 0x90, 0x80, 0x80])), 0); // above U+10FFFF
  assert.equal(invalidUtf8Offset(new Uint8Array([0x80])), 0); // a lone continuation byte
});

Deno.test("declaredCharset: the parameter, as sent and unquoted", () => {
  assert.equal(declaredCharset("application/json; charset=UTF-8"), "UTF-8");
  assert.equal(declaredCharset('application/json;charset="iso-8859-1"'), "iso-8859-1");
  assert.equal(declaredCharset("application/json"), undefined);
  assert.equal(declaredCharset(null), undefined);
});

/** A mixed-case key holding the characters that end a charset parameter (`;`, `"`). */
const CHARSET_KEY = 'SENTINEL-Charset;Key"Mixed';

Deno.test("declaredCharset and decodeUtf8: a key in the charset is redacted before it is parsed or compared", () => {
  const redact = createRedactor([CHARSET_KEY]);
  for (
    const contentType of [
      `application/json; charset=${CHARSET_KEY}`,
      `application/json; charset="${CHARSET_KEY}"`,
      `application/json; charset=${CHARSET_KEY.toUpperCase()}`,
    ]
  ) {
    const charset = declaredCharset(contentType, redact);
    assert.equal(charset, "[redacted]", contentType);
    assert.throws(() => decodeUtf8(encode("[]"), charset, "GET /outages"), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(
        error.message,
        'GET /outages: the response declares charset "[redacted]"; JSON on the wire must be ' +
          "UTF-8, and the body is not re-encoded from another charset",
      );
      return true;
    });
  }
  // Unredacted, the parameter would stop at the key's ";": a part of it no redaction can find.
  assert.equal(declaredCharset(`text/plain; charset=${CHARSET_KEY}`), "SENTINEL-Charset");
});

Deno.test("decodeUtf8: a UTF-8 charset in any letter case is accepted; another is quoted as sent", () => {
  for (const charset of ["UTF-8", "Utf8", "utf-8"]) {
    assert.equal(decodeUtf8(encode("[]"), charset, "GET /x"), "[]");
  }
  assert.throws(
    () => decodeUtf8(encode("[]"), "ISO-8859-1", "GET /outages"),
    /declares charset "ISO-8859-1"/,
  );
});

/**
 * A body sent as `bytes.length` chunks of one byte, each a view onto a 64 KiB buffer of its own, as
 * the runtime hands them over; each buffer is overwritten once the next chunk is asked for (as a
 * reused buffer would be), so a reader that kept the views instead of copying reads garbage.
 */
function oneByteChunks(bytes: Uint8Array): { response: Response; buffers: () => number } {
  let next = 0;
  let previous: Uint8Array | undefined;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      previous?.fill(0x3f);
      if (next === bytes.length) return controller.close();
      const buffer = new Uint8Array(64 * 1024);
      buffer[100] = bytes[next++];
      previous = buffer.subarray(100, 101);
      controller.enqueue(previous);
    },
  }, { highWaterMark: 0 });
  return { response: new Response(body), buffers: () => next };
}

Deno.test("readCapped: one-byte chunks are copied as they come; no chunk is kept", async () => {
  const text = JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ id: `${i}` })));
  const bytes = encode(text);
  for (const sample of [bytes.subarray(0, 1), bytes]) {
    const { response, buffers } = oneByteChunks(sample);
    const read = await readCapped(response, 1 << 20, "GET /outages");
    assert.equal(buffers(), sample.length);
    assert.deepEqual(read, sample, "the bytes as sent, not the views' later contents");
    // What the returned bytes hold on to: under twice their length (or the first 16 KiB buffer),
    // never a 64 KiB buffer per chunk.
    assert.ok(
      read.buffer.byteLength <= Math.max(2 * sample.length, 16 * 1024),
      `${read.buffer.byteLength} bytes held for ${sample.length}`,
    );
  }
});

Deno.test("readCapped: the cap counts the bytes read, one-byte chunks included: over it, refused", async () => {
  const { response } = oneByteChunks(encode("x".repeat(2000)));
  await assert.rejects(readCapped(response, 1000, "GET /outages"), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.kind, "too-large");
    assert.match(
      error.message,
      /^GET \/outages: the response body is over the 0\.001 MiB cap \(1000 bytes\); /,
    );
    return true;
  });
});
