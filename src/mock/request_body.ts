/**
 * Reading a request's body under a cap, so that no client can make the emulator hold more than
 * the cap: a `Content-Length` over it is refused before a byte is read, and a body that grows past
 * it is cancelled there.
 * @module
 */

/** The default cap of a request body: 64 MiB, room for a POST of some 500,000 outages. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** What reading a body gave: its bytes, too many bytes, or a client that went away. */
export type BodyRead =
  | { readonly kind: "read"; readonly bytes: Uint8Array }
  | { readonly kind: "too-large"; readonly note: string }
  | { readonly kind: "gone" };

/** Reads `request`'s body if it is at most `max` bytes. */
export async function readBody(request: Request, max: number): Promise<BodyRead> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > max) {
    return {
      kind: "too-large",
      note: `Content-Length ${declared} is over the cap of ${max} bytes`,
    };
  }
  if (request.body === null) return { kind: "read", bytes: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        await reader.cancel().catch(() => {});
        return { kind: "too-large", note: `the body is over the cap of ${max} bytes` };
      }
      chunks.push(value);
    }
  } catch {
    return { kind: "gone" };
  }
  if (chunks.length === 1) return { kind: "read", bytes: chunks[0] };
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { kind: "read", bytes };
}
