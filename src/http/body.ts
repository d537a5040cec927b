/**
 * Response bodies: read under a size cap (refused unread when the declared length is over it, or as
 * soon as the bytes streamed pass it), and decoded as the UTF-8 that JSON on the wire must be:
 * a declared non-UTF-8 charset or an invalid byte fails the request, naming the byte's offset,
 * rather than being replaced by U+FFFD and posted.
 * @module
 */

import { ByteCollector } from "../bytes.ts";
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
 * A body's chunks, each valid until the next is read. The runtime's own bodies are byte streams,
 * read into one reused 64 KiB buffer (a BYOB reader): the default reader allocates a 64 KiB buffer
 * for every chunk, which a body sent one byte per chunk turns into 64 KiB of garbage per byte
 * (three times as slow, docs/benchmarks.md). Any other stream is read by the default reader.
 */
class ChunkReader {
  readonly #byob: ReadableStreamBYOBReader | undefined;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #scratch = new Uint8Array(64 * 1024);

  constructor(body: ReadableStream<Uint8Array>) {
    try {
      // Stryker disable next-line ObjectLiteral,StringLiteral: a default reader, the same bytes.
      this.#byob = body.getReader({ mode: "byob" });
    } catch {
      this.#reader = body.getReader(); // Not a byte stream.
    }
  }

  /** The next chunk, or `undefined` at the end of the body. */
  async read(): Promise<Uint8Array | undefined> {
    if (this.#byob !== undefined) {
      const { done, value } = await this.#byob.read(this.#scratch);
      // The scratch buffer was transferred to the stream and comes back in `value`.
      if (value !== undefined) this.#scratch = new Uint8Array(value.buffer);
      return done ? undefined : value;
    }
    const { done, value } = await this.#reader!.read();
    return done ? undefined : value;
  }

  cancel(): Promise<void> {
    return (this.#byob ?? this.#reader!).cancel();
  }

  // Stryker disable next-line BlockStatement: the body is not read again after this.
  release(): void {
    (this.#byob ?? this.#reader!).releaseLock();
  }
}

/** The error for a body over the cap: declared so (`declared`), or found so while reading. */
function overTheCap(
  response: Response,
  limit: number,
  endpoint: string,
  declared?: number,
): ApiError {
  const encoding = response.headers.get("content-encoding");
  // In MiB, as --max-response-mb counts (×1,048,576), so that the figure is the flag's.
  const cap = `${Number((limit / 2 ** 20).toFixed(3))} MiB cap (${limit} bytes)`;
  const what = declared !== undefined
    ? `(Content-Length ${declared}) is over the ${cap}; it was not read`
    : `is over the ${cap}${
      isIdentity(encoding) ? "" : " once decoded (it came compressed)"
    }; it was read no further`;
  return new ApiError(
    "too-large",
    endpoint,
    `${endpoint}: the response body ${what} ` +
      "(raise --max-response-mb if the API's data has really grown that large)",
    { status: response.status },
  );
}

/** Whether a `Content-Encoding` value leaves the body as it is. */
function isIdentity(encoding: string | null): boolean {
  return encoding === null || encoding.trim().toLowerCase() === "identity";
}

/**
 * Tells `onProgress` how a body is coming along: once it has taken {@link PROGRESS_EVERY_MS},
 * then about that often, and once more when it is done (only when something was shown).
 */
class ProgressReporter {
  readonly #endpoint: string;
  readonly #total: number | undefined;
  readonly #onProgress: ((progress: BodyProgress) => void) | undefined;
  readonly #now: () => number;
  readonly #started: number;
  #shown: number;
  #reported = false;

  constructor(
    endpoint: string,
    total: number | undefined,
    onProgress: ((progress: BodyProgress) => void) | undefined,
    now: () => number,
  ) {
    this.#endpoint = endpoint;
    this.#total = total;
    this.#onProgress = onProgress;
    this.#now = now;
    this.#started = now();
    this.#shown = this.#started + PROGRESS_EVERY_MS;
  }

  /** After each chunk: reports `bytes` read so far, when the next report is due. */
  update(bytes: number): void {
    if (this.#onProgress === undefined || this.#now() < this.#shown) return;
    this.#report(bytes, false);
    this.#shown = this.#now() + PROGRESS_EVERY_MS;
    this.#reported = true;
  }

  /** At the end of the body: the last report, so that a progress line that was shown completes. */
  done(bytes: number): void {
    if (this.#reported) this.#report(bytes, true);
  }

  #report(bytes: number, done: boolean): void {
    const ms = this.#now() - this.#started;
    // Stryker disable next-line OptionalChaining: never reached without `onProgress`.
    this.#onProgress?.({ endpoint: this.#endpoint, bytes, total: this.#total, ms, done });
  }
}

/**
 * Reads a body's bytes, refusing it unread when its declared length passes `limit` bytes, or as
 * soon as it does while streaming. The cap counts the bytes as decoded: a compressed body is
 * refused once what it inflates to passes `limit`. A body that takes more than
 * {@link PROGRESS_EVERY_MS} reports its progress to `onProgress` about once a second, and once
 * more when it is done.
 */
export async function readCapped(
  response: Response,
  limit: number,
  endpoint: string,
  onProgress?: (progress: BodyProgress) => void,
  now: () => number = Date.now,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    await response.body?.cancel();
    throw overTheCap(response, limit, endpoint, declared);
  }
  if (response.body === null) return new Uint8Array(0);
  const identity = isIdentity(response.headers.get("content-encoding"));
  // Stryker disable next-line BlockStatement: the streamed path reads the same bytes.
  if (declared < READ_WHOLE_BELOW && identity) {
    // A small body of known length (fetch never reads past Content-Length): in one piece.
    return new Uint8Array(await response.arrayBuffer());
  }
  // A declared length, of the body as it is, is the size of the buffer (a compressed body's length
  // says nothing of what it inflates to).
  const total = identity && declared >= 0 ? declared : undefined;
  const collected = new ByteCollector(total ?? limit, total);
  const progress = new ProgressReporter(endpoint, total, onProgress, now);
  const reader = new ChunkReader(response.body);
  try {
    for (;;) {
      const value = await reader.read();
      if (value === undefined) break;
      if (collected.size + value.byteLength > (total ?? limit)) {
        await reader.cancel();
        throw overTheCap(response, limit, endpoint);
      }
      collected.push(value);
      progress.update(collected.size);
    }
  } finally {
    // Stryker disable next-line CallExpression: the body is not read again after this.
    reader.release();
  }
  progress.done(collected.size);
  return collected.bytes();
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
  // Stryker disable next-line StringLiteral: checking every body gives the same verdict.
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
