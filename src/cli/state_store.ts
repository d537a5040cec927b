/**
 * The state directory on disk (`--state-dir`): created (0700) and checked before any request —
 * owned by this user, writable by no one else (as `ssh` checks `~/.ssh`), writable — then locked
 * for the run so that two runs never interleave; one file per site written atomically (0600).
 * Nothing in it is opened through a symbolic link. A state file that cannot be used or trusted is
 * a warning and reads as no state: it can cause an extra POST, never a missed one.
 * @module
 */

import { describeFileKind, writeFileAtomically } from "../atomic_file.ts";
import { FileRefused, StateLocked, UsageError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import {
  FUTURE_SKEW_MS,
  isInFuture,
  parseState,
  renderState,
  stateFileName,
  type StateStore,
} from "../state.ts";
import type { CliIo, FileFacts, StateFiles } from "./io.ts";

/** The largest state file read: a site's payload of a million outages is about 100 MB. */
export const STATE_FILE_MAX_BYTES = 256 * 1024 * 1024;
/** How long a run waits for another to release the state directory, at most. */
export const LOCK_WAIT_MS = 30_000;
const LOCK_POLL_MS = 200;

/** An open state directory: the store the sync reads and writes, and the lock to release. */
export interface OpenState {
  readonly store: StateStore;
  release(): void;
}

/** How to open the state directory. */
export interface OpenOptions {
  readonly logger: Logger;
  /** Time and waits (the lock is polled). */
  readonly clock: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> };
  /** The run's deadline: the lock is never waited for past it. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
}

function unusable(dir: string, error: unknown, io: CliIo): UsageError {
  const reason = error instanceof Deno.errors.NotCapable
    ? `no write permission (this build may write only under ${
      (io.writablePaths ?? []).join(", ") || "no directory"
    }; see docs/operations.md, "State")`
    : FileRefused.reasonFor(error);
  return new UsageError(
    `Cannot use the state directory "${dir}": ${reason}`,
    "Give a directory this user can create and write (--state-dir, KRAKENFLEX_STATE_DIR), " +
      "or run without one.",
  );
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}

/**
 * The user this run is, or `null` where the system has none (Windows: no owner checks). Without
 * `--allow-sys=uid` the checks cannot be made, and the state directory is not used unchecked.
 */
function runningUser(dir: string, stateFiles: StateFiles): number | null {
  try {
    return stateFiles.userId();
  } catch {
    throw new UsageError(
      `Cannot use the state directory "${dir}": its owner cannot be checked without the ` +
        `permission to read this user's id`,
      "Run with -P (deno.json's permissions) or add --allow-sys=uid.",
    );
  }
}

/** Throws a {@link UsageError} unless `dir` is a directory of `uid` that no one else can write. */
function checkDirectory(dir: string, facts: FileFacts | undefined, uid: number | null): void {
  if (facts?.kind !== "directory") {
    throw new UsageError(
      `Cannot use the state directory "${dir}": it is ${
        facts === undefined ? "missing" : describeFileKind(facts.kind)
      }, not a directory`,
    );
  }
  if (uid === null) return;
  if (facts.uid !== uid) {
    throw new UsageError(
      `Cannot use the state directory "${dir}": it is owned by uid ${facts.uid}, not by this ` +
        `user (uid ${uid}); another user could plant or edit its state`,
      `Run as its owner, or give it to this user: chown ${uid} "${dir}" && chmod 700 "${dir}"`,
    );
  }
  if (facts.mode !== null && (facts.mode & 0o022) !== 0) {
    throw new UsageError(
      `Cannot use the state directory "${dir}": it is writable by group or others (mode ${
        octal(facts.mode)
      }); another user could plant or edit its state`,
      `Make it this user's alone: chmod 700 "${dir}"`,
    );
  }
}

/**
 * Opens `dir`: creates it if missing, checks that it is this user's alone, proves it writable, and
 * takes its lock, waiting up to {@link LOCK_WAIT_MS} (and never past the deadline) for another run
 * to finish. Throws a {@link UsageError} when the directory cannot be used or trusted (exit 2,
 * before any request) and {@link StateLocked} naming the holder when the wait ran out.
 */
export async function openStateDir(
  dir: string,
  io: CliIo,
  options: OpenOptions,
): Promise<OpenState> {
  const { fs, stateFiles } = io;
  if (fs === undefined || stateFiles === undefined) {
    throw new UsageError(
      `Cannot use the state directory "${dir}": file writes are not available here`,
    );
  }
  const uid = runningUser(dir, stateFiles);
  let facts;
  try {
    await stateFiles.ensureDir(dir);
    facts = await stateFiles.inspect(dir, true);
  } catch (error) {
    throw unusable(dir, error, io);
  }
  checkDirectory(dir, facts, uid);
  try {
    const probe = `${dir}/.probe-${crypto.randomUUID().slice(0, 8)}`;
    await writeFileAtomically(probe, "", fs, 0o600);
    await fs.remove(probe);
  } catch (error) {
    throw unusable(dir, error, io);
  }
  const release = await takeLock(dir, io, stateFiles, options);
  return { store: createStore(dir, io, { ...options, uid }), release };
}

/**
 * Takes the state directory's lock, polling while another run holds it, for at most
 * {@link LOCK_WAIT_MS} and never past the deadline; resolves to its release.
 */
async function takeLock(
  dir: string,
  io: CliIo,
  stateFiles: StateFiles,
  options: OpenOptions,
): Promise<() => void> {
  const lockPath = `${dir}/.lock`;
  const holder = `pid ${Deno.pid}, since ${new Date(options.clock.now()).toISOString()}`;
  const started = options.clock.now();
  for (let tries = 1;; tries++) {
    let attempt;
    try {
      attempt = await stateFiles.tryLock(lockPath, holder);
    } catch (error) {
      if (!(error instanceof FileRefused)) throw unusable(dir, error, io);
      throw new UsageError(
        `Cannot use the state directory "${dir}": its lock "${lockPath}" ${error.reason}`,
        `Remove it (each run creates its own): rm "${lockPath}"`,
      );
    }
    if (attempt.held) return attempt.release;
    const waited = options.clock.now() - started;
    if (waited >= LOCK_WAIT_MS || options.clock.now() + LOCK_POLL_MS >= options.deadline) {
      throw new StateLocked(
        `The state directory "${dir}" is locked by another run (${
          attempt.holder || "holder unknown"
        }); waited ${(waited / 1000).toFixed(1)} s for it`,
      );
    }
    if (tries === 1) {
      options.logger.info("the state directory is locked by another run: waiting", {
        dir,
        holder: attempt.holder || undefined,
      });
    }
    await options.clock.sleep(LOCK_POLL_MS, options.signal);
  }
}

/** Why a state file is not trusted (anything but this user's own regular file), or `undefined`. */
function distrust(facts: FileFacts, uid: number | null): string | undefined {
  if (facts.kind !== "file") return `it is ${describeFileKind(facts.kind)}, not a regular file`;
  if (uid !== null && facts.uid !== uid) {
    return `it is owned by uid ${facts.uid}, not by this user (uid ${uid})`;
  }
  if (facts.mode !== null && (facts.mode & 0o022) !== 0) {
    return `it is writable by group or others (mode ${octal(facts.mode)})`;
  }
  return undefined;
}

/** What a site's read found at its path, kept for its write: the path, and whether it was a file. */
interface Seen {
  readonly path: string;
  /** A regular file or nothing was there: the write need not remove anything first. */
  readonly plain: boolean;
}

/**
 * The state file's text, or `undefined` when there is none, or `null` (with a warning) when there
 * is one not to trust. The file is `lstat`ed, opened only when it is a regular file, and `fstat`ed
 * once open: it must be the file checked, this user's, writable by no one else.
 */
function readTrusted(
  path: string,
  io: CliIo,
  uid: number | null,
  logger: Logger,
): { text: string | undefined | null; plain: boolean } {
  const ignored = (problem: string, plain: boolean) => {
    logger.warn("state file not trusted, ignored: the site is posted and the file replaced", {
      path,
      problem,
    });
    return { text: null, plain };
  };
  try {
    const read = io.stateFiles!.readFile(path, STATE_FILE_MAX_BYTES);
    if (read === undefined) return { text: undefined, plain: true };
    const plain = read.facts.kind === "file";
    // The path must still name the file that was checked: not swapped for a link meanwhile.
    if (read.replaced === true) return ignored("it was replaced while it was read", false);
    const problem = distrust(read.facts, uid);
    if (problem !== undefined) return ignored(problem, plain);
    return { text: read.text ?? null, plain };
  } catch (error) {
    logger.warn("state file unreadable, treated as absent: the site is posted", {
      path,
      problem: FileRefused.reasonFor(error),
    });
    return { text: null, plain: false };
  }
}

function createStore(
  dir: string,
  io: CliIo,
  options: OpenOptions & { readonly uid: number | null },
): StateStore {
  const fs = io.fs!;
  const { logger, clock, uid } = options;
  // Each site's read, for its write: the file name is hashed once, the path inspected once.
  const seen = new Map<string, Seen>();
  return {
    // deno-lint-ignore require-await -- the store's interface is async; this one reads synchronously
    async read(siteId) {
      const path = `${dir}/${stateFileName(siteId)}`;
      const { text, plain } = readTrusted(path, io, uid, logger);
      seen.set(siteId, { path, plain });
      if (text === null) return null;
      if (text === undefined) return undefined;
      const parsed = parseState(text, siteId);
      if ("problem" in parsed) {
        logger.warn("state file unusable, treated as absent: the site is posted", {
          path,
          problem: parsed.problem,
        });
        return null;
      }
      if (isInFuture(parsed.state.postedAt, clock.now())) {
        logger.warn("state file's last POST is in the future: counted as too old, posted again", {
          path,
          postedAt: parsed.state.postedAt,
          skewAllowed: `${FUTURE_SKEW_MS / 60_000} min`,
        });
      }
      return parsed.state;
    },
    async write(state) {
      const before = seen.get(state.siteId);
      seen.delete(state.siteId);
      const path = before?.path ?? `${dir}/${stateFileName(state.siteId)}`;
      if (before?.plain !== true) {
        // A link, FIFO or the like in its place (ignored when read) is removed, never followed:
        // the directory is this user's alone, so nothing else can have put it there since.
        const kind = await fs.kind(path);
        if (kind !== "file" && kind !== "missing" && kind !== "directory") await fs.remove(path);
      }
      // (Anything but a file found there now is refused, never replaced: the write rejects.)
      await writeFileAtomically(path, renderState(state), fs, 0o600);
    },
  };
}
