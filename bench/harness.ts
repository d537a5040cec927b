/**
 * What the end-to-end benchmarks share: the emulator and the program as subprocesses, wall time
 * and peak RSS per run, and the statistics reported. Processes are started the one way tests
 * start them too, with `tests/cli_process.ts`.
 * @module
 */

import { ROOT, runProcess, spawnProcess } from "../tests/cli_process.ts";
/** The key the emulator and the program share in benchmarks (long enough not to redact words). */
export const BENCH_KEY = "bench-key-8f3a2c71e5d94b06";

/** The median and spread of a series. */
export interface Stats {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** 25th and 75th percentiles (linear interpolation). */
  readonly p25: number;
  readonly p75: number;
}

function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/** Median, quartiles and range of `values`. */
export function stats(values: readonly number[]): Stats {
  if (values.length === 0) throw new RangeError("Invalid series: expected at least one value");
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
  };
}

/** `123 (IQR 120–130, range 118–140)`, numbers rounded to `digits`. */
export function formatStats(s: Stats, digits = 0): string {
  const f = (value: number) => value.toFixed(digits);
  return `${f(s.median)} (IQR ${f(s.p25)}–${f(s.p75)}, range ${f(s.min)}–${f(s.max)})`;
}

let timeAvailable: boolean | undefined;

/** Whether GNU time is at `/usr/bin/time` (then it reports peak RSS; else `/proc` is polled). */
export async function hasGnuTime(): Promise<boolean> {
  if (timeAvailable === undefined) {
    try {
      const { code, stderr } = await runProcess("/usr/bin/time", ["-f", "%M", "true"]);
      timeAvailable = code === 0 && /^\d+\s*$/.test(stderr);
    } catch {
      timeAvailable = false;
    }
  }
  return timeAvailable;
}

/** One finished subprocess. */
export interface ProcessRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit, milliseconds. */
  readonly wallMs: number;
  /** Peak resident set size, MB (10⁶ bytes). */
  readonly peakRssMB: number;
}

const RSS_MARK = "__peak_rss_kib__=";

/**
 * Runs `deno` with `args` in the repository root and measures it: wall time around the whole
 * process, peak RSS from GNU time's `%M` (or the last `VmHWM` polled from `/proc/PID/status`).
 */
export async function runDeno(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ProcessRun> {
  const gnuTime = await hasGnuTime();
  const child = gnuTime
    ? spawnProcess("/usr/bin/time", ["-f", `${RSS_MARK}%M`, Deno.execPath(), ...args], {
      cwd: ROOT,
      env,
    })
    : spawnProcess(Deno.execPath(), args, { cwd: ROOT, env });
  let polledKiB = 0;
  let polling: ReturnType<typeof setInterval> | undefined;
  if (!gnuTime) {
    const poll = () => {
      try {
        const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
        const match = /VmHWM:\s+(\d+) kB/.exec(status);
        if (match !== null) polledKiB = Math.max(polledKiB, Number(match[1]));
      } catch {
        // The process has exited.
      }
    };
    poll();
    polling = setInterval(poll, 5);
  }
  const output = await child.output();
  if (polling !== undefined) clearInterval(polling);
  let stderr = output.stderr;
  let peakKiB = polledKiB;
  if (gnuTime) {
    const at = stderr.lastIndexOf(RSS_MARK);
    peakKiB = Number(stderr.slice(at + RSS_MARK.length).trim());
    stderr = stderr.slice(0, at);
  }
  return {
    code: output.code,
    stdout: output.stdout,
    stderr,
    wallMs: output.wallMs,
    peakRssMB: peakKiB * 1024 / 1e6,
  };
}

/** A running emulator subprocess. */
export interface Emulator {
  readonly url: string;
  /**
   * Clears its request log (`POST /__mock/reset`): the log is a ring (the last 1,000 requests by
   * default, bodies cut to 4 KiB), and a reset between runs keeps each run's emulator heap, and
   * its garbage collections, the same.
   */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts `outage-sync mock-api --port 0` with `args` as a subprocess and resolves with its URL,
 * read from the first line of its stdout.
 */
export async function startEmulator(args: readonly string[]): Promise<Emulator> {
  const child = spawnProcess(
    Deno.execPath(),
    [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      "main.ts",
      "mock-api",
      "--port",
      "0",
      ...args,
    ],
    { cwd: ROOT, env: { KRAKENFLEX_API_KEY: BENCH_KEY } },
  );
  let url: string;
  try {
    url = (await child.firstLine()).trim();
  } catch {
    const { stderr } = await child.output();
    throw new Error(
      `The emulator exited before printing its URL (mock-api ${args.join(" ")}): ${stderr}`,
    );
  }
  return {
    url,
    async reset() {
      const response = await fetch(`${url}/__mock/reset`, { method: "POST" });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`POST /__mock/reset answered ${response.status}`);
    },
    async close() {
      child.kill("SIGTERM");
      await child.output();
    },
  };
}

/** The part of the program's `--json` report that the benchmarks read. */
export interface ReportSummary {
  readonly ok: boolean;
  readonly durationMs: number;
  readonly outagesFetched: number;
  readonly sites: readonly { siteId: string; status: string; kept: number; error?: string }[];
}

/** One measured run of `outage-sync sync --json`. */
export interface SyncRun extends ProcessRun {
  readonly report: ReportSummary;
}

/**
 * Runs the program at `main` (this checkout's, or an older one's `main.ts`) as
 * `sync --base-url URL --json --quiet ...args` with the loopback permissions, whatever its outcome:
 * for benchmarks that measure failures and compare programs.
 */
export function runProgramSync(
  main: string,
  url: string,
  args: readonly string[],
): Promise<ProcessRun> {
  return runDeno([
    "run",
    "--no-lock",
    "--allow-net=127.0.0.1",
    "--allow-env",
    "--allow-read",
    main,
    "sync",
    "--base-url",
    url,
    "--json",
    "--quiet",
    ...args,
  ], { KRAKENFLEX_API_KEY: BENCH_KEY });
}

/**
 * Runs `deno run -P main.ts sync --base-url URL --json --quiet ...args` and checks that every
 * site was posted: a benchmark of a failed run would measure the wrong thing.
 */
export async function runSync(url: string, args: readonly string[]): Promise<SyncRun> {
  const run = await runDeno(
    ["run", "-P", "main.ts", "sync", "--base-url", url, "--json", "--quiet", ...args],
    { KRAKENFLEX_API_KEY: BENCH_KEY },
  );
  let report: ReportSummary;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    throw new Error(`The sync printed no report (exit ${run.code}): ${run.stderr.slice(0, 500)}`);
  }
  const failed = report.sites.filter((site) => site.status !== "posted");
  if (run.code !== 0 || failed.length > 0) {
    throw new Error(
      `The sync did not post every site (exit ${run.code}): ${JSON.stringify(failed.slice(0, 3))} ${
        run.stderr.slice(0, 500)
      }`,
    );
  }
  return { ...run, report };
}

/** One measured run of the yardstick (`bench/yardstick.ts`). */
export interface YardstickRun extends ProcessRun {
  /** From its first request to its last answer, as the sync's `durationMs`. */
  readonly durationMs: number;
}

/**
 * Writes the payloads `bench/yardstick.ts` posts for the emulator's `--synthetic` dataset of these
 * options (the generator is deterministic: the emulator serves the same data) and returns the path.
 */
export async function writeYardstickPayloads(
  dir: string,
  options: { outages: number; sites?: number; devicesPerSite?: number },
): Promise<string> {
  const { syntheticDataset } = await import("../src/mock/synthetic.ts");
  const dataset = syntheticDataset(options);
  const path = `${dir}/payloads-${options.outages}-${options.sites ?? 1}-${
    options.devicesPerSite ?? 1000
  }.json`;
  await Deno.writeTextFile(path, JSON.stringify(dataset.expected));
  return path;
}

/** Runs the yardstick against `url` with `payloads` (see {@link writeYardstickPayloads}). */
export async function runYardstick(
  url: string,
  payloads: string,
  concurrency: number,
): Promise<YardstickRun> {
  const run = await runDeno([
    "run",
    "--allow-net=127.0.0.1",
    "--allow-read",
    "--allow-env",
    "bench/yardstick.ts",
    "--base-url",
    url,
    "--payloads",
    payloads,
    "--concurrency",
    String(concurrency),
  ], { KRAKENFLEX_API_KEY: BENCH_KEY });
  if (run.code !== 0) {
    throw new Error(`The yardstick failed (exit ${run.code}): ${run.stderr.slice(0, 500)}`);
  }
  return { ...run, durationMs: JSON.parse(run.stdout).durationMs };
}

/** The load average of the last minute (`/proc/loadavg`), for the tables' notes. */
export function loadAverage(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return NaN;
  }
}

/** What a side-by-side measurement keeps of each run. */
export interface Timed {
  readonly wallMs: number;
  readonly durationMs: number;
  readonly peakRssMB: number;
}

/** The sync's and the yardstick's runs of one scenario, measured alternately. */
export interface SideBySide {
  readonly sync: readonly Timed[];
  readonly yardstick: readonly Timed[];
  /** The load average before the first and after the last run. */
  readonly load: readonly [number, number];
}

/**
 * Runs `sync` and `yardstick` alternately `runs` times each (after one untimed warm-up of each),
 * `before` (an emulator reset, say) ahead of every run: on a shared machine, interleaving gives
 * both the same background load, so that their ratio means something.
 */
export async function sideBySide(
  runs: number,
  sync: () => Promise<Timed>,
  yardstick: () => Promise<Timed>,
  before: () => Promise<void> = () => Promise.resolve(),
): Promise<SideBySide> {
  const load0 = loadAverage();
  await before();
  await sync();
  await before();
  await yardstick();
  const result = { sync: [] as Timed[], yardstick: [] as Timed[] };
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so that neither always follows the other's garbage.
    const order = i % 2 === 0 ? ["sync", "yardstick"] as const : ["yardstick", "sync"] as const;
    for (const which of order) {
      await before();
      result[which].push(await (which === "sync" ? sync() : yardstick()));
    }
  }
  return { ...result, load: [load0, loadAverage()] };
}

/** One table row's cells for a side-by-side: medians, ranges and the ratios of the medians. */
export function ratioCells(s: SideBySide): string[] {
  const f = (values: readonly number[], scale: number, digits: number) => {
    const st = stats(values.map((v) => v / scale));
    return `${st.median.toFixed(digits)} (${st.min.toFixed(digits)}–${st.max.toFixed(digits)})`;
  };
  const median = (runs: readonly Timed[], key: keyof Timed) =>
    stats(runs.map((r) => r[key])).median;
  return [
    String(s.sync.length),
    f(s.sync.map((r) => r.durationMs), 1000, 2),
    f(s.yardstick.map((r) => r.durationMs), 1000, 2),
    `**${(median(s.sync, "durationMs") / median(s.yardstick, "durationMs")).toFixed(2)} ×**`,
    f(s.sync.map((r) => r.wallMs), 1000, 2),
    f(s.yardstick.map((r) => r.wallMs), 1000, 2),
    `${(median(s.sync, "wallMs") / median(s.yardstick, "wallMs")).toFixed(2)} ×`,
    f(s.sync.map((r) => r.peakRssMB), 1, 0),
    f(s.yardstick.map((r) => r.peakRssMB), 1, 0),
    `${s.load[0].toFixed(1)}, ${s.load[1].toFixed(1)}`,
  ];
}

/** The header of {@link ratioCells}' rows. */
export const RATIO_HEADER: readonly string[] = [
  "runs",
  "sync s (durationMs)",
  "yardstick s",
  "ratio",
  "sync wall s",
  "yardstick wall s",
  "wall ratio",
  "sync RSS MB",
  "yardstick RSS MB",
  "load avg (before, after)",
];
