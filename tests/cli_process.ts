/**
 * The one way tests and benchmarks start a subprocess — the program (`deno run main.ts`), a built
 * artifact, or GNU time around either: a controlled environment, standard input closed, both
 * outputs drained as they come (so a chatty child never blocks on a full pipe), the first line of
 * stdout awaitable (a server prints its URL there), wall time from spawn to exit, and disposal that
 * stops whatever is still running. By default it runs in a fresh empty working directory, removed
 * afterwards, so no stray `.env` is read.
 * @module
 */

/** What a finished subprocess printed and returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, milliseconds. */
  wallMs: number;
}

/** The repository root. */
export const ROOT: string = new URL("../", import.meta.url).pathname;

/** The absolute path of `main.ts`. */
export const MAIN: string = new URL("../main.ts", import.meta.url).pathname;

/** The permissions `deno task sync` grants, narrowed to loopback. */
export const NARROW: readonly string[] = ["--allow-net=127.0.0.1", "--allow-env", "--allow-read"];

/**
 * Environment every subprocess gets: no colour, the `PATH`, home and Deno cache of this machine,
 * and no update check (the runtime's own, once a day, goes to dl.deno.land through any proxy that
 * a test sets: a `CONNECT dl.deno.land:443` that is not the program's).
 */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    PATH: Deno.env.get("PATH") ?? "",
  };
  for (const name of ["HOME", "DENO_DIR", "XDG_CACHE_HOME", "TZ"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** How a subprocess is started. */
export interface ProcessOptions {
  /** The working directory (default: a fresh empty directory, removed once the process ended). */
  cwd?: string;
  /** Added to {@link baseEnv}; nothing else of this process's environment is passed on. */
  env?: Record<string, string>;
}

/** A running subprocess; `await using` stops it (SIGTERM) if it still runs. */
export interface Spawned extends AsyncDisposable {
  readonly pid: number;
  /** The first line of stdout, without its newline; rejects if stdout ends before one. */
  firstLine(): Promise<string>;
  /** Whatever stderr has printed so far. */
  stderrSoFar(): string;
  /** Sends `signal` (unless the process has ended already). */
  kill(signal?: Deno.Signal): void;
  /** Waits for the process to end and returns everything it printed. */
  output(): Promise<RunResult>;
}

async function collect(stream: ReadableStream<Uint8Array>, onText: (text: string) => void) {
  for await (const text of stream.pipeThrough(new TextDecoderStream())) onText(text);
}

/**
 * Starts `command` with `args` (see {@link ProcessOptions}); its outputs are read from the start.
 */
export function spawnProcess(
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Spawned {
  const cwd = options.cwd ?? Deno.makeTempDirSync({ prefix: "outage-sync-cli-" });
  const started = performance.now();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args: [...args],
      cwd,
      clearEnv: true,
      env: { ...baseEnv(), ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (options.cwd === undefined) Deno.removeSync(cwd, { recursive: true });
    throw error;
  }
  let stdout = "";
  let stderr = "";
  const line = Promise.withResolvers<string>();
  line.promise.catch(() => {}); // Nobody may ask for it.
  const reading = Promise.all([
    collect(child.stdout, (text) => {
      stdout += text;
      const end = stdout.indexOf("\n");
      if (end >= 0) line.resolve(stdout.slice(0, end));
    }),
    collect(child.stderr, (text) => void (stderr += text)),
  ]).finally(() => line.reject(new Error(`${command} printed no line on stdout: ${stderr}`)));
  let ended = false;
  const finished = (async (): Promise<RunResult> => {
    const status = await child.status;
    ended = true;
    const wallMs = performance.now() - started;
    await reading;
    if (options.cwd === undefined) await Deno.remove(cwd, { recursive: true });
    return { code: status.code, stdout, stderr, wallMs };
  })();
  const kill = (signal: Deno.Signal = "SIGTERM") => {
    if (!ended) child.kill(signal);
  };
  return {
    pid: child.pid,
    firstLine: () => line.promise,
    stderrSoFar: () => stderr,
    kill,
    output: () => finished,
    async [Symbol.asyncDispose]() {
      kill();
      await finished;
    },
  };
}

/** Runs `command` with `args` to its end (see {@link ProcessOptions}) and collects its output. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<RunResult> {
  return spawnProcess(command, args, options).output();
}

/** How the program is run. */
export interface CliOptions extends ProcessOptions {
  /** `deno run` permission flags (default {@link NARROW}). */
  permissions?: readonly string[];
}

/** `deno run --no-lock PERMISSIONS main.ts ...args`. */
function cliArgs(args: readonly string[], options: CliOptions): string[] {
  return ["run", "--no-lock", ...(options.permissions ?? NARROW), MAIN, ...args];
}

/** Runs the program (`deno run NARROW main.ts ...args`) to its end and collects its output. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<RunResult> {
  return runProcess(Deno.execPath(), cliArgs(args, options), options);
}

/** Starts the program (`deno run NARROW main.ts ...args`), e.g. `mock-api` or a sync to signal. */
export function spawnCli(args: readonly string[], options: CliOptions = {}): Spawned {
  return spawnProcess(Deno.execPath(), cliArgs(args, options), options);
}
