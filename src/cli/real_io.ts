/**
 * The real I/O behind a {@link CliIo}: bounded reads of regular files, the file writer of the
 * metrics and state files, the state directory's lock and checks, and stdout/stderr writes that
 * never throw. `main.ts` wires these into the commands; tests use them to run a command against
 * the real file system without importing the entry point.
 * @module
 */

import { describeFileKind, type FileKind, type FileWriter } from "../atomic_file.ts";
import { concatBytes } from "../bytes.ts";
import { FileRefused } from "../errors.ts";
import type { CheckedRead, CliIo, FileFacts, StateFiles } from "./io.ts";

/** What a stat says is at a path. */
function kindOf(info: Deno.FileInfo): FileKind {
  if (info.isFile) return "file";
  if (info.isDirectory) return "directory";
  if (info.isSymlink) return "symlink";
  if (info.isFifo) return "fifo";
  if (info.isCharDevice) return "character-device";
  if (info.isBlockDevice) return "block-device";
  if (info.isSocket) return "socket";
  return "other";
}

/** `4 KiB`, `1.5 MiB`, `1048577 bytes`: a size in words, for messages, never rounded to a limit. */
function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = "bytes";
  for (const next of ["KiB", "MiB", "GiB", "TiB"]) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  if (Number.isInteger(value)) return `${value} ${value === 1 && unit === "bytes" ? "byte" : unit}`;
  const rounded = value.toFixed(1);
  // "1.0 MiB" would hide the byte that makes a file too large: say it exactly.
  return Number.isInteger(Number(rounded)) ? `${bytes} bytes` : `${rounded} ${unit}`;
}

/** An operating-system error in words, without the operation and path Deno appends. */
function osReason(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) {
    return "Deno's permissions do not allow it (--allow-read)";
  }
  if (error instanceof Deno.errors.NotADirectory) return "a part of the path is not a directory";
  if (error instanceof Deno.errors.BrokenPipe) return "broken pipe";
  const message = error instanceof Error ? error.message : String(error);
  const words = message.replace(/ \(os error \d+\).*$/s, "");
  return words.charAt(0).toLowerCase() + words.slice(1);
}

/**
 * Reads a regular file of at most `maxBytes` bytes as UTF-8: its text, or `undefined` when
 * nothing is at `path`. A symbolic link is followed. Anything else is refused with
 * {@link FileRefused} before it is opened, so that a FIFO, `/dev/zero` or a terminal can neither
 * block the run (a blocking read holds off signal handling too) nor fill its memory. At most
 * `maxBytes` + 1 bytes are read whatever the stat said: a file can grow, and `/proc` files claim
 * a size of 0.
 */
export function readTextFile(path: string, maxBytes: number): string | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new FileRefused(path, `cannot be read: ${osReason(error)}`);
  }
  if (!info.isFile) {
    let link = "";
    try {
      if (Deno.lstatSync(path).isSymlink) link = "a symbolic link to ";
    } catch {
      // Gone since the stat: describe what it named then.
    }
    throw new FileRefused(path, `is ${link}${describeFileKind(kindOf(info))}, not a regular file`);
  }
  const limit = `the ${formatBytes(maxBytes)} limit`;
  if (info.size > maxBytes) {
    throw new FileRefused(path, `is ${formatBytes(info.size)}, more than ${limit}`);
  }
  let bytes: Uint8Array;
  try {
    using file = Deno.openSync(path, { read: true });
    // Checked again on what was opened, in case the path was replaced since the stat.
    if (!file.statSync().isFile) throw new FileRefused(path, "is no longer a regular file");
    bytes = readAtMost(file, maxBytes + 1);
  } catch (error) {
    if (error instanceof FileRefused) throw error;
    throw new FileRefused(path, `cannot be read: ${osReason(error)}`);
  }
  if (bytes.length > maxBytes) throw new FileRefused(path, `is larger than ${limit}`);
  try {
    return new TextDecoder().decode(bytes);
  } catch {
    // V8 cannot hold a string of more than about 512 MiB.
    throw new FileRefused(path, `is ${formatBytes(bytes.length)}, too large to read as text`);
  }
}

/**
 * Reads `file` to its end or to `limit` bytes, whichever comes first. `expected` (the size a stat
 * gave) sizes the first chunk: a small file is read into one small buffer, not a zeroed 64 KiB one.
 */
function readAtMost(file: Deno.FsFile, limit: number, expected = 64 * 1024): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < limit) {
    const size = chunks.length === 0 ? Math.max(expected + 1, 1024) : 64 * 1024;
    const chunk = new Uint8Array(Math.min(size, limit - total));
    const read = file.readSync(chunk);
    if (read === null) break;
    chunks.push(chunk.subarray(0, read));
    total += read;
  }
  return concatBytes(chunks, total);
}

/** A file's permission bits, or `undefined` when it cannot be stat'ed (to warn about loose ones). */
export function fileMode(path: string): number | undefined {
  try {
    return Deno.statSync(path).mode ?? undefined;
  } catch {
    return undefined;
  }
}

/** The real file system, for `--metrics-file` (world-readable, 0644) and the state files (0600). */
export const realFileWriter: FileWriter = {
  // deno-lint-ignore require-await -- synchronous inside: an lstat costs less than an async op
  async kind(path) {
    try {
      return kindOf(Deno.lstatSync(path));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return "missing";
      throw error;
    }
  },
  writeTextFile: (path, text, mode = 0o644) => Deno.writeTextFile(path, text, { mode }),
  rename: (from, to) => Deno.rename(from, to),
  remove: (path) => Deno.remove(path),
};

/** What a stat says of a path, as the state directory's checks read it. */
function factsOf(info: Deno.FileInfo): FileFacts {
  return {
    kind: kindOf(info),
    uid: info.uid,
    mode: info.mode === null ? null : info.mode & 0o7777,
    identity: info.ino === null ? null : `${info.dev}:${info.ino}`,
  };
}

/** `info`'s problem as the state lock, or `undefined` when it may be written. */
function lockProblem(info: Deno.FileInfo): string | undefined {
  if (!info.isFile) return `is ${describeFileKind(kindOf(info))}, not a regular file`;
  const uid = Deno.uid();
  if (uid !== null && info.uid !== uid) return `is owned by uid ${info.uid}, not by this user`;
  if ((info.nlink ?? 1) > 1) return `has ${info.nlink} hard links; it must have one`;
  return undefined;
}

/**
 * Opens the lock file for writing without ever following a symbolic link: a new one with
 * `createNew` (`O_EXCL` refuses a link), an existing one only when `lstat` says it is a regular
 * file, and then only without truncating; what was opened is checked again to be that file.
 */
async function openLockFile(path: string): Promise<Deno.FsFile> {
  for (let attempt = 1;; attempt++) {
    let before: Deno.FileInfo | undefined;
    try {
      before = await Deno.lstat(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const problem = before === undefined ? undefined : lockProblem(before);
    if (problem !== undefined) throw new FileRefused(path, problem);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(
        path,
        before === undefined
          ? { read: true, write: true, createNew: true, mode: 0o600 }
          : { read: true, write: true },
      );
    } catch (error) {
      // Created or removed by another run between the lstat and the open: look again.
      const raced = error instanceof Deno.errors.AlreadyExists ||
        error instanceof Deno.errors.NotFound;
      if (raced && attempt < 3) continue;
      throw error;
    }
    const opened = await file.stat();
    const now = await Deno.lstat(path).catch(() => undefined);
    const same = (a: Deno.FileInfo, b: Deno.FileInfo) => a.dev === b.dev && a.ino === b.ino;
    const changed = now === undefined || !same(opened, now) ||
      (before !== undefined && !same(before, opened));
    const openedProblem = changed ? "was replaced while it was opened" : lockProblem(opened);
    if (openedProblem !== undefined) {
      file.close();
      throw new FileRefused(path, `${openedProblem}; refusing to write it`);
    }
    return file;
  }
}

/**
 * {@link StateFiles.readFile} on the real file system, synchronously: one `lstat`, an `open` and
 * an `fstat` (what a run does for each site it has state for; async ops cost more than the calls).
 */
function readCheckedFile(path: string, maxBytes: number): CheckedRead | undefined {
  let before: Deno.FileInfo;
  try {
    before = Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new FileRefused(path, `cannot be read: ${osReason(error)}`);
  }
  // Anything but a regular file is never opened: a FIFO or a device could block or never end.
  if (!before.isFile) return { facts: factsOf(before) };
  const limit = `the ${formatBytes(maxBytes)} limit`;
  if (before.size > maxBytes) {
    throw new FileRefused(path, `is ${formatBytes(before.size)}, more than ${limit}`);
  }
  let bytes: Uint8Array;
  let opened: Deno.FileInfo;
  try {
    using file = Deno.openSync(path, { read: true });
    opened = file.statSync();
    if (!opened.isFile || opened.dev !== before.dev || opened.ino !== before.ino) {
      return { facts: factsOf(opened), replaced: true };
    }
    bytes = readAtMost(file, maxBytes + 1, opened.size);
  } catch (error) {
    // Removed between the lstat and the open: it was replaced while it was read.
    if (error instanceof Deno.errors.NotFound) return { facts: factsOf(before), replaced: true };
    throw new FileRefused(path, `cannot be read: ${osReason(error)}`);
  }
  if (bytes.length > maxBytes) throw new FileRefused(path, `is larger than ${limit}`);
  try {
    return { facts: factsOf(opened), text: new TextDecoder().decode(bytes) };
  } catch {
    throw new FileRefused(path, `is ${formatBytes(bytes.length)}, too large to read as text`);
  }
}

/** The state directory's own operations, on the real file system. */
export const stateFiles: StateFiles = {
  async ensureDir(path) {
    await Deno.mkdir(path, { recursive: true, mode: 0o700 });
  },
  userId: () => Deno.uid(),
  async inspect(path, follow = false) {
    try {
      return factsOf(await (follow ? Deno.stat(path) : Deno.lstat(path)));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
  },
  readFile: readCheckedFile,
  async tryLock(path, holder) {
    const file = await openLockFile(path);
    if (!(await file.tryLock(true))) {
      const buffer = new Uint8Array(512);
      const read = await file.read(buffer).catch(() => null);
      file.close();
      return {
        held: false,
        holder: new TextDecoder().decode(buffer.subarray(0, read ?? 0)).trim(),
      };
    }
    await file.truncate(0);
    await file.write(new TextEncoder().encode(`${holder}\n`));
    return {
      held: true,
      release: () => {
        file.unlockSync();
        file.close();
      },
    };
  },
};

/** The process's stdout and stderr as the program writes them: writes that never throw. */
export type Outputs = Pick<CliIo, "stdout" | "stderr">;

/**
 * Standard output and error whose failures never change a run's outcome. When stdout fails (a
 * closed pipe, a full disk), that is said once on stderr and the rest of stdout is dropped; the
 * run goes on, so the exit code is the run's and the metrics file is still written. When stderr
 * fails there is nowhere left to say so: its writes are dropped. SIGPIPE needs no handling here:
 * Deno ignores it, so a closed pipe is an error of the write (`BrokenPipe`), never a kill.
 */
export function realOutputs(): Outputs {
  const encoder = new TextEncoder();
  const writeAll = (stream: typeof Deno.stdout, text: string) => {
    const bytes = encoder.encode(text);
    for (let written = 0; written < bytes.length;) {
      written += stream.writeSync(bytes.subarray(written));
    }
  };
  let stdoutBroken = false;
  const stderr = (text: string) => {
    try {
      writeAll(Deno.stderr, text);
    } catch {
      // Nowhere left to report it.
    }
  };
  const stdout = (text: string) => {
    if (stdoutBroken) return;
    try {
      writeAll(Deno.stdout, text);
    } catch (error) {
      stdoutBroken = true;
      stderr(
        `outage-sync: cannot write to stdout (${osReason(error)}); ` +
          "the rest of its output is dropped, and the run's outcome is unchanged\n",
      );
    }
  };
  return { stdout, stderr };
}
