/**
 * Response bodies: read under a size cap (refused unread when the declared length is over it, or as
 * soon as the bytes streamed pass it), and decoded as the UTF-8 that JSON on the wire must be:
 * a declared non-UTF-8 charset or an invalid byte fails the request, naming the byte's offset,
 * rather than being replaced by U+FFFD and posted.
 * @module
 */

import { ApiError } from "../errors.ts";
import type { Redactor } from "../redact.ts";

/** How far a body has come, for a progress line. */
export interface BodyProgress {
  readonly endpoint: string;
  /** Bytes read so far. */
  readonly bytes: number;
  /** The declared length, when there is one. */
  readonly total?: number;
  /** Milliseconds since the body started. */
  readonly ms: number;
  /** Whether the body is complete (the last report of a transfer that was shown). */
  readonly done: boolean;
}

/** Progress is reported once a body has taken this long, then at most this often. */
export const PROGRESS_EVERY_MS = 1000;

/** Bodies declared smaller than this are read in one piece: they never take long enough to show. */
const READ_WHOLE_BELOW = 1 << 20;

/**
 * Reads a body's bytes, refusing it unread when its declared length passes `limit` bytes, or as
 * soon as it does while streaming. A body that takes more than {@link PROGRESS_EVERY_MS} reports
 * its progress to `onProgress` about once a second, and once more when it is done.
 */
export async function readCapped(
  response: Response,
  limit: number,
  endpoint: string,
  onProgress?: (progress: BodyProgress) => void,
  now: () => number = Date.now,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  const tooLarge = () =>
    new ApiError(
      "too-large",
      endpoint,
      // In MiB, as --max-response-mb counts (×1,048,576), so that the figure is the flag's.
      `${endpoint}: the response body is larger than the ${
        Number((limit / 2 ** 20).toFixed(3))
      } MiB cap (${limit} bytes); it was not read ` +
        "(raise --max-response-mb if the API's data has really grown that large)",
      { status: response.status },
    );
  if (declared > limit) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array(0);
  const encoding = response.headers.get("content-encoding");
  const identity = encoding === null || encoding.trim().toLowerCase() === "identity";
  if (declared < READ_WHOLE_BELOW && identity) {
    // A small body of known length (fetch never reads past Content-Length): in one piece.
    return new Uint8Array(await response.arrayBuffer());
  }
  // A declared length, of the body as it is, is the size of the buffer: the chunks are copied
  // in as they come, with no chunk list to join (a compressed body's length says nothing of what
  // it inflates to, so it is collected in chunks).
  const whole = declared <= limit && identity ? new Uint8Array(declared) : undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const started = now();
  let shown = started + PROGRESS_EVERY_MS;
  let reported = false;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (
        size + value.byteLength > limit ||
        (whole !== undefined && size + value.byteLength > whole.length)
      ) {
        await reader.cancel();
        throw tooLarge();
      }
      if (whole !== undefined) whole.set(value, size);
      else chunks.push(value);
      size += value.byteLength;
      if (onProgress !== undefined && now() >= shown) {
        onProgress({
          endpoint,
          bytes: size,
          total: whole?.length,
          ms: now() - started,
          done: false,
        });
        shown = now() + PROGRESS_EVERY_MS;
        reported = true;
      }
    }
  } finally {
    reader.releaseLock();
  }
  if (reported) {
    onProgress?.({ endpoint, bytes: size, total: whole?.length, ms: now() - started, done: true });
  }
  if (whole !== undefined) return size === whole.length ? whole : whole.subarray(0, size);
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * The `charset` parameter of a `Content-Type` value, as the server wrote it, or `undefined`. The
 * value is redacted before it is parsed: a parameter cut at a `;` or `"` inside the key, or
 * lower-cased, would leave part of the key where no redaction can find it.
 */
export function declaredCharset(
  contentType: string | null,
  redact: Redactor = (text) => text,
): string | undefined {
  if (contentType === null) return undefined;
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(redact(contentType));
  return match?.[1];
}

/**
 * The offset of the first byte of `bytes` that does not belong to a well-formed UTF-8 sequence
 * (overlong forms, surrogates and code points above U+10FFFF included), or -1 when all are.
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let length: number, min: number, code: number;
    if (b >= 0xc2 && b <= 0xdf) [length, min, code] = [2, 0x80, b & 0x1f];
    else if (b >= 0xe0 && b <= 0xef) [length, min, code] = [3, 0x800, b & 0x0f];
    else if (b >= 0xf0 && b <= 0xf4) [length, min, code] = [4, 0x10000, b & 0x07];
    else return i;
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += length;
  }
  return -1;
}

const utf8 = new TextDecoder();

/**
 * A success body as text: `charset` (when declared) must be UTF-8, in any letter case, and every
 * byte well-formed UTF-8. Throws an {@link ApiError} of kind `encoding`, which is not retried.
 *
 * The bytes are decoded by the fast, replacing decoder (the fatal one takes three times as long on
 * a 114 MB body, docs/benchmarks.md); only when a U+FFFD came out are the bytes checked, since the
 * body may also have carried a real one.
 */
export function decodeUtf8(
  bytes: Uint8Array,
  charset: string | undefined,
  endpoint: string,
): string {
  const name = charset?.toLowerCase();
  if (name !== undefined && name !== "utf-8" && name !== "utf8") {
    throw new ApiError(
      "encoding",
      endpoint,
      `${endpoint}: the response declares charset "${charset}"; JSON on the wire must be UTF-8, ` +
        "and the body is not re-encoded from another charset",
    );
  }
  const text = utf8.decode(bytes);
  const offset = text.includes("\ufffd") ? invalidUtf8Offset(bytes) : -1;
  if (offset >= 0) {
    throw new ApiError(
      "encoding",
      endpoint,
      `${endpoint}: the response body is not valid UTF-8 (first bad byte at offset ${offset}); ` +
        "nothing was decoded with replacement characters",
    );
  }
  return text;
}
