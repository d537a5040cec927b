/**
 * The emulator's response builders: JSON answers and the API's error messages, big pre-serialised
 * bodies sent without a copy, answers whose body fails part way as a cut connection does, and
 * connections dropped before any byte (which `./server.ts` turns into a TCP reset or close).
 * @module
 */

/** The `Content-Type` of every JSON answer the emulator sends: exactly the real API's. */
export const JSON_TYPE = "application/json";

/**
 * The `message` of each error answer. 400–429 are api.yaml's descriptions word for word (no error
 * body was ever captured); 405, 413, 421 and 500 are ours; 504 is API Gateway's integration
 * timeout (docs/emulator.md, "Fidelity").
 */
export const MESSAGES = {
  400: "We cannot process your request because it doesn't match the required format.",
  403: "You do not have the required permissions to make this request.",
  404: "You have requested a resource that does not exist.",
  405: "The method is not allowed for the requested resource.",
  413: "Request Too Long",
  429: "You've exceeded your limit for your API key.",
  500: "Internal server error",
  504: "Endpoint request timed out",
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

/**
 * A 200 with the `Content-Length` of a full body whose body sends only `bytes` and then fails: the
 * server sends the status line, the headers and those bytes, then closes the connection.
 */
export function truncatedResponse(bytes: Uint8Array, contentLength: number): Response {
  const headers = { "content-type": JSON_TYPE, "content-length": String(contentLength) };
  return new Response(failingBody(bytes), { status: 200, headers });
}

/** How a connection ends without an answer: a TCP reset (RST) or a plain close (FIN). */
export type ConnectionDrop = "reset" | "close";

const drops = new WeakMap<Response, ConnectionDrop>();

/**
 * The answer that is no answer: the server sends no byte and resets or closes the connection. In
 * process it is a 200 whose body fails at once with {@link MockConnectionDrop}; {@link dropOf}
 * tells the server which drop it stands for.
 */
export function droppedConnection(how: ConnectionDrop): Response {
  const response = new Response(failingBody(new Uint8Array(0)), { status: 200 });
  drops.set(response, how);
  return response;
}

/** Whether `response` stands for a dropped connection, and how: for the server, before any byte. */
export function dropOf(response: Response): ConnectionDrop | undefined {
  return drops.get(response);
}

function failingBody(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (bytes.length > 0) {
        controller.enqueue(bytes);
        bytes = new Uint8Array(0);
      } else {
        controller.error(new MockConnectionDrop("The emulator dropped the connection"));
      }
    },
  });
}
