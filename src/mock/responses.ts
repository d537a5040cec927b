/**
 * The emulator's response builders: JSON answers and the API's error messages, big pre-serialised
 * bodies sent without a copy, and answers whose body fails part way as a dropped connection does.
 * @module
 */

/** The `Content-Type` of every JSON answer the emulator sends. */
export const JSON_TYPE = "application/json; charset=utf-8";

/** The API's error messages, word for word (the 500 body was never published). */
export const MESSAGES = {
  400: "We cannot process your request because it doesn't match the required format.",
  403: "You do not have the required permissions to make this request.",
  404: "You have requested a resource that does not exist.",
  405: "The method is not allowed for the requested resource.",
  429: "You've exceeded your limit for your API key.",
  500: "Internal server error",
} as const;

/** The error a dropped or truncated response's body fails with. */
export class MockConnectionDrop extends Error {
  /** Always `"MockConnectionDrop"`. */
  override name = "MockConnectionDrop";
}

/** A `status` answer with `value` as its JSON body; `headers` are added to the `Content-Type`. */
export function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": JSON_TYPE, ...headers },
  });
}

/** The API's `{"message": ...}` answer for `status`, with any extra `headers`. */
export function messageResponse(
  status: keyof typeof MESSAGES,
  headers?: Record<string, string>,
): Response {
  return jsonResponse(status, { message: MESSAGES[status] }, headers);
}

/** Bodies larger than this are sent as a stream of views rather than copied whole. */
const STREAM_ABOVE = 1 << 20;

/** A 200 JSON answer of bytes serialised once and kept, streamed without a copy when big. */
export function bytesResponse(body: Uint8Array): Response {
  if (body.length <= STREAM_ABOVE) {
    return new Response(body as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: { "content-type": JSON_TYPE },
    });
  }
  // `new Response(bytes)` copies the bytes before the first one goes out: 12–23 ms for the 114 MB
  // body of a million outages, on every request (66–88 ms cold). Views of the kept bytes copy
  // nothing (docs/benchmarks.md).
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(body.subarray(offset, offset + STREAM_ABOVE));
      offset += STREAM_ABOVE;
      if (offset >= body.length) controller.close();
    },
  });
  return new Response(stream, {
    status: 200,
    headers: { "content-type": JSON_TYPE, "content-length": String(body.length) },
  });
}

/** A 200 whose body sends `bytes` (maybe none) and then fails, as a dropped connection does. */
export function droppedResponse(bytes: Uint8Array, contentLength?: number): Response {
  const headers: Record<string, string> = { "content-type": JSON_TYPE };
  if (contentLength !== undefined) headers["content-length"] = String(contentLength);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (bytes.length > 0) {
        controller.enqueue(bytes);
        bytes = new Uint8Array(0);
      } else {
        controller.error(new MockConnectionDrop("The emulator dropped the connection"));
      }
    },
  });
  return new Response(body, { status: 200, headers });
}
