/**
 * Runs the program as a subprocess with the narrow permissions of `deno task sync`, in an empty
 * working directory (so no stray `.env` is read), with a controlled environment.
 * @module
 */

/** What a finished run printed and returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The absolute path of `main.ts`. */
export const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** The permissions `deno task sync` grants, narrowed to loopback. */
export const NARROW = ["--allow-net=127.0.0.1", "--allow-env", "--allow-read"];

/** Environment every subprocess gets: no colour, no backtraces, the Deno cache of this machine. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "" };
  for (const name of ["HOME", "DENO_DIR", "XDG_CACHE_HOME", "TZ"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Runs `deno run NARROW main.ts ...args` and collects its output. */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; permissions?: string[]; script?: string } =
    {},
): Promise<RunResult> {
  const runArgs = [
    "run",
    "--no-lock",
    ...(options.permissions ?? NARROW),
    options.script ?? MAIN,
    ...args,
  ];
  return await runProcess(Deno.execPath(), runArgs, { cwd: options.cwd, env: options.env });
}

/**
 * Runs `command` with `args` in `cwd` (default: a fresh empty directory, removed afterwards) with
 * {@link baseEnv} plus `env` as its whole environment, and collects its output.
 */
export async function runProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const cwd = options.cwd ?? await Deno.makeTempDir({ prefix: "outage-sync-cli-" });
  try {
    const output = await new Deno.Command(command, {
      args,
      cwd,
      clearEnv: true,
      env: { ...baseEnv(), ...options.env },
      stdin: "null",
    }).output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    if (options.cwd === undefined) await Deno.remove(cwd, { recursive: true });
  }
}
