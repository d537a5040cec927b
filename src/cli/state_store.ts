/**
 * The state directory on disk (`--state-dir`): created (0700) and checked writable before any
 * request, locked for the run so that two runs never interleave, one file per site written
 * atomically (0600). A state file that cannot be used is a warning and reads as no state: it can
 * cause an extra POST, never a missed one.
 * @module
 */

import { writeFileAtomically } from "../atomic_file.ts";
import { FileRefused, StateLocked, UsageError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { parseState, renderState, stateFileName, type StateStore } from "../state.ts";
import type { CliIo } from "./io.ts";

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

/**
 * Opens `dir`: creates it if missing, proves it writable, and takes its lock, waiting up to
 * {@link LOCK_WAIT_MS} (and never past the deadline) for another run to finish. Throws a
 * {@link UsageError} when the directory cannot be used (exit 2, before any request) and
 * {@link StateLocked} naming the holder when the wait ran out.
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
  try {
    await stateFiles.ensureDir(dir);
    const probe = `${dir}/.probe-${crypto.randomUUID().slice(0, 8)}`;
    await writeFileAtomically(probe, "", fs, 0o600);
    await fs.remove(probe);
  } catch (error) {
    throw unusable(dir, error, io);
  }
  const lockPath = `${dir}/.lock`;
  const holder = `pid ${Deno.pid}, since ${new Date(options.clock.now()).toISOString()}`;
  const started = options.clock.now();
  for (let tries = 1;; tries++) {
    let attempt;
    try {
      attempt = await stateFiles.tryLock(lockPath, holder);
    } catch (error) {
      throw unusable(dir, error, io);
    }
    if (attempt.held) {
      return { store: createStore(dir, io, options.logger), release: attempt.release };
    }
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

function createStore(dir: string, io: CliIo, logger: Logger): StateStore {
  const fs = io.fs!;
  return {
    async read(siteId) {
      const path = `${dir}/${await stateFileName(siteId)}`;
      let text: string | undefined;
      try {
        text = io.readTextFile(path, STATE_FILE_MAX_BYTES);
      } catch (error) {
        logger.warn("state file unreadable, treated as absent: the site is posted", {
          path,
          problem: FileRefused.reasonFor(error),
        });
        return null;
      }
      if (text === undefined) return undefined;
      const parsed = await parseState(text, siteId);
      if ("problem" in parsed) {
        logger.warn("state file unusable, treated as absent: the site is posted", {
          path,
          problem: parsed.problem,
        });
        return null;
      }
      return parsed.state;
    },
    async write(state) {
      const path = `${dir}/${await stateFileName(state.siteId)}`;
      await writeFileAtomically(path, renderState(state), fs, 0o600);
    },
  };
}
