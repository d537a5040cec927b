/**
 * Runs the program's `main` in process — real HTTP, real configuration and report — with a clock
 * whose waits take no real time and are recorded, so retry-heavy runs stay fast.
 * @module
 */

import { type CliIo, main } from "../src/cli.ts";
import { realClock } from "../src/retry_policy.ts";

/** What an in-process run printed, returned and waited. */
export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Every backoff or Retry-After wait the policy asked for, in milliseconds. */
  sleeps: number[];
}

/** Runs `main(args)` with `env` as the whole environment and no `.env` file. */
export async function runMain(
  args: string[],
  env: Record<string, string>,
  options: { signal?: AbortSignal; realWaits?: boolean; files?: Record<string, string> } = {},
): Promise<InProcessResult> {
  let stdout = "";
  let stderr = "";
  const sleeps: number[] = [];
  const io: CliIo = {
    env: (name) => env[name],
    readTextFile: (path) => options.files?.[path],
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stderrIsTerminal: false,
    signal: options.signal ?? new AbortController().signal,
    version: "test",
    clock: {
      ...realClock,
      sleep: (ms, signal) => {
        sleeps.push(ms);
        return options.realWaits ? realClock.sleep(ms, signal) : Promise.resolve();
      },
    },
  };
  const code = await main(args, io);
  return { code, stdout, stderr, sleeps };
}
