/**
 * Atomic file replacement: a temporary file beside the target, then a rename, so that a reader
 * sees the old file or the new one, never half of either. Only a regular file is ever replaced.
 * @module
 */

import { FileRefused } from "./errors.ts";

/** What a path names, without following a symbolic link; `missing` when nothing is there. */
export type FileKind =
  | "file"
  | "missing"
  | "directory"
  | "symlink"
  | "fifo"
  | "character-device"
  | "block-device"
  | "socket"
  | "other";

const KIND_WORDS: Readonly<Record<FileKind, string>> = {
  file: "a regular file",
  missing: "missing",
  directory: "a directory",
  symlink: "a symbolic link",
  fifo: "a FIFO (named pipe)",
  "character-device": "a character device",
  "block-device": "a block device",
  socket: "a socket",
  other: "a special file of an unknown kind",
};

/** A file kind in words, for messages: `a FIFO (named pipe)`. */
export function describeFileKind(kind: FileKind): string {
  return KIND_WORDS[kind];
}

/** The file operations an atomic write needs, injected for tests. */
export interface FileWriter {
  /** What is at `path` now, a symbolic link not followed (`lstat`). */
  kind(path: string): Promise<FileKind>;
  /** Creates (or replaces) the file, with permission bits `mode` when new (default 0644). */
  writeTextFile(path: string, text: string, mode?: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
}

/**
 * Throws {@link FileRefused} when `path` names anything but a regular file or nothing: what an
 * atomic write would replace there must be a file (a rename would replace a symbolic link, a FIFO
 * or a device node as readily).
 */
export async function refuseToReplace(path: string, fs: Pick<FileWriter, "kind">): Promise<void> {
  const kind = await fs.kind(path);
  if (kind !== "file" && kind !== "missing") {
    throw new FileRefused(
      path,
      `is ${describeFileKind(kind)}, not a regular file; refusing to replace it`,
    );
  }
}

/**
 * Writes `text` to `path` atomically; the temporary file is removed when anything fails. Throws
 * {@link FileRefused}, writing nothing, when `path` names anything but a regular file: a rename
 * would replace a symbolic link, a FIFO or a device node as readily as a file.
 */
export async function writeFileAtomically(
  path: string,
  text: string,
  fs: FileWriter,
  mode?: number,
): Promise<void> {
  await refuseToReplace(path, fs);
  const temporary = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await fs.writeTextFile(temporary, text, mode);
    await fs.rename(temporary, path);
  } catch (error) {
    await fs.remove(temporary).catch(() => {});
    throw error;
  }
}
