// deno-lint-ignore-file no-console -- a benchmark script: it prints its tables on stdout.
/**
 * End-to-end benchmarks: the emulator and the program as separate processes over loopback, as an
 * operator runs them. Each scenario discards one warm-up run, then reports the median and spread of
 * the wall time (spawn to exit), of the report's `durationMs` (measured inside the program from the
 * start of the sync, so process start-up is excluded) and of the peak RSS.
 *
 *   deno run -A bench/e2e.ts [startup] [latency] [sites] [large] [ratio] [--runs N]
 *     [--sizes 10000,100000]
 *
 * With no scenario named, all five run (about four minutes). Scenarios:
 * - `startup`: `deno run -P main.ts --version` (target: median ≤ 60 ms).
 * - `latency`: one site, the embedded captures, emulator `--latency 100` (target: `durationMs` ≤
 *   1.1 × 200 ms, the two parallel GETs then the POST).
 * - `sites`: 50 sites (`--synthetic 10000 --sites 50 --latency 100`), `--concurrency 8` (target:
 *   ≤ 1.2 × ⌈50/8⌉ × 200 ms).
 * - `large`: `--synthetic N` for 10k, 100k and 1M outages, one site of 1000 devices, a real POST
 *   of the kept outages (target at 1M: wall ≤ 1.5 s, peak RSS ≤ 700 MB).
 * - `ratio`: one site over 1M outages, the sync and the yardstick (`bench/yardstick.ts`) run
 *   alternately against one emulator (targets: `durationMs` ≤ 1.15 × the yardstick's, peak RSS ≤
 *   400 MB).
 * @module
 */

import { parseArgs } from "node:util";
import {
  formatStats,
  hasGnuTime,
  RATIO_HEADER,
  ratioCells,
  runDeno,
  runSync,
  runYardstick,
  sideBySide,
  type Stats,
  stats,
  type SyncRun,
  writeYardstickPayloads,
} from "./harness.ts";
import { type Emulator, startEmulator } from "./harness.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { runs: { type: "string" }, sizes: { type: "string" } },
});
const SCENARIOS = ["startup", "latency", "sites", "large", "ratio"];
const chosen = positionals.length === 0 ? SCENARIOS : positionals;
for (const name of chosen) {
  if (!SCENARIOS.includes(name)) {
    throw new Error(`Unknown scenario "${name}": expected ${SCENARIOS.join(", ")}`);
  }
}
const runsOverride = values.runs === undefined ? undefined : Number(values.runs);
const sizes = (values.sizes ?? "10000,100000,1000000").split(",").map(Number);
const ROUND_TRIP_MS = 100;
const TWO_ROUND_TRIPS = 2 * ROUND_TRIP_MS;

function runsOr(fallback: number): number {
  return runsOverride ?? fallback;
}

/**
 * Runs `once` a warm-up time, then `runs` times, in sequence; the emulator's request log, if any,
 * is cleared before each (untimed).
 */
async function repeat<T>(runs: number, once: () => Promise<T>, emulator?: Emulator): Promise<T[]> {
  await emulator?.reset();
  await once();
  const results: T[] = [];
  for (let i = 0; i < runs; i++) {
    await emulator?.reset();
    results.push(await once());
  }
  return results;
}

function met(ok: boolean): string {
  return ok ? "yes" : "**no**";
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function syncStats(runs: readonly SyncRun[]) {
  return {
    wall: stats(runs.map((run) => run.wallMs)),
    duration: stats(runs.map((run) => run.report.durationMs)),
    rss: stats(runs.map((run) => run.peakRssMB)),
  };
}

async function startup(): Promise<void> {
  const runs = await repeat(runsOr(20), async () => {
    const run = await runDeno(["run", "-P", "main.ts", "--version"]);
    if (run.code !== 0) throw new Error(`--version failed: ${run.stderr}`);
    return run;
  });
  const wall = stats(runs.map((run) => run.wallMs));
  const rss = stats(runs.map((run) => run.peakRssMB));
  console.log(`\n### Start-up: \`deno run -P main.ts --version\`, warm cache\n`);
  console.log(table(["runs", "wall ms: median (IQR, range)", "peak RSS MB", "target", "met"], [[
    String(wall.n),
    formatStats(wall),
    rss.median.toFixed(0),
    "median ≤ 60 ms",
    met(wall.median <= 60),
  ]]));
}

function latencyRow(
  label: string,
  s: { wall: Stats; duration: Stats },
  bound: number,
  factor: number,
) {
  const ratio = s.duration.median / bound;
  return [
    label,
    String(s.duration.n),
    formatStats(s.duration),
    formatStats(s.wall),
    String(bound),
    ratio.toFixed(3),
    `≤ ${factor} × ${bound} = ${(factor * bound).toFixed(0)} ms`,
    met(ratio <= factor),
  ];
}

const LATENCY_HEADER = [
  "scenario",
  "runs",
  "durationMs: median (IQR, range)",
  "wall ms (incl. start-up)",
  "lower bound ms",
  "median / bound",
  "target",
  "met",
];

async function latency(): Promise<void> {
  const emulator = await startEmulator(["--latency", String(ROUND_TRIP_MS)]);
  try {
    const runs = await repeat(runsOr(15), () => runSync(emulator.url, []), emulator);
    console.log(`\n### Latency: one site, emulator \`--latency ${ROUND_TRIP_MS}\`\n`);
    console.log(table(LATENCY_HEADER, [
      latencyRow("1 site (captures, 108 outages)", syncStats(runs), TWO_ROUND_TRIPS, 1.1),
    ]));
  } finally {
    await emulator.close();
  }
}

async function sites(): Promise<void> {
  const siteCount = 50;
  const concurrency = 8;
  const emulator = await startEmulator([
    "--synthetic",
    "10000",
    "--sites",
    String(siteCount),
    "--latency",
    String(ROUND_TRIP_MS),
  ]);
  const siteArgs = Array.from({ length: siteCount }, (_, i) => `synthetic-site-${i + 1}`).join(",");
  try {
    const runs = await repeat(
      runsOr(7),
      () => runSync(emulator.url, ["--site", siteArgs, "--concurrency", String(concurrency)]),
      emulator,
    );
    const bound = Math.ceil(siteCount / concurrency) * TWO_ROUND_TRIPS;
    console.log(
      `\n### Many sites: ${siteCount} sites, \`--concurrency ${concurrency}\`, emulator ` +
        `\`--synthetic 10000 --sites ${siteCount} --latency ${ROUND_TRIP_MS}\`\n`,
    );
    console.log(table(LATENCY_HEADER, [
      latencyRow(`${siteCount} sites, concurrency ${concurrency}`, syncStats(runs), bound, 1.2),
    ]));
  } finally {
    await emulator.close();
  }
}

async function large(): Promise<void> {
  const rows: string[][] = [];
  for (const size of sizes) {
    const emulator = await startEmulator(["--synthetic", String(size)]);
    try {
      const runs = await repeat(
        runsOr(size >= 1_000_000 ? 7 : 10),
        () => runSync(emulator.url, ["--site", "synthetic-site-1"]),
        emulator,
      );
      const s = syncStats(runs);
      const kept = runs[0].report.sites[0].kept;
      const isTarget = size === 1_000_000;
      rows.push([
        size.toLocaleString("en"),
        kept.toLocaleString("en"),
        String(s.wall.n),
        formatStats(s.wall),
        formatStats(s.duration),
        formatStats(s.rss),
        (size / s.duration.median / 1000).toFixed(2),
        isTarget ? met(s.wall.median <= 1500 && s.rss.max <= 700) : "—",
      ]);
    } finally {
      await emulator.close();
    }
  }
  console.log(
    `\n### Large data: \`--synthetic N\`, one site of 1000 devices, real POST of the kept outages\n`,
  );
  console.log(table([
    "outages",
    "posted",
    "runs",
    "wall ms: median (IQR, range)",
    "durationMs: median (IQR, range)",
    "peak RSS MB: median (IQR, range)",
    "M outages/s (durationMs)",
    "target met (1M: wall ≤ 1500 ms, RSS ≤ 700 MB)",
  ], rows));
}

async function ratio(): Promise<void> {
  const outages = 1_000_000;
  const dir = await Deno.makeTempDir({ prefix: "outage-sync-e2e-" });
  const emulator = await startEmulator(["--synthetic", String(outages)]);
  try {
    const payloads = await writeYardstickPayloads(dir, { outages });
    const s = await sideBySide(
      runsOr(5),
      async () => {
        const run = await runSync(emulator.url, ["--site", "synthetic-site-1"]);
        return { ...run, durationMs: run.report.durationMs };
      },
      () => runYardstick(emulator.url, payloads, 4),
      () => emulator.reset(),
    );
    console.log(`\n### Against the yardstick: one site over 1M outages, alternate runs\n`);
    console.log(table(["scenario", ...RATIO_HEADER], [["1 site × 1M", ...ratioCells(s)]]));
  } finally {
    await emulator.close();
    await Deno.remove(dir, { recursive: true });
  }
}

console.log(
  `Deno ${Deno.version.deno}, V8 ${Deno.version.v8}; peak RSS from ${
    (await hasGnuTime()) ? "GNU time (%M)" : "/proc/PID/status VmHWM"
  }`,
);
const scenarios: Record<string, () => Promise<void>> = { startup, latency, sites, large, ratio };
for (const name of chosen) await scenarios[name]();
