import assert from "node:assert/strict";
import { ApiError } from "../src/errors.ts";
import { createRedactor } from "../src/redact.ts";
import {
  type BodyProgress,
  declaredCharset,
  decodeUtf8,
  invalidUtf8Offset,
  readCapped,
} from "../src/http/body.ts";

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
  // About 20 KB: over the first 16 KiB buffer, so the bound below is twice the length.
  const text = JSON.stringify(Array.from({ length: 1500 }, (_, i) => ({ id: `${i}` })));
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

/** A response whose body is `chunks`, one per read, counting what was read and whether it ended. */
function streamed(
  chunks: Uint8Array[],
  headers: Record<string, string> = {},
  type?: "bytes",
): { response: Response; reads: () => number; cancelled: () => boolean } {
  let next = 0;
  let cancelled = false;
  const source = {
    type,
    pull(controller: ReadableStreamDefaultController<Uint8Array>) {
      if (next === chunks.length) {
        controller.close();
        // A byte stream's reader waits on its request until it is answered.
        return (controller as ReadableByteStreamController).byobRequest?.respond(0);
      }
      controller.enqueue(chunks[next++].slice());
    },
    cancel() {
      cancelled = true;
    },
  };
  // deno-lint-ignore no-explicit-any -- one source for a byte stream and a default one
  const body = new ReadableStream<Uint8Array>(source as any, { highWaterMark: 0 });
  return {
    response: new Response(body, { status: 200, headers }),
    reads: () => next,
    cancelled: () => cancelled,
  };
}

const TAIL = " (raise --max-response-mb if the API's data has really grown that large)";

Deno.test("readCapped: a declared length over the cap is refused unread, naming both", async () => {
  const { response, reads, cancelled } = streamed([encode("x".repeat(10))], {
    "content-length": "1572865",
  });
  const limit = 1.5 * 2 ** 20;
  await assert.rejects(readCapped(response, limit, "GET /outages"), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.kind, "too-large");
    assert.equal(error.status, 200);
    assert.equal(
      error.message,
      "GET /outages: the response body (Content-Length 1572865) is over the 1.5 MiB cap " +
        `(1572864 bytes); it was not read${TAIL}`,
    );
    return true;
  });
  assert.equal(reads(), 0, "not a byte read");
  assert.equal(cancelled(), true, "the body was cancelled, so the connection is not kept busy");
});

Deno.test("readCapped: a body of exactly the cap is read, declared or not", async () => {
  const bytes = encode("y".repeat(1000));
  for (const headers of [{ "content-length": "1000" }, {} as Record<string, string>]) {
    const { response } = streamed([bytes.subarray(0, 600), bytes.subarray(600)], headers);
    assert.deepEqual(await readCapped(response, 1000, "GET /outages"), bytes);
  }
  const { response } = streamed([bytes.subarray(0, 600), bytes.subarray(600)]);
  await assert.rejects(readCapped(response, 999, "GET /outages"), /over the 0\.001 MiB cap/);
});

Deno.test("readCapped: no body is an empty one", async () => {
  assert.deepEqual(await readCapped(new Response(null), 10, "GET /x"), new Uint8Array(0));
});

Deno.test("readCapped: a compressed body is capped as decoded, whatever length it declares", async () => {
  for (const encoding of ["gzip", " BR "]) {
    const { response, cancelled } = streamed(
      [encode("z".repeat(700)), encode("z".repeat(700)), encode("z".repeat(700))],
      { "content-encoding": encoding, "content-length": "10" },
    );
    await assert.rejects(readCapped(response, 1000, "GET /outages"), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(
        error.message,
        "GET /outages: the response body is over the 0.001 MiB cap (1000 bytes) once decoded " +
          `(it came compressed); it was read no further${TAIL}`,
      );
      return true;
    });
    assert.equal(cancelled(), true);
  }
  // `identity`, in any case and spacing, is no compression.
  const { response } = streamed([encode("z".repeat(2000))], { "content-encoding": " Identity " });
  await assert.rejects(
    readCapped(response, 1000, "GET /outages"),
    /\(1000 bytes\); it was read no further \(raise/,
  );
});

Deno.test("readCapped: a byte stream (the runtime's bodies) is read whole through one reused buffer", async () => {
  const chunks = [50_000, 70_000, 1, 65_536, 30_000].map((n, i) =>
    new Uint8Array(n).fill(0x61 + i)
  );
  const whole = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  chunks.reduce((offset, c) => (whole.set(c, offset), offset + c.length), 0);
  const { response } = streamed(chunks, {}, "bytes");
  assert.deepEqual(await readCapped(response, 1 << 20, "GET /outages"), whole);
  const over = streamed(chunks, {}, "bytes");
  await assert.rejects(readCapped(over.response, 200_000, "GET /outages"), /over the/);
  assert.equal(over.cancelled(), true);
});

Deno.test("readCapped: a slow body reports its progress each second, then once when done", async () => {
  const chunk = new Uint8Array(300_000).fill(0x30);
  let clock = 5_000;
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === 5) return controller.close();
      next++;
      clock += 600;
      controller.enqueue(chunk.slice());
    },
  }, { highWaterMark: 0 });
  const response = new Response(body, { headers: { "content-length": "1500000" } });
  const seen: BodyProgress[] = [];
  const read = await readCapped(
    response,
    1 << 22,
    "GET /outages",
    (progress) => seen.push(progress),
    () => clock,
  );
  assert.equal(read.length, 1_500_000);
  const common = { endpoint: "GET /outages", total: 1_500_000 };
  assert.deepEqual(seen, [
    { ...common, bytes: 600_000, ms: 1200, done: false },
    { ...common, bytes: 1_200_000, ms: 2400, done: false },
    { ...common, bytes: 1_500_000, ms: 3000, done: true },
  ]);
});

Deno.test("readCapped: a body quicker than a second reports nothing, not even its end", async () => {
  const seen: BodyProgress[] = [];
  let clock = 0;
  const chunks = [new Uint8Array(10), new Uint8Array(10)];
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === chunks.length) return controller.close();
      clock += 499;
      controller.enqueue(chunks[next++]);
    },
  }, { highWaterMark: 0 });
  await readCapped(new Response(body), 1000, "GET /x", (p) => seen.push(p), () => clock);
  assert.deepEqual(seen, []);
  // Exactly a second: shown, with no declared total.
  clock = 0;
  next = 0;
  const again = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === 1) return controller.close();
      clock += 1000;
      controller.enqueue(chunks[next++]);
    },
  }, { highWaterMark: 0 });
  const shown: BodyProgress[] = [];
  await readCapped(new Response(again), 1000, "GET /x", (p) => shown.push(p), () => clock);
  assert.deepEqual(shown, [
    { endpoint: "GET /x", bytes: 10, total: undefined, ms: 1000, done: false },
    { endpoint: "GET /x", bytes: 10, total: undefined, ms: 1000, done: true },
  ]);
});

Deno.test("invalidUtf8Offset: the edges of each sequence length", () => {
  const cases: [number[], number][] = [
    [[0x7f], -1],
    [[0xc1, 0xbf], 0], // overlong 2-byte
    [[0xc2, 0x80], -1], // U+0080
    [[0xdf, 0xbf], -1], // U+07FF
    [[0xe0, 0x9f, 0xbf], 0], // overlong 3-byte
    [[0xe0, 0xa0, 0x80], -1], // U+0800
    [[0xed, 0x9f, 0xbf], -1], // U+D7FF
    [[0xed, 0xbf, 0xbf], 0], // U+DFFF, a surrogate
    [[0xee, 0x80, 0x80], -1], // U+E000
    [[0xef, 0xbf, 0xbf], -1], // U+FFFF
    [[0xf0, 0x8f, 0xbf, 0xbf], 0], // overlong 4-byte
    [[0xf0, 0x90, 0x80, 0x80], -1], // U+10000
    [[0xf4, 0x8f, 0xbf, 0xbf], -1], // U+10FFFF
    [[0xf5, 0x80, 0x80, 0x80], 0],
    [[0xff], 0],
    [[0x41, 0xc3, 0x41], 1], // a continuation that is not one
    [[0x41, 0xc3, 0xc3], 1],
    [[0x41, 0xf0, 0x90, 0x80], 1], // cut short at the end
    [[0xc3, 0xa9, 0x41, 0xe2, 0x82, 0xac, 0x80], 6],
  ];
  for (const [bytes, offset] of cases) {
    assert.equal(
      invalidUtf8Offset(new Uint8Array(bytes)),
      offset,
      bytes.map((b) => b.toString(16)).join(" "),
    );
  }
});

Deno.test("decodeUtf8: a body with a U+FFFD and a bad byte after it names the bad byte", () => {
  const bytes = new Uint8Array([...encode("\ufffd ok "), 0xc0, 0x41]);
  assert.throws(
    () => decodeUtf8(bytes, "UTF8", "GET /outages"),
    (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(
        error.message,
        "GET /outages: the response body is not valid UTF-8 (first bad byte at offset 7); " +
          "nothing was decoded with replacement characters",
      );
      return true;
    },
  );
});

Deno.test("declaredCharset: spacing, letter case and quotes around the parameter", () => {
  assert.equal(declaredCharset('text/json ;  CharSet = "utf-8" ; x=y'), "utf-8");
  assert.equal(declaredCharset("text/json;charset=latin1;x=y"), "latin1");
  assert.equal(declaredCharset("text/json; xcharset=latin1"), undefined);
  assert.equal(declaredCharset("charset=latin1"), undefined);
});

Deno.test("readCapped: a declared length over the cap with no body at all is still refused", async () => {
  const response = new Response(null, { status: 200, headers: { "content-length": "5000" } });
  await assert.rejects(readCapped(response, 1000, "GET /x"), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.kind, "too-large");
    return true;
  });
});

Deno.test("declaredCharset: no Content-Type, with the key's redactor: none", () => {
  assert.equal(declaredCharset(null, createRedactor([CHARSET_KEY])), undefined);
});

Deno.test("invalidUtf8Offset: a continuation byte is never a lead, of any length", () => {
  for (
    const bytes of [[0x9f, 0x80], [0xbf, 0xbf], [0x8f, 0xbf, 0xbf], [0x84, 0x80, 0x80, 0x80], [
      0xf8,
      0x90,
      0x80,
      0x80,
    ]]
  ) {
    assert.equal(invalidUtf8Offset(new Uint8Array(bytes)), 0, bytes.join(" "));
  }
});

Deno.test("decodeUtf8: a bad first byte is refused; a foreign charset is an encoding error, not retried", () => {
  assert.throws(() => decodeUtf8(new Uint8Array([0xff, 0x41]), undefined, "GET /x"), /offset 0\)/);
  assert.throws(() => decodeUtf8(encode("[]"), "latin1", "GET /x"), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.kind, "encoding");
    return true;
  });
});
