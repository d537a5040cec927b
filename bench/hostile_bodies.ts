// deno-lint-ignore-file no-console -- a benchmark: it reports on its own terminal.
/**
 * Peak memory and outcome of a sync whose `GET /outages` body is hostile or merely huge, for the
 * program as it is and, with `--before DIR`, for an older checkout of it (e.g. a `git worktree` of
 * the commit before the fix). Bodies, each served by `bench/body_server.ts` in its own process:
 *
 * - `zeros-10M`: `[0,0,…]`, ten million invalid records in 20 MB;
 * - `zeros-134M`: 134,217,729 zeros (268 MB, half the default cap): V8's array limit;
 * - `valid-cap`: the largest body of valid outages under the default 512 MiB cap (4.7M outages).
 *
 *   deno run -A bench/hostile_bodies.ts [--before DIR] [--only NAME,...]
 * @module
 */

import { parseArgs } from "node:util";
import { syntheticDataset } from "../src/mock/synthetic.ts";
import { runProgramSync } from "./harness.ts";
import { spawnProcess } from "../tests/cli_process.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { before: { type: "string" }, only: { type: "string" } },
});
const CAP = 512 * 1024 * 1024;
const dir = await Deno.makeTempDir({ prefix: "outage-sync-hostile-" });

async function writeZeros(path: string, count: number): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const chunk = new TextEncoder().encode("0,".repeat(1 << 20));
  await file.write(new TextEncoder().encode("["));
  let left = count - 1;
  while (left > 0) {
    const n = Math.min(left, 1 << 20);
    await file.write(n === 1 << 20 ? chunk : chunk.subarray(0, n * 2));
    left -= n;
  }
  await file.write(new TextEncoder().encode("0]"));
}

/** The largest synthetic body under the cap; its site-info. */
async function writeValid(path: string): Promise<string> {
  const count = 4_700_000;
  const dataset = syntheticDataset({ outages: count });
  let text = JSON.stringify(dataset.outages);
  while (text.length > CAP) {
    text = JSON.stringify(dataset.outages.slice(0, Math.floor(count * 0.98)));
  }
  await Deno.writeTextFile(path, text);
  return JSON.stringify(dataset.sites[0]);
}

const site = JSON.stringify({ id: "norwich-pear-tree", name: "Norwich Pear Tree", devices: [] });
const bodies: { name: string; file: string; site: string; siteId: string; args: string[] }[] = [];
const only = values.only?.split(",");
const wanted = (name: string) => only === undefined || only.includes(name);
if (wanted("zeros-10M")) {
  await writeZeros(`${dir}/zeros-10M.json`, 10_000_000);
  bodies.push({
    name: "zeros-10M",
    file: `${dir}/zeros-10M.json`,
    site,
    siteId: "norwich-pear-tree",
    args: ["--skip-invalid"],
  });
}
if (wanted("zeros-134M")) {
  await writeZeros(`${dir}/zeros-134M.json`, 134_217_729);
  bodies.push({
    name: "zeros-134M",
    file: `${dir}/zeros-134M.json`,
    site,
    siteId: "norwich-pear-tree",
    args: ["--skip-invalid"],
  });
}
if (wanted("valid-cap")) {
  const siteInfo = await writeValid(`${dir}/valid-cap.json`);
  bodies.push({
    name: "valid-cap",
    file: `${dir}/valid-cap.json`,
    site: siteInfo,
    siteId: "synthetic-site-1",
    args: [],
  });
}

const programs: [string, string][] = [["after", "main.ts"]];
if (values.before !== undefined) programs.push(["before", `${values.before}/main.ts`]);

console.log(`| body | bytes | program | exit | wall s | peak RSS MB | outcome |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
for (const body of bodies) {
  const bytes = (await Deno.stat(body.file)).size;
  const server = spawnProcess(Deno.execPath(), [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-read",
    "bench/body_server.ts",
    body.file,
    body.site,
  ], { cwd: new URL("../", import.meta.url).pathname });
  const url = (await server.firstLine()).trim();
  for (const [label, main] of programs) {
    const run = await runProgramSync(main, url, [
      "--site",
      body.siteId,
      "--timeout",
      "120",
      "--deadline",
      "600",
      "--max-attempts",
      "1",
      ...body.args,
    ]);
    let outcome: string;
    try {
      const report = JSON.parse(run.stdout);
      const first = report.sites[0];
      outcome = `${first.status}${
        first.error
          ? `: ${String(first.error.message ?? first.error).slice(0, 90)}`
          : `, ${first.kept} kept`
      }`;
    } catch {
      outcome = `no report; stderr: ${
        run.stderr.trim().split("\n").slice(-2).join(" ").slice(0, 120)
      }`;
    }
    console.log(
      `| ${body.name} | ${bytes} | ${label} | ${run.code} | ${(run.wallMs / 1000).toFixed(1)} | ${
        run.peakRssMB.toFixed(0)
      } | ${outcome} |`,
    );
  }
  server.kill("SIGTERM");
  await server.output();
}
await Deno.remove(dir, { recursive: true });
