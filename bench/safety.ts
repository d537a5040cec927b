// deno-lint-ignore-file no-console -- a benchmark script: it prints its table on stdout.
/**
 * What safety costs (target: full validation and retries enabled cost at most 10 % over the same
 * run with them disabled). In one process, against the emulator in another (`--synthetic N`), the
 * same sync of `synthetic-site-1` runs over real HTTP in three variants, interleaved run by run:
 *
 * - `unchecked`: plain `fetch` and `JSON.parse`, one attempt per request, no validation at all:
 *   the bodies are used as parsed, the payload posted unchecked;
 * - `checked`: the program's HTTP client (retries, the cap, UTF-8, the outages read record by
 *   record into a validated feed) and every other validation the program does
 *   (`validateSiteInfo`, `deviceNames`'s duplicate check, `validatePayload`);
 * - `runSync`: the program's own `runSync` (validation, retries, report, logging at error level).
 *
 * Each run starts from a collected heap (`gc()` before it, untimed), as a fresh process would.
 *
 *   deno run -A --v8-flags=--expose-gc bench/safety.ts [--runs N] [--sizes 10000,100000,1000000]
 *     [--latency MS]
 *
 * With no latency (the default) the run is CPU-bound, the worst case for the ratio; `--latency`
 * gives the emulator a network's round trip.
 * @module
 */

import { parseArgs } from "node:util";
import { parseBaseUrl } from "../src/config/values.ts";
import { createHttpApi } from "../src/http/client.ts";
import type { OutageApi } from "../src/outage_api.ts";
import { deviceNames, filterSiteOutages } from "../src/filter.ts";
import { createLogger } from "../src/logger.ts";
import { realClock } from "../src/retry_policy.ts";
import { Secret } from "../src/secret.ts";
import { runSync } from "../src/sync.ts";
import { parseSince } from "../src/timestamp.ts";
import type { Outage, SiteInfo } from "../src/api_shapes.ts";
import { validatePayload, validateSiteInfo } from "../src/validate.ts";
import { BENCH_KEY, formatStats, startEmulator, stats } from "./harness.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string" }, sizes: { type: "string" }, latency: { type: "string" } },
});
const runs = Number(values.runs ?? 15);
const sizes = (values.sizes ?? "10000,100000,1000000").split(",").map(Number);
const latency = values.latency ?? "0";
const SITE = "synthetic-site-1";
const since = parseSince("2022-01-01T00:00:00.000Z");
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {
  throw new Error("Run with --v8-flags=--expose-gc: each run must start from a collected heap");
});
const logger = createLogger({ level: "error", format: "text", write: () => {}, color: false });

function api(url: string, maxAttempts: number): OutageApi {
  return createHttpApi({
    baseUrl: parseBaseUrl(url, "the emulator's URL"),
    apiKey: new Secret(BENCH_KEY),
    timeoutMs: 60_000,
    maxResponseBytes: 512 * 2 ** 20,
    maxAttempts,
    deadline: Date.now() + 3_600_000,
    clock: realClock,
    logger,
    version: "bench",
  });
}

/** The sync with nothing checked and nothing retried: plain `fetch` and `JSON.parse`. */
async function unchecked(url: string): Promise<number> {
  const headers = { "x-api-key": BENCH_KEY, "content-type": "application/json" };
  const get = async (path: string) => (await fetch(`${url}/${path}`, { headers })).json();
  const [outages, site] = await Promise.all([get("outages"), get(`site-info/${SITE}`)]);
  const names = new Map((site as SiteInfo).devices.map((device) => [device.id, device.name]));
  const result = filterSiteOutages(outages as Outage[], names, since);
  const posted = await fetch(`${url}/site-outages/${SITE}`, {
    method: "POST",
    headers,
    body: JSON.stringify(result.payload),
  });
  await posted.body?.cancel();
  return result.payload.length;
}

/** The same steps with every check the program makes (retries come with the client). */
async function checked(client: OutageApi): Promise<number> {
  const where = `GET /site-info/${SITE}`;
  const [feed, siteBody] = await Promise.all([client.getOutages(), client.getSiteInfo(SITE)]);
  if (feed.invalidCount > 0) throw new Error("invalid outages");
  const { outages } = feed;
  const site = validateSiteInfo(siteBody, SITE, where);
  const result = filterSiteOutages(outages, deviceNames(site, where), since);
  validatePayload(result.payload, `POST /site-outages/${SITE}`);
  await client.postSiteOutages(SITE, result.payload);
  return result.payload.length;
}

async function programSync(client: OutageApi): Promise<number> {
  const report = await runSync({
    sites: [SITE],
    since,
    baseUrl: "bench",
    mode: "sync",
    skipInvalid: false,
    postEmpty: false,
    concurrency: 4,
  }, { api: client, logger });
  if (!report.ok) throw new Error(report.sites[0].error?.message);
  return report.sites[0].kept;
}

const rows: string[][] = [];
for (const size of sizes) {
  const emulator = await startEmulator(["--synthetic", String(size), "--latency", latency]);
  try {
    const safe = api(emulator.url, 5);
    const variants = {
      unchecked: () => unchecked(emulator.url),
      checked: () => checked(safe),
      runSync: () => programSync(safe),
    };
    const times: Record<keyof typeof variants, number[]> = {
      unchecked: [],
      checked: [],
      runSync: [],
    };
    const names = Object.keys(variants) as (keyof typeof variants)[];
    for (const name of names) await variants[name](); // warm-up
    for (let i = 0; i < runs; i++) {
      // Rotate the order so that no variant always runs after the same one.
      for (let k = 0; k < names.length; k++) {
        const name = names[(i + k) % names.length];
        await emulator.reset();
        gc();
        const started = performance.now();
        await variants[name]();
        times[name].push(performance.now() - started);
      }
    }
    const base = stats(times.unchecked);
    for (const name of names) {
      const s = stats(times[name]);
      // Each round ran the three variants back to back: the ratio within a round is paired,
      // which cancels most of the drift between rounds.
      const paired = stats(times[name].map((ms, i) => ms / times.unchecked[i]));
      rows.push([
        size.toLocaleString("en"),
        name,
        formatStats(s),
        (s.median / base.median).toFixed(3),
        name === "unchecked" ? "—" : formatStats(paired, 3),
        name === "unchecked" ? "—" : paired.median <= 1.1 ? "yes" : "**no**",
      ]);
    }
  } finally {
    await emulator.close();
  }
}

console.log(
  `\n### Safety cost: validation and retries on vs off (${runs} runs each, in process, ` +
    `emulator \`--latency ${latency}\`)\n`,
);
const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
console.log(line([
  "outages",
  "variant",
  "ms: median (IQR, range)",
  "ratio of medians",
  "paired ratio to unchecked: median (IQR, range)",
  "paired median ≤ 1.10",
]));
console.log(line(["---", "---", "---", "---", "---", "---"]));
for (const row of rows) console.log(line(row));
