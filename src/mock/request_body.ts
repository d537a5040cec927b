/**
 * Reading a request's body under a cap, so that no client can make the emulator hold more than
 * the cap: a `Content-Length` over it is refused before a byte is read, and a body that grows past
 * it is cancelled there. A {@link BodyBudget} shared by every request bounds the bytes held across
 * all the bodies being read at once, and each body is copied into one growing buffer, so that a
 * body sent one byte at a time costs what its bytes do, not an object per chunk.
 * @module
 */

import { ByteCollector } from "../bytes.ts";

/** The default cap of a request body: 64 MiB, room for a POST of some 500,000 outages. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** The default budget of all the bodies being read at once: two bodies at the default cap. */
export const DEFAULT_MAX_HELD_BODY_BYTES = 128 * 1024 * 1024;

/** What reading a body gave: its bytes, too many bytes, no room left, or a client that went away. */
export type BodyRead =
  | { readonly kind: "read"; readonly bytes: Uint8Array }
  | { readonly kind: "too-large"; readonly note: string }
  | { readonly kind: "busy"; readonly note: string }
  | { readonly kind: "gone" };

/** The bytes that the bodies being read may hold together. */
export class BodyBudget {
  #left: number;
  /** A budget of `max` bytes; throws a `RangeError` unless it is a safe integer >= 1. */
  constructor(readonly max: number) {
    if (!(Number.isSafeInteger(max) && max >= 1)) {
      throw new RangeError(`Invalid body budget: expected an integer >= 1, got "${max}"`);
    }
    this.#left = max;
  }
  /** The bytes not taken. */
  get left(): number {
    return this.#left;
  }
  /** Takes `bytes` if that many are left; whether it did. */
  take(bytes: number): boolean {
    if (bytes > this.#left) return false;
    this.#left -= bytes;
    return true;
  }
  /** Gives back `bytes` taken before. */
  give(bytes: number): void {
    this.#left += bytes;
  }
}

/**
 * Reads `request`'s body if it is at most `max` bytes and `budget` has room for it, as it grows;
 * the room taken is given back before this returns (the caller keeps the bytes only briefly).
 */
export async function readBody(
  request: Request,
  max: number,
  budget = new BodyBudget(Number.MAX_SAFE_INTEGER),
): Promise<BodyRead> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > max) {
    return {
      kind: "too-large",
      note: `Content-Length ${declared} is over the cap of ${max} bytes`,
    };
  }
  if (request.body === null) return { kind: "read", bytes: new Uint8Array(0) };
  const reader = request.body.getReader();
  // Nothing is allocated before the first chunk, and each growth is taken from the budget first.
  const collected = new ByteCollector(max, 0);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (collected.size + value.length > max) {
        await reader.cancel().catch(() => {});
        return { kind: "too-large", note: `the body is over the cap of ${max} bytes` };
      }
      if (!budget.take(collected.heldAfter(value.length) - collected.held)) {
        await reader.cancel().catch(() => {});
        return {
          kind: "busy",
          note: `the bodies being read would hold over ${budget.max} bytes: not read`,
        };
      }
      collected.push(value);
    }
  } catch {
    return { kind: "gone" };
  } finally {
    budget.give(collected.held);
  }
  return { kind: "read", bytes: collected.bytes() };
}
