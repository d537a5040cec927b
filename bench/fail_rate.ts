// deno-lint-ignore-file no-console -- a benchmark script: it reports on its terminal.
/**
 * Success rate and extra time under random 500s (issue: resilience). For each fail rate, N seeded
 * runs of the real program in process, over real HTTP, against the emulator with `--fail-rate P`,
 * with the default retry policy and real backoff waits. Extra time is a run's duration minus the
 * median duration of fault-free runs.
 *
 *   deno run -A bench/fail_rate.ts [runs per rate, default 100]
 * @module
 */

import type { CliIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { startMockServer } from "../src/mock/server.ts";

const KEY = "bench-key";
const runs = Number(Deno.args[0] ?? 100);
const parallel = 20;

async function once(
  failRate: number,
  seed: number,
): Promise<{ code: number; ms: number; posted: boolean }> {
  const server = await startMockServer({ apiKey: KEY, port: 0, failRate, seed });
  try {
    const io: CliIo = {
      env: (name) => (name === "KRAKENFLEX_API_KEY" ? KEY : undefined),
      readTextFile: () => undefined,
      stdout: () => {},
      stderr: () => {},
      stderrIsTerminal: false,
      signal: new AbortController().signal,
      version: "bench",
    };
    const started = performance.now();
    const code = await main(["--base-url", server.url, "-q"], io);
    const ms = performance.now() - started;
    const posted = server.api.requests().some((e) => e.method === "POST" && e.status === 200);
    return { code, ms, posted };
  } finally {
    await server.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function series(failRate: number) {
  const results: { code: number; ms: number; posted: boolean }[] = [];
  for (let start = 1; start <= runs; start += parallel) {
    const batch = [];
    for (let seed = start; seed < start + parallel && seed <= runs; seed++) {
      batch.push(once(failRate, seed));
    }
    results.push(...await Promise.all(batch));
  }
  return results;
}

const baseline = median((await series(0)).map((r) => r.ms));
console.log(`runs per rate: ${runs}; fault-free median: ${baseline.toFixed(1)} ms`);
console.log(
  "| fail rate | runs | succeeded (exit 0, exact POST accepted) | median extra time | p90 extra time | max extra time |",
);
console.log("|---|---|---|---|---|---|");
for (const rate of [0.1, 0.3, 0.5]) {
  const results = await series(rate);
  const ok = results.filter((r) => r.code === 0 && r.posted).length;
  const extra = results.map((r) => Math.max(0, r.ms - baseline));
  console.log(
    `| ${rate} | ${runs} | ${ok} (${(100 * ok / runs).toFixed(1)} %) | ${
      median(extra).toFixed(0)
    } ms | ${percentile(extra, 0.9).toFixed(0)} ms | ${Math.max(...extra).toFixed(0)} ms |`,
  );
}
