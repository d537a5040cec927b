/**
 * Atomic file replacement: a temporary file beside the target, then a rename, so that a reader
 * sees the old file or the new one, never half of either.
 * @module
 */

/** The file operations an atomic write needs, injected for tests. */
export interface FileWriter {
  writeTextFile(path: string, text: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
}

/** Writes `text` to `path` atomically; the temporary file is removed when anything fails. */
export async function writeFileAtomically(
  path: string,
  text: string,
  fs: FileWriter,
): Promise<void> {
  const temporary = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await fs.writeTextFile(temporary, text);
    await fs.rename(temporary, path);
  } catch (error) {
    await fs.remove(temporary).catch(() => {});
    throw error;
  }
}
