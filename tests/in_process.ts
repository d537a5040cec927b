/**
 * Runs the program's `main` in process — real HTTP, real configuration, report and commands — with
 * a clock whose waits take no real time (they move it on) and are recorded, so retry-heavy runs
 * stay fast. The
 * environment is exactly the one given, files are an in-memory map (no `.env` unless given) or
 * the real reader when asked, and SIGINT/SIGTERM are stood in for by {@link MainRun.interrupt}.
 * @module
 */

import type { FileWriter } from "../src/atomic_file.ts";
import type { CliIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { Interrupted } from "../src/errors.ts";
import { realClock } from "../src/retry_policy.ts";

/** What an in-process run printed, returned and waited. */
export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Every backoff or Retry-After wait the policy asked for, in milliseconds. */
  sleeps: number[];
}

/** How an in-process run is set up. */
export interface InProcessOptions {
  /** The files the program can read, by path; any other path does not exist. */
  files?: Record<string, string>;
  /** File writes for `--metrics-file` (default: none, so writing fails and is logged). */
  fs?: FileWriter;
  /** Reads files instead of {@link InProcessOptions.files}: e.g. `src/cli/real_io.ts`'s real reader. */
  readTextFile?: CliIo["readTextFile"];
  /** The state directory's operations (default: none, so `--state-dir` is refused). */
  stateFiles?: CliIo["stateFiles"];
}

/** A run of `main` in progress. */
export interface MainRun extends AsyncDisposable {
  /** The exit code, once `main` returns. */
  readonly code: Promise<number>;
  /** What was printed so far. */
  stdout(): string;
  stderr(): string;
  /** The first line printed on stdout (the emulator's URL); rejects if `main` returns first. */
  readonly firstLine: Promise<string>;
  /** Aborts the run's signal as the signal handler of `main.ts` does. */
  interrupt(signal?: "SIGINT" | "SIGTERM"): void;
  /** The waits the retry policy asked for. */
  readonly sleeps: readonly number[];
}

/** Starts `main(args)` with `env` as the whole environment. Disposing of it interrupts it. */
export function startMain(
  args: readonly string[],
  env: Record<string, string> = {},
  options: InProcessOptions = {},
): MainRun {
  const controller = new AbortController();
  let stdout = "";
  let stderr = "";
  const sleeps: number[] = [];
  let skipped = 0;
  const firstLine = Promise.withResolvers<string>();
  firstLine.promise.catch(() => {}); // Most runs never ask for it.
  const files = options.files ?? {};
  const io: CliIo = {
    env: (name) => Object.hasOwn(env, name) ? env[name] : undefined,
    envNames: () => Object.keys(env),
    readTextFile: options.readTextFile ??
      ((path) => Object.hasOwn(files, path) ? files[path] : undefined),
    stdout: (text) => {
      stdout += text;
      const end = stdout.indexOf("\n");
      if (end >= 0) firstLine.resolve(stdout.slice(0, end));
    },
    stderr: (text) => void (stderr += text),
    stderrIsTerminal: false,
    signal: controller.signal,
    version: "test",
    fs: options.fs,
    stateFiles: options.stateFiles,
    // Waits take no real time but move the clock on, so that deadlines and holds see them pass.
    clock: {
      ...realClock,
      now: () => realClock.now() + skipped,
      sleep: (ms) => {
        sleeps.push(ms);
        skipped += ms;
        return Promise.resolve();
      },
    },
  };
  const code = main(args, io).finally(() => firstLine.reject(new Error("main returned")));
  const interrupt = (signal: "SIGINT" | "SIGTERM" = "SIGINT") => {
    if (!controller.signal.aborted) controller.abort(new Interrupted(signal));
  };
  return {
    code,
    stdout: () => stdout,
    stderr: () => stderr,
    firstLine: firstLine.promise,
    interrupt,
    sleeps,
    async [Symbol.asyncDispose]() {
      interrupt();
      await code;
    },
  };
}

/** Runs `main(args)` to its end with `env` as the whole environment. */
export async function runMain(
  args: readonly string[],
  env: Record<string, string> = {},
  options: InProcessOptions = {},
): Promise<InProcessResult> {
  const run = startMain(args, env, options);
  const code = await run.code;
  return { code, stdout: run.stdout(), stderr: run.stderr(), sleeps: [...run.sleeps] };
}
