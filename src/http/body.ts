/**
 * Reading a response body under a size cap: refused unread when its declared length is over the
 * cap, or as soon as the bytes streamed pass it.
 * @module
 */

import { ApiError } from "../errors.ts";

/** A response body read whole, as text. */
export interface BodyText {
  readonly text: string;
  /** Its size in bytes. */
  readonly bytes: number;
}

/**
 * Reads a body as UTF-8 text, refusing it unread when its declared length passes `limit` bytes, or
 * as soon as it does while streaming.
 */
export async function readCapped(
  response: Response,
  limit: number,
  endpoint: string,
): Promise<BodyText> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  const tooLarge = () =>
    new ApiError(
      "too-large",
      endpoint,
      `${endpoint}: the response body is larger than the ${limit} byte cap; it was not read ` +
        "(raise --max-response-mb if the API's data has really grown that large)",
      { status: response.status },
    );
  if (declared > limit) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return { text: "", bytes: 0 };
  const encoding = response.headers.get("content-encoding");
  if (declared <= limit && (encoding === null || encoding.trim().toLowerCase() === "identity")) {
    // A declared length within the cap, of the body as it is (fetch never reads past
    // Content-Length; a compressed body's length says nothing of what it inflates to, so it
    // streams below): the runtime reads and decodes it in one piece, with no chunk list and no
    // copy joining the chunks, and no bytes are left alive while the text is parsed (RSS at 1M
    // outages: 690 → 613 MB, docs/benchmarks.md).
    return { text: await response.text(), bytes: declared };
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return { text: new TextDecoder().decode(chunks[0]), bytes: size };
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { text: new TextDecoder().decode(bytes), bytes: size };
}
