/**
 * A file that a flag or a variable names (`--env-file`, `--sites-file`, `--api-key-file` and their
 * variables; mock-api's `--data` and `--script`), read once, one way: bounded, regular files only (the reader refuses anything else),
 * and every failure a usage error that names the file, where its name came from, and what to do.
 * @module
 */

import { FileRefused, UsageError } from "../errors.ts";

/**
 * Reads a regular file of at most `maxBytes` bytes: its text, or `undefined` when nothing is at
 * `path`; throws `FileRefused` for anything else there, and other errors for other failures.
 */
export type ReadTextFile = (path: string, maxBytes: number) => string | undefined;

/** A file named by the configuration, and how its failures are told. */
export interface NamedFile {
  /** What the file is, for messages: `the sites file`. */
  readonly what: string;
  readonly path: string;
  /** Where its path came from, shown after it: `--sites-file`, `KRAKENFLEX_API_KEY_FILE (.env)`. */
  readonly from?: string;
  readonly maxBytes: number;
  /** What the file must be: the hint when it is refused for what it is. */
  readonly shape: string;
  /** The hint when nothing is at the path (default: none). */
  readonly missingHint?: string;
}

/**
 * The next step after a file could not be read: `shape` (what the file must be) when it was
 * refused for what it is, permissions when it could not be opened or read at all.
 */
function unreadableHint(error: unknown, shape: string): string {
  const denied = error instanceof FileRefused && error.reason.startsWith("cannot be read")
    ? true
    : !(error instanceof FileRefused);
  return denied
    ? "Check the file's path and permissions: this user must be able to read it."
    : shape;
}

/** `Cannot read the sites file "f" (--sites-file)`: the start of every message about `file`. */
function cannotRead(file: NamedFile): string {
  return `Cannot read ${file.what} "${file.path}"${
    file.from === undefined ? "" : ` (${file.from})`
  }`;
}

/**
 * The text of `file`, or `undefined` when nothing is at its path. Throws {@link UsageError} when
 * it cannot be read or is refused (not a regular file, too large).
 */
export function readNamedFile(file: NamedFile, readTextFile: ReadTextFile): string | undefined {
  try {
    return readTextFile(file.path, file.maxBytes);
  } catch (error) {
    throw new UsageError(
      `${cannotRead(file)}: ${FileRefused.reasonFor(error)}`,
      unreadableHint(error, file.shape),
    );
  }
}

/** The text of `file`, which must exist: {@link readNamedFile}, and a usage error when it is missing. */
export function requireNamedFile(file: NamedFile, readTextFile: ReadTextFile): string {
  const text = readNamedFile(file, readTextFile);
  if (text === undefined) {
    throw new UsageError(`${cannotRead(file)}: no such file`, file.missingHint);
  }
  return text;
}
