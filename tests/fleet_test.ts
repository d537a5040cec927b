/**
 * Fleets of sites (issue "Scale"): the index path posts exactly what the emulator expects, a dead
 * `GET /outages` stops every site at once, a 429 paces the whole run, and sites come from a file
 * the emulator can write.
 */

import assert from "node:assert/strict";
import { startMockServer } from "../src/mock/server.ts";
import { syntheticDataset, syntheticSiteId } from "../src/mock/synthetic.ts";
import { INDEX_FROM_SITES } from "../src/sync.ts";
import { realFileWriter, realSiteInfo, tempDir } from "./helpers.ts";
import { runMain, startMain } from "./in_process.ts";
import { json, startScriptedServer } from "./scripted_server.ts";

const KEY = "SENTINEL-fleet-key-4d1e";

Deno.test("a fleet through the index: every site posted exactly what the emulator expects", async () => {
  const sites = INDEX_FROM_SITES + 8;
  const dataset = syntheticDataset({ outages: 20_000, sites, devicesPerSite: 40, seed: 3 });
  await using server = await startMockServer({ apiKey: KEY, port: 0, dataset });
  const ids = Array.from({ length: sites }, (_, i) => syntheticSiteId(i + 1));
  const result = await runMain(
    ["--base-url", server.url, "--site", ids.join(","), "--concurrency", "5", "--json", "-q"],
    { KRAKENFLEX_API_KEY: KEY },
  );
  assert.equal(result.code, 0, result.stdout);
  const report = JSON.parse(result.stdout);
  assert.deepEqual(report.sites.map((s: { status: string }) => s.status), ids.map(() => "posted"));
  const accepted = server.api.requests().filter((e) => e.method === "POST" && e.status === 200);
  assert.equal(accepted.length, sites, "the emulator accepted every payload: exact, as a multiset");
  for (const [i, site] of report.sites.entries()) {
    assert.equal(site.kept, dataset.expected?.[ids[i]].length);
  }
});

Deno.test("GET /outages failing for good: no new site request, every site fails at once with it", async () => {
  let siteInfos = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const handlers: Promise<unknown>[] = [];
  await using server = startScriptedServer((_request, seen) => {
    if (seen.path === "/outages") return json({ message: "Internal server error" }, 500);
    siteInfos++;
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    const answer = new Promise<Response>((resolve) =>
      setTimeout(() => {
        inFlight--;
        resolve(json({ message: "Internal server error" }, 500));
      }, 40)
    );
    handlers.push(answer);
    return answer;
  });
  const sites = Array.from({ length: 200 }, (_, i) => `site-${i}`).join(",");
  const result = await runMain(
    [
      "--base-url",
      server.url,
      "--site",
      sites,
      "--concurrency",
      "4",
      "--max-attempts",
      "3",
      "--json",
      "-q",
    ],
    { KRAKENFLEX_API_KEY: KEY },
  );
  assert.equal(result.code, 1);
  const report = JSON.parse(result.stdout);
  assert.equal(report.sites.length, 200);
  for (const site of report.sites) {
    assert.equal(site.status, "failed");
    assert.match(site.error.message, /^GET \/outages: the API answered 500: Internal server error/);
    assert.equal(site.error.kind, "http");
  }
  // "At once" is counted, not timed: only the first lanes' site-info requests went out (4 in
  // flight, none retried after the cut), where waiting on the fleet would send 200 or more.
  assert.ok(siteInfos <= 8, `${siteInfos} site-info requests`);
  assert.ok(maxInFlight <= 4);
  await Promise.all(handlers); // the requests the program gave up on, answered into the void
});

Deno.test("a 429 paces the whole run: the sites in flight halve, and the Retry-After holds", async () => {
  let limited = 3;
  let inFlight = 0;
  const inFlightAtStart: number[] = [];
  await using server = startScriptedServer(async (_request, seen) => {
    if (seen.path === "/outages") return json([]);
    if (seen.method === "POST") return json({});
    inFlightAtStart.push(++inFlight);
    await new Promise((resolve) => setTimeout(resolve, 10));
    inFlight--;
    if (limited > 0) {
      limited--;
      return json({ message: "Too Many Requests" }, 429, { "retry-after": "1" });
    }
    const id = decodeURIComponent(seen.path.split("/").pop() ?? "");
    return json({ ...realSiteInfo, id });
  });
  const sites = Array.from({ length: 24 }, (_, i) => `site-${i}`).join(",");
  const result = await runMain(
    ["--base-url", server.url, "--site", sites, "--concurrency", "8", "--post-empty"],
    { KRAKENFLEX_API_KEY: KEY },
  );
  assert.equal(result.code, 0, result.stdout);
  const paced = [...result.stderr.matchAll(/rate limited: pacing the run sitesInFlight=(\d+)/g)]
    .map((m) => Number(m[1]));
  assert.deepEqual(paced.slice(0, 3), [4, 2, 1], result.stderr);
  assert.match(result.stderr, /holdMs=1000/);
  assert.match(result.stdout, /^OK: 24 sites \(24 posted\)/m);
  assert.ok(Math.max(...inFlightAtStart) <= 8);
});

Deno.test("sites from a file the emulator wrote: mock-api --sites-file, then sync --sites-file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/sites.txt`;
  await using emulator = startMain(
    [
      "mock-api",
      "--port",
      "0",
      "--synthetic",
      "3000",
      "--sites",
      "3",
      "--devices-per-site",
      "20",
      "--sites-file",
      path,
    ],
    { KRAKENFLEX_API_KEY: KEY },
    { fs: realFileWriter },
  );
  const url = await emulator.firstLine;
  assert.equal(
    await Deno.readTextFile(path),
    "synthetic-site-1\nsynthetic-site-2\nsynthetic-site-3\n",
  );
  const result = await runMain(["--base-url", url, "--sites-file", "sites", "--json", "-q"], {
    KRAKENFLEX_API_KEY: KEY,
  }, { files: { sites: `# written by mock-api\n${await Deno.readTextFile(path)}` } });
  assert.equal(result.code, 0, result.stdout);
  assert.deepEqual(
    JSON.parse(result.stdout).sites.map((s: { siteId: string; status: string }) =>
      `${s.siteId} ${s.status}`
    ),
    ["synthetic-site-1 posted", "synthetic-site-2 posted", "synthetic-site-3 posted"],
  );
});
