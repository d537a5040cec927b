// deno-lint-ignore-file no-console -- a benchmark script: it prints its tables on stdout.
/**
 * Fleets (issue "Scale"): the emulator and the program as separate processes over loopback.
 *
 *   deno run -A bench/fleet.ts [grid] [latency] [dead] [ratelimit] [ratio] [state] [--runs N]
 *     [--before DIR]
 *
 * - `grid`: sites ∈ {1, 10, 100, 1000} × outages ∈ {10k, 100k, 1M} (`--synthetic N --sites S`,
 *   1000 devices a site), `--concurrency 16`, the sites named in a `--sites-file`; wall time and
 *   peak RSS (median of `--runs`, default 3). Target: 1000 sites over 1M ≤ 1.5 × the wall of 1
 *   site over 1M, peak RSS ≤ 1.2 ×. With `--before DIR` (a checkout of the program before the
 *   index), the same runs of that program too, sites passed with `--site`.
 * - `latency`: 1000 sites at emulator `--latency 100`, `--concurrency 50`. Target: ≤ 1.2 × the
 *   ideal ⌈1000 / 50⌉ waves × 2 round trips = 4.0 s.
 * - `dead`: 1000 sites against a port nobody listens on. Target: ends when `GET /outages` has
 *   exhausted its retries plus one round of in-flight requests, never at the deadline.
 * - `ratelimit`: 200 sites against `--rate-limit 100` (per clock minute): how many requests the
 *   emulator answered 429, with the pacer and (with `--before`) without.
 * - `ratio` (`ratio-cpu` and `ratio-latency` alone; not in the default set): the sync and the yardstick (`bench/yardstick.ts`) run
 *   alternately against one emulator — 1,000 sites of 5 devices over 1M outages at
 *   `--concurrency 16`, and 1,000 sites (1,000 devices each, 100k outages) at `--latency 100`,
 *   `--concurrency 50`. Targets: 1.3 × and 1.15 × the yardstick.
 * - `burst` (not in the default set): 300 sites at `--concurrency 20` against a server answering
 *   every request 429 (`Retry-After: 1`) for 5 s: how many 429s (target: ≤ 40).
 * - `state` (not in the default set): 1,000 sites of 5 devices over 1M outages with a state
 *   directory, alternately: no state; state, nothing changed (posts nothing); state with
 *   `--force` (every step of a changed site: read, digest, diff, POST, write). Targets: unchanged
 *   faster than no state; forced ≤ 1.1 × no state.
 * @module
 */

import { parseArgs } from "node:util";
import { syntheticSiteId } from "../src/mock/synthetic.ts";
import {
  BENCH_KEY,
  type Emulator,
  RATIO_HEADER,
  ratioCells,
  runDeno,
  runProgramSync,
  runYardstick,
  sideBySide,
  startEmulator,
  stats,
  type Timed,
  writeYardstickPayloads,
} from "./harness.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { runs: { type: "string" }, before: { type: "string" } },
});
const RUNS = Number(values.runs ?? 3);
const chosen = positionals.length === 0 ? ["grid", "latency", "dead", "ratelimit"] : positionals;
const dir = await Deno.makeTempDir({ prefix: "outage-sync-fleet-" });

interface Program {
  readonly label: string;
  readonly main: string;
  /** Whether it reads `--sites-file` (the program before the index did not). */
  readonly sitesFile: boolean;
}
const programs: Program[] = [{ label: "after", main: "main.ts", sitesFile: true }];
if (values.before !== undefined) {
  programs.push({ label: "before", main: `${values.before}/main.ts`, sitesFile: false });
}

async function siteArgs(program: Program, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => syntheticSiteId(i + 1));
  if (!program.sitesFile) return ["--site", ids.join(",")];
  const path = `${dir}/sites-${count}.txt`;
  await Deno.writeTextFile(path, ids.join("\n") + "\n");
  return ["--sites-file", path];
}

interface Run {
  readonly code: number;
  readonly wallMs: number;
  readonly peakRssMB: number;
  readonly report: { sites: { status: string }[] } | undefined;
}

async function sync(program: Program, url: string, args: string[]): Promise<Run> {
  const run = await runProgramSync(program.main, url, args);
  let report: Run["report"];
  try {
    report = JSON.parse(run.stdout);
  } catch {
    report = undefined;
  }
  return { code: run.code, wallMs: run.wallMs, peakRssMB: run.peakRssMB, report };
}

function summary(run: Run): string {
  const counts = new Map<string, number>();
  for (const site of run.report?.sites ?? []) {
    counts.set(site.status, (counts.get(site.status) ?? 0) + 1);
  }
  return [...counts].map(([status, n]) => `${n} ${status}`).join(", ") || `exit ${run.code}`;
}

async function withEmulator<T>(args: string[], body: (e: Emulator) => Promise<T>): Promise<T> {
  const emulator = await startEmulator(args);
  try {
    return await body(emulator);
  } finally {
    await emulator.close();
  }
}

async function grid(): Promise<void> {
  console.log("\n### Sites × outages, `--concurrency 16`\n");
  console.log(
    "| outages | sites | program | runs | wall s (median, range) | peak RSS MB (median) | outcome |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const outages of [10_000, 100_000, 1_000_000]) {
    for (const sites of [1, 10, 100, 1000]) {
      await withEmulator(
        ["--synthetic", String(outages), "--sites", String(sites)],
        async (emulator) => {
          for (const program of programs) {
            // The program before the index takes minutes at 1000 sites over 1M: one run is enough.
            const runs = program.label === "before" && sites * outages > 100_000_000 ? 1 : RUNS;
            const results: Run[] = [];
            for (let i = 0; i < runs; i++) {
              await emulator.reset();
              results.push(
                await sync(program, emulator.url, [
                  ...await siteArgs(program, sites),
                  "--concurrency",
                  "16",
                  "--deadline",
                  "900",
                ]),
              );
            }
            const wall = stats(results.map((r) => r.wallMs / 1000));
            const rss = stats(results.map((r) => r.peakRssMB));
            console.log(
              `| ${outages.toLocaleString("en")} | ${sites} | ${program.label} | ${runs} | ${
                wall.median.toFixed(2)
              } (${wall.min.toFixed(2)}–${wall.max.toFixed(2)}) | ${rss.median.toFixed(0)} | ${
                summary(results[0])
              } |`,
            );
          }
        },
      );
    }
  }
}

async function latency(): Promise<void> {
  console.log(
    "\n### 1000 sites at `--latency 100`, `--concurrency 50` (ideal: 20 waves × 2 round trips = 4.0 s)\n",
  );
  console.log("| program | runs | wall s (median, range) | outcome |");
  console.log("| --- | --- | --- | --- |");
  await withEmulator(
    ["--synthetic", "100000", "--sites", "1000", "--latency", "100"],
    async (emulator) => {
      for (const program of programs) {
        const results: Run[] = [];
        for (let i = 0; i < RUNS; i++) {
          await emulator.reset();
          results.push(
            await sync(program, emulator.url, [
              ...await siteArgs(program, 1000),
              "--concurrency",
              "50",
            ]),
          );
        }
        const wall = stats(results.map((r) => r.wallMs / 1000));
        console.log(
          `| ${program.label} | ${RUNS} | ${wall.median.toFixed(2)} (${wall.min.toFixed(2)}–${
            wall.max.toFixed(2)
          }) | ${summary(results[0])} |`,
        );
      }
    },
  );
}

async function dead(): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${listener.addr.port}`;
  listener.close(); // nobody listens there now: every connection is refused
  console.log(
    "\n### 1000 sites, the API refusing connections (`--max-attempts 5`, default deadline 120 s)\n",
  );
  console.log("| program | wall s | outcome |");
  console.log("| --- | --- | --- |");
  for (const program of programs) {
    const run = await sync(program, url, [...await siteArgs(program, 1000), "--concurrency", "16"]);
    console.log(`| ${program.label} | ${(run.wallMs / 1000).toFixed(2)} | ${summary(run)} |`);
  }
}

async function ratelimit(): Promise<void> {
  console.log(
    "\n### 200 sites against `--rate-limit 100` (requests per clock minute), `--concurrency 16`\n",
  );
  console.log("| program | wall s | requests | answered 429 | outcome |");
  console.log("| --- | --- | --- | --- | --- |");
  await withEmulator(
    // The request log counts every request: make room beyond its default 1,000.
    ["--synthetic", "10000", "--sites", "200", "--rate-limit", "100", "--log-size", "100000"],
    async (emulator) => {
      for (const program of programs) {
        // Start at the top of a minute, so that both programs meet the same window.
        await new Promise((resolve) => setTimeout(resolve, 60_000 - (Date.now() % 60_000) + 200));
        await emulator.reset();
        const run = await sync(program, emulator.url, [
          ...await siteArgs(program, 200),
          "--concurrency",
          "16",
          "--deadline",
          "300",
          "--max-attempts",
          "10",
        ]);
        const log = await (await fetch(`${emulator.url}/__mock/requests`)).json() as {
          status: number;
        }[];
        console.log(
          `| ${program.label} | ${(run.wallMs / 1000).toFixed(1)} | ${log.length} | ${
            log.filter((e) => e.status === 429).length
          } | ${summary(run)} |`,
        );
      }
    },
  );
}

/** A sync of this checkout that must post every site; its report's `durationMs` kept. */
async function timedSync(url: string, args: string[], extra: string[] = []): Promise<Timed> {
  const run = await runDeno([
    "run",
    "--allow-net=127.0.0.1",
    "--allow-env",
    "--allow-read",
    ...extra,
    "main.ts",
    "sync",
    "--base-url",
    url,
    "--json",
    "--quiet",
    ...args,
  ], { KRAKENFLEX_API_KEY: BENCH_KEY });
  const report = JSON.parse(run.stdout) as { durationMs: number; sites: { status: string }[] };
  const bad = report.sites.filter((site) =>
    !["posted", "unchanged", "skipped-empty"].includes(site.status)
  );
  if (run.code !== 0 || bad.length > 0) {
    throw new Error(`The sync failed (exit ${run.code}): ${run.stderr.slice(0, 500)}`);
  }
  return { wallMs: run.wallMs, peakRssMB: run.peakRssMB, durationMs: report.durationMs };
}

const RATIO_SHAPES = {
  cpu: {
    label: "1,000 sites × 5 devices, 1M outages, `--concurrency 16`",
    outages: 1_000_000,
    devices: 5,
    latency: 0,
    concurrency: 16,
  },
  latency: {
    label: "1,000 sites × 1,000 devices, 100k outages, `--latency 100`, `--concurrency 50`",
    outages: 100_000,
    devices: 1000,
    latency: 100,
    concurrency: 50,
  },
};

/** The sync and the yardstick, alternately, on one fleet shape. */
async function ratioOf(shape: typeof RATIO_SHAPES.cpu): Promise<void> {
  console.log("\n### Against the yardstick: a fleet, alternate runs\n");
  console.log(`| scenario | ${RATIO_HEADER.join(" | ")} |`);
  console.log(`| --- | ${RATIO_HEADER.map(() => "---").join(" | ")} |`);
  const size = ["--sites", "1000", "--devices-per-site", String(shape.devices)];
  const emulatorArgs = ["--synthetic", String(shape.outages), ...size];
  await withEmulator([...emulatorArgs, "--latency", String(shape.latency)], async (emulator) => {
    const payloads = await writeYardstickPayloads(dir, {
      outages: shape.outages,
      sites: 1000,
      devicesPerSite: shape.devices,
    });
    const sites = await siteArgs(programs[0], 1000);
    const s = await sideBySide(
      RUNS,
      () => timedSync(emulator.url, [...sites, "--concurrency", String(shape.concurrency)]),
      () => runYardstick(emulator.url, payloads, shape.concurrency),
      () => emulator.reset(),
    );
    console.log(`| ${shape.label} | ${ratioCells(s).join(" | ")} |`);
  });
}

async function state(): Promise<void> {
  const stateDir = await Deno.makeTempDir({ prefix: "outage-sync-state-" });
  const perms = [`--allow-write=${stateDir}`, "--allow-sys=uid"];
  console.log(
    "\n### A state directory: 1,000 sites × 5 devices over 1M outages, `--concurrency 16`\n",
  );
  console.log(
    "| run | runs | durationMs s (median, range) | wall s | ratio to no state (durationMs) |",
  );
  console.log("| --- | --- | --- | --- | --- |");
  await withEmulator(
    ["--synthetic", "1000000", "--sites", "1000", "--devices-per-site", "5"],
    async (emulator) => {
      const sites = await siteArgs(programs[0], 1000);
      const base = [...sites, "--concurrency", "16"];
      const kinds = {
        "no state": () => timedSync(emulator.url, base),
        "state, nothing changed": () =>
          timedSync(emulator.url, [...base, "--state-dir", stateDir], perms),
        "state, `--force` (all posted)": () =>
          timedSync(emulator.url, [...base, "--state-dir", stateDir, "--force"], perms),
      };
      const results = new Map<string, Timed[]>(Object.keys(kinds).map((k) => [k, []]));
      await emulator.reset();
      await kinds["state, nothing changed"](); // primes the state directory (and warms up)
      for (let i = 0; i < RUNS; i++) {
        for (const [kind, run] of Object.entries(kinds)) {
          await emulator.reset();
          results.get(kind)?.push(await run());
        }
      }
      const median = (runs: Timed[], key: keyof Timed) => stats(runs.map((r) => r[key])).median;
      const none = median(results.get("no state") ?? [], "durationMs");
      for (const [kind, runs] of results) {
        const d = stats(runs.map((r) => r.durationMs / 1000));
        console.log(
          `| ${kind} | ${runs.length} | ${d.median.toFixed(2)} (${d.min.toFixed(2)}–${
            d.max.toFixed(2)
          }) | ${(median(runs, "wallMs") / 1000).toFixed(2)} | ${
            (median(runs, "durationMs") / none).toFixed(2)
          } × |`,
        );
      }
    },
  );
  await Deno.remove(stateDir, { recursive: true });
}

/**
 * 300 sites at `--concurrency 20` against a server that answers every request 429 with
 * `Retry-After: 1` for the first 5 s after the first one (issue "Performance close to the limit",
 * target 6: ≤ 40 answers 429). The server is a bare `Deno.serve` in this process.
 */
async function burst(): Promise<void> {
  console.log(
    "\n### 300 sites, `--concurrency 20`, every request answered 429 (`Retry-After: 1`) for 5 s\n",
  );
  console.log("| program | run | answered 429 | per second of the window | wall s | outcome |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const program of programs) {
    for (let run = 1; run <= RUNS; run++) {
      let first: number | undefined;
      const limited: number[] = [];
      const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
        const now = performance.now();
        first ??= now;
        const path = new URL(request.url).pathname;
        if (now - first < 5000) {
          limited.push(now - first);
          return Response.json({ message: "Too Many Requests" }, {
            status: 429,
            headers: { "retry-after": "1" },
          });
        }
        if (path === "/outages") return Response.json([]);
        if (request.method === "POST") return Response.json({});
        const id = decodeURIComponent(path.split("/").pop() ?? "");
        return Response.json({ id, name: id, devices: [] });
      });
      try {
        const result = await sync(program, `http://127.0.0.1:${server.addr.port}`, [
          ...await siteArgs(program, 300),
          "--concurrency",
          "20",
          "--max-attempts",
          "20",
          "--post-empty",
          "--deadline",
          "300",
        ]);
        const perSecond = [0, 1, 2, 3, 4].map((s) =>
          limited.filter((at) => at >= s * 1000 && at < (s + 1) * 1000).length
        );
        console.log(
          `| ${program.label} | ${run} | ${limited.length} | ${perSecond.join(", ")} | ${
            (result.wallMs / 1000).toFixed(1)
          } | ${summary(result)} |`,
        );
      } finally {
        await server.shutdown();
      }
    }
  }
}

const scenarios: Record<string, () => Promise<void>> = {
  grid,
  latency,
  dead,
  ratelimit,
  ratio: async () => {
    await ratioOf(RATIO_SHAPES.cpu);
    await ratioOf(RATIO_SHAPES.latency);
  },
  "ratio-cpu": () => ratioOf(RATIO_SHAPES.cpu),
  "ratio-latency": () => ratioOf(RATIO_SHAPES.latency),
  state,
  burst,
};
for (const name of chosen) await scenarios[name]();
await Deno.remove(dir, { recursive: true });
