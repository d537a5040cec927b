/**
 * Bytes the platform does not join for us: one concatenation, used wherever chunks read from a
 * stream become one array.
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
