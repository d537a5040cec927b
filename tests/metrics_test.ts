/** Prometheus text-format metrics of a run, and the metrics file that keeps the last success. */

import assert from "node:assert/strict";
import {
  type MetricsFs,
  previousLastSuccess,
  renderMetrics,
  writeMetricsFile,
} from "../src/metrics.ts";
import type { RunReport } from "../src/report.ts";
import { parsePrometheus } from "./prometheus.ts";

const report: RunReport = {
  mode: "sync",
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
      error: { message: "x", kind: "internal" },
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

Deno.test("no previous file and a failed run: last success 0, so the stale alert fires", () => {
  for (const [found, exitCode] of [[report, 1], [undefined, 2]] as const) {
    const text = renderMetrics(found, {
      attempts: 0,
      retries: 0,
      exitCode,
      endedAt: 1_700_000_000_000,
      previousLastSuccess: undefined,
    });
    assert.equal(previousLastSuccess(text), 0);
    const { samples } = parsePrometheus(text);
    const value = (name: string) => samples.find((s) => s.name === name)?.value;
    assert.equal(value("outage_sync_run_exit_code"), exitCode);
    // The documented alert: time() - outage_sync_last_success_timestamp_seconds > 3600.
    assert.ok(1_700_000_000 - (value("outage_sync_last_success_timestamp_seconds") ?? NaN) > 3600);
  }
});

/** An in-memory file system: its files, and a record of the operations made. */
function memoryFs(files: Record<string, string> = {}): MetricsFs & {
  files: Map<string, string>;
  ops: string[];
} {
  const map = new Map(Object.entries(files));
  const ops: string[] = [];
  return {
    files: map,
    ops,
    readTextFile: (path) => map.get(path),
    kind: (path) => Promise.resolve(map.has(path) ? "file" : "missing"),
    writeTextFile: (path, text) => {
      ops.push(`write ${path}`);
      map.set(path, text);
      return Promise.resolve();
    },
    rename: (from, to) => {
      ops.push(`rename ${from} ${to}`);
      map.set(to, map.get(from)!);
      map.delete(from);
      return Promise.resolve();
    },
    remove: (path) => {
      ops.push(`remove ${path}`);
      map.delete(path);
      return Promise.resolve();
    },
  };
}

Deno.test("writeMetricsFile", async (t) => {
  const PATH = "/var/lib/node_exporter/textfile_collector/outage_sync.prom";
  const failed = { attempts: 1, retries: 0, exitCode: 1, endedAt: 1_700_000_000_000 };

  await t.step("a failed run keeps the last success time of the file it replaces", async () => {
    const fs = memoryFs({ [PATH]: "outage_sync_last_success_timestamp_seconds 1600000000.5\n" });
    await writeMetricsFile(PATH, report, failed, fs);
    const text = fs.files.get(PATH)!;
    assert.equal(previousLastSuccess(text), 1_600_000_000.5);
    assert.match(text, /^outage_sync_run_exit_code 1$/m);
    assert.deepEqual([...fs.files.keys()], [PATH], "no temporary file is left");
    assert.match(fs.ops[0], /^write .*outage_sync\.prom\.[0-9a-f]{8}\.tmp$/);
    assert.equal(fs.ops[1], `rename ${fs.ops[0].slice(6)} ${PATH}`);
  });

  await t.step("a successful run records its own end", async () => {
    const fs = memoryFs({ [PATH]: "outage_sync_last_success_timestamp_seconds 1\n" });
    await writeMetricsFile(PATH, report, { ...failed, exitCode: 0 }, fs);
    assert.equal(previousLastSuccess(fs.files.get(PATH)), 1_700_000_000);
  });

  await t.step(
    "no previous file, or an unreadable one: the last success starts afresh, at 0",
    async () => {
      const fs = memoryFs();
      await writeMetricsFile(PATH, report, failed, fs);
      assert.equal(previousLastSuccess(fs.files.get(PATH)), 0);
      const unreadable = memoryFs({ [PATH]: "outage_sync_last_success_timestamp_seconds 5\n" });
      unreadable.readTextFile = () => {
        throw new Deno.errors.PermissionDenied("no");
      };
      await writeMetricsFile(PATH, report, failed, unreadable);
      assert.equal(previousLastSuccess(unreadable.files.get(PATH)), 0);
    },
  );

  await t.step("a failing write rejects, leaving no temporary file", async () => {
    const fs = memoryFs();
    fs.rename = () => Promise.reject(new Error("disk full"));
    await assert.rejects(writeMetricsFile(PATH, report, failed, fs), /disk full/);
    assert.deepEqual([...fs.files.keys()], []);
  });
});

Deno.test("previousLastSuccess reads only a finite value of its own line", () => {
  assert.equal(previousLastSuccess(undefined), undefined);
  assert.equal(previousLastSuccess(""), undefined);
  assert.equal(previousLastSuccess("outage_sync_last_success_timestamp_seconds NaN\n"), undefined);
  assert.equal(previousLastSuccess("x_outage_sync_last_success_timestamp_seconds 5\n"), undefined);
  assert.equal(previousLastSuccess("# HELP a\noutage_sync_last_success_timestamp_seconds 7\n"), 7);
});

Deno.test("every shipped alert reads only metrics the program writes", async () => {
  const { parse } = await import("yaml");
  const file = await Deno.readTextFile(
    new URL("../deploy/prometheus/outage-sync.rules.yml", import.meta.url),
  );
  const { groups } = parse(file) as { groups: { rules: { alert: string; expr: string }[] }[] };
  const alerts = groups.flatMap((group) => group.rules);
  assert.equal(alerts.length, 5);
  assert.ok(
    alerts.some((rule) => rule.expr.includes("outage_sync_site_last_change_timestamp_seconds")),
  );
  const written = renderMetrics(
    {
      ...report,
      sites: [{ ...report.sites[0], status: "unchanged", lastChange: "2026-12-01T00:00:00Z" }],
    },
    { attempts: 1, retries: 0, exitCode: 0, endedAt: 1, previousLastSuccess: undefined },
  );
  const names = new Set(parsePrometheus(written).samples.map((s) => s.name));
  for (const rule of alerts) {
    const used = rule.expr.match(/\boutage_sync_[a-z_]+/g) ?? [];
    assert.ok(used.length > 0, rule.alert);
    for (const name of used) assert.ok(names.has(name), `${rule.alert}: ${name} is not written`);
    // A PromQL comparison or a selector, balanced: what Prometheus would load.
    assert.match(rule.expr, /^[\w\s(){}"=.,*+\-/<>!:\[\]$]+$/);
    assert.equal((rule.expr.match(/\(/g) ?? []).length, (rule.expr.match(/\)/g) ?? []).length);
  }
});
