/**
 * The program's window on the world: everything a command reads or writes goes through a
 * {@link CliIo}, which `main.ts` builds from real I/O and tests build in memory.
 * @module
 */

import type { FileKind, FileWriter } from "../atomic_file.ts";
import type { RetryClock } from "../retry_policy.ts";

/** What a command may use of the outside world. */
export interface CliIo {
  /** A real environment variable, or `undefined`. */
  env(name: string): string | undefined;
  /**
   * A regular file's text, or `undefined` when nothing is at `path`. Never blocks and never reads
   * more than `maxBytes` + 1 bytes: throws `FileRefused` for a FIFO, a device, a directory, a file
   * larger than `maxBytes` or one that cannot be read.
   */
  readTextFile(path: string, maxBytes: number): string | undefined;
  /** The names of the real environment's variables (to catch misspelt ones). */
  envNames?(): readonly string[];
  /** A file's permission bits, or `undefined` when it cannot be read (to warn about loose ones). */
  fileMode?(path: string): number | undefined;
  /** The directories this build may write to (`deno.json` `permissions.default.write`). */
  readonly writablePaths?: readonly string[];
  /** Writes to standard output: the report, the help, the emulator's URL. */
  stdout(text: string): void;
  /** Writes to standard error: logs and usage errors. */
  stderr(text: string): void;
  /** Whether stderr is a terminal (colour is only used there). */
  readonly stderrIsTerminal: boolean;
  /** Aborted on SIGINT/SIGTERM, with an `Interrupted` reason. */
  readonly signal: AbortSignal;
  /** File writes, for `--metrics-file` and the state files. */
  readonly fs?: FileWriter;
  /** The state directory's own operations (`--state-dir`). */
  readonly stateFiles?: StateFiles;
  /** The HTTP client (default: the global `fetch`). */
  readonly fetch?: typeof fetch;
  /** Time, waits and randomness for the retry policy (default: real ones). */
  readonly clock?: RetryClock;
  /** The program's version. */
  readonly version: string;
}

/** A lock on a file, once taken. */
export type LockAttempt =
  | { readonly held: true; release(): void }
  | { readonly held: false; /** What the holder wrote in the file. */ readonly holder: string };

/** What a stat says of a path: what the state directory's checks need. */
export interface FileFacts {
  readonly kind: FileKind;
  /** The owner's user id; `null` where the system has none (Windows). */
  readonly uid: number | null;
  /** The permission bits; `null` where the system has none (Windows). */
  readonly mode: number | null;
  /** Device and inode, to tell whether a path still names the same file; `null` on Windows. */
  readonly identity: string | null;
}

/** What {@link StateFiles.readFile} found at a path. */
export interface CheckedRead {
  /** The file opened (`fstat`), or what is at the path when it is not a regular file (`lstat`). */
  readonly facts: FileFacts;
  /** The text of a regular file; absent for anything else, and when `replaced`. */
  readonly text?: string;
  /** The path named another file by the time it was opened (swapped for a link, say). */
  readonly replaced?: boolean;
}

/** The file operations of the state directory beyond reads and atomic writes. */
export interface StateFiles {
  /** Creates the directory and its parents (mode 0700) when missing; throws when it cannot. */
  ensureDir(path: string): Promise<void>;
  /**
   * The user id this process runs as; `null` on Windows. Throws `Deno.errors.NotCapable` without
   * `--allow-sys=uid`.
   */
  userId(): number | null;
  /** What is at `path` (a symbolic link itself unless `follow`), or `undefined` when nothing is. */
  inspect(path: string, follow?: boolean): Promise<FileFacts | undefined>;
  /**
   * Reads `path` (at most `maxBytes`) without following a symbolic link: `lstat`s it, opens only
   * a regular file, and `fstat`s what was opened, which must be the file that was checked. The text
   * is given only then. `undefined` when nothing is there; throws `FileRefused` for a file larger
   * than `maxBytes` or one that cannot be read.
   */
  readFile(path: string, maxBytes: number): CheckedRead | undefined;
  /**
   * Takes an exclusive lock on `path` (created if missing) without waiting, writing `holder` in it.
   * Never opens it through a symbolic link: throws `FileRefused` unless `path` is a regular file of
   * one link, owned by this user, and still the file that was opened.
   */
  tryLock(path: string, holder: string): Promise<LockAttempt>;
}

/** A command of the program: its help text and how it runs. */
export interface Command {
  /** The text of `outage-sync COMMAND --help`. */
  readonly help: string;
  /** Runs the command with the words after its name; resolves to the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}
