/**
 * Bytes the platform does not join for us: one concatenation, used wherever chunks read from a
 * stream become one array, and one growing buffer, used wherever a body is collected chunk by
 * chunk (the program's response bodies and the emulator's request bodies).
 * @module
 */

/**
 * The chunks joined into one array, in order. `total`, when the caller has counted it, saves a
 * second pass; a single chunk is returned as it is, without a copy.
 */
export function concatBytes(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(total ?? chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** The first buffer a body of unknown length is collected in. */
const FIRST_BUFFER = 16 * 1024;

/**
 * A body's bytes, collected chunk by chunk into one buffer that doubles as it fills (never past
 * `limit`, never to less than {@link FIRST_BUFFER}). Every chunk is copied: the runtime hands over
 * each chunk as a view onto a buffer of its own (64 KiB, however few bytes it holds), so keeping the
 * chunks themselves would hold up to 64 KiB per byte of a body sent one byte at a time. The memory
 * held stays under twice the bytes held (or {@link FIRST_BUFFER}).
 */
export class ByteCollector {
  #buffer: Uint8Array;
  #size = 0;
  readonly #limit: number;

  /**
   * A collector for at most `limit` bytes; `expected`, when known, is the first buffer's size (0
   * allocates nothing until the first chunk).
   */
  constructor(limit: number, expected?: number) {
    this.#limit = limit;
    this.#buffer = new Uint8Array(Math.min(limit, expected ?? FIRST_BUFFER));
  }

  /** The bytes collected so far. */
  get size(): number {
    return this.#size;
  }

  /** The bytes of memory the collector holds (its buffer), whatever the chunks it was given. */
  get held(): number {
    return this.#buffer.buffer.byteLength;
  }

  /**
   * The bytes the collector would hold once a chunk of `length` bytes is pushed, so that a caller
   * with a budget can take the growth before it is allocated.
   */
  heldAfter(length: number): number {
    const needed = this.#size + length;
    if (needed <= this.#buffer.length) return this.held;
    return Math.min(this.#limit, Math.max(needed, this.#buffer.length * 2, FIRST_BUFFER));
  }

  /** Copies `chunk` in; the caller has checked that the total stays within the limit. */
  push(chunk: Uint8Array): void {
    const needed = this.#size + chunk.byteLength;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(this.heldAfter(chunk.byteLength));
      grown.set(this.#buffer.subarray(0, this.#size));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#size);
    this.#size = needed;
  }

  /** The bytes collected, as a view onto the collector's buffer. */
  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#size);
  }
}
