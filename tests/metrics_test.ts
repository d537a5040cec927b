import assert from "node:assert/strict";
import { previousLastSuccess, renderMetrics, writeFileAtomically } from "../src/metrics.ts";
import type { RunReport } from "../src/report.ts";
import { parsePrometheus } from "./prometheus.ts";

const report: RunReport = {
  ok: false,
  dryRun: false,
  since: "2022-01-01T00:00:00.000Z",
  baseUrl: "http://127.0.0.1:1",
  outagesFetched: 108,
  outagesInvalid: 0,
  durationMs: 1234,
  sites: [
    {
      siteId: "norwich-pear-tree",
      siteName: "Norwich Pear Tree",
      status: "posted",
      kept: 10,
      droppedBeforeSince: 8,
      droppedUnknownDevice: 90,
    },
    {
      siteId: 'odd"site\\',
      siteName: null,
      status: "failed",
      kept: 0,
      droppedBeforeSince: 0,
      droppedUnknownDevice: 0,
      error: "x",
    },
  ],
};

Deno.test("metrics parse as Prometheus text and carry per-site and per-run values", () => {
  const { samples, types } = parsePrometheus(
    renderMetrics(report, {
      attempts: 4,
      retries: 1,
      exitCode: 3,
      endedAt: 1_700_000_000_000,
      previousLastSuccess: 1_600_000_000,
    }),
  );
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) =>
      s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    )?.value;
  assert.equal(
    value("outage_sync_site_status", { site: "norwich-pear-tree", status: "posted" }),
    1,
  );
  assert.equal(
    value("outage_sync_site_status", { site: "norwich-pear-tree", status: "failed" }),
    0,
  );
  assert.equal(value("outage_sync_site_status", { site: 'odd\\"site\\\\', status: "failed" }), 1);
  assert.equal(value("outage_sync_site_outages_posted", { site: "norwich-pear-tree" }), 10);
  assert.equal(
    value("outage_sync_site_outages_dropped", {
      site: "norwich-pear-tree",
      reason: "before_since",
    }),
    8,
  );
  assert.equal(
    value("outage_sync_site_outages_dropped", {
      site: "norwich-pear-tree",
      reason: "unknown_device",
    }),
    90,
  );
  assert.equal(value("outage_sync_run_duration_seconds"), 1.234);
  assert.equal(value("outage_sync_run_attempts"), 4);
  assert.equal(value("outage_sync_run_retries"), 1);
  assert.equal(value("outage_sync_run_exit_code"), 3);
  assert.equal(value("outage_sync_run_timestamp_seconds"), 1_700_000_000);
  // A failed run keeps the previous success time.
  assert.equal(value("outage_sync_last_success_timestamp_seconds"), 1_600_000_000);
  assert.ok([...types.values()].every((t) => t === "gauge"));
});

Deno.test("a successful run records its own end as the last success", () => {
  const text = renderMetrics({ ...report, ok: true, sites: [report.sites[0]] }, {
    attempts: 3,
    retries: 0,
    exitCode: 0,
    endedAt: 1_700_000_000_500,
    previousLastSuccess: 1,
  });
  assert.equal(previousLastSuccess(text), 1_700_000_000.5);
});

Deno.test("no previous file and a failed run: no last-success sample at all", () => {
  const text = renderMetrics(report, {
    attempts: 1,
    retries: 0,
    exitCode: 1,
    endedAt: 1,
    previousLastSuccess: undefined,
  });
  assert.equal(previousLastSuccess(text), undefined);
  assert.ok(!text.includes("outage_sync_last_success_timestamp_seconds"));
});

Deno.test("the atomic write goes through a temporary file and cleans up on failure", async () => {
  const ops: string[] = [];
  await writeFileAtomically("/m/out.prom", "x", {
    writeTextFile: (path) => (ops.push(`write ${path}`), Promise.resolve()),
    rename: (from, to) => (ops.push(`rename ${from} ${to}`), Promise.resolve()),
    remove: (path) => (ops.push(`remove ${path}`), Promise.resolve()),
  });
  assert.match(ops[0], /^write \/m\/out\.prom\.[0-9a-f]{8}\.tmp$/);
  assert.equal(ops[1], `rename ${ops[0].slice(6)} /m/out.prom`);
  assert.equal(ops.length, 2);

  const failing: string[] = [];
  await assert.rejects(
    writeFileAtomically("/m/out.prom", "x", {
      writeTextFile: () => Promise.resolve(),
      rename: () => Promise.reject(new Error("disk full")),
      remove: (path) => (failing.push(path), Promise.resolve()),
    }),
    /disk full/,
  );
  assert.equal(failing.length, 1);
  assert.match(failing[0], /\.tmp$/);
});

Deno.test("on disk: the file is replaced whole, and no temporary file is left", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/outage_sync.prom`;
    const fs = {
      writeTextFile: (p: string, t: string) => Deno.writeTextFile(p, t),
      rename: (a: string, b: string) => Deno.rename(a, b),
      remove: (p: string) => Deno.remove(p),
    };
    await writeFileAtomically(path, "first\n", fs);
    await writeFileAtomically(path, "second\n", fs);
    assert.equal(await Deno.readTextFile(path), "second\n");
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["outage_sync.prom"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
