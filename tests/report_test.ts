import assert from "node:assert/strict";
import { ExitCode, exitCodeForSites, type SiteStatus } from "../src/errors.ts";
import {
  exitCodeFor,
  renderJsonReport,
  renderTextReport,
  type RunReport,
  type SiteReport,
} from "../src/report.ts";

const PAYLOAD = [
  {
    id: "dev-1",
    name: "Battery 1",
    begin: "2022-02-01T00:00:00.000Z",
    end: "2022-03-01T00:00:00.000Z",
  },
];

function siteReport(status: SiteStatus, siteId = `site-${status}`): SiteReport {
  const base: SiteReport = {
    siteId,
    siteName: status === "failed" ? null : `Site ${status}`,
    status,
    kept: status === "failed" ? 0 : 7,
    droppedBeforeSince: status === "failed" ? 0 : 11,
    droppedUnknownDevice: status === "failed" ? 0 : 90,
  };
  if (status === "dry-run") base.payload = PAYLOAD;
  if (status === "skipped-empty") base.kept = 0;
  if (status === "failed") {
    base.error = `GET /site-info/${siteId}: the API answered 404: Site not found`;
  }
  return base;
}

function runReport(sites: SiteReport[], overrides: Partial<RunReport> = {}): RunReport {
  return {
    ok: sites.length > 0 && sites.every((s) => s.status !== "failed"),
    dryRun: false,
    since: "2022-01-01T00:00:00.000Z",
    baseUrl: "https://api.example.com/v1/",
    outagesFetched: 108,
    outagesInvalid: 0,
    durationMs: 1234,
    sites,
    ...overrides,
  };
}

const TOP_FIELDS = [
  "ok",
  "dryRun",
  "since",
  "baseUrl",
  "outagesFetched",
  "outagesInvalid",
  "durationMs",
  "sites",
];
const SITE_FIELDS = [
  "siteId",
  "siteName",
  "status",
  "kept",
  "droppedBeforeSince",
  "droppedUnknownDevice",
];

Deno.test("renderJsonReport", async (t) => {
  await t.step("exactly the SPEC §6 fields, one JSON document", () => {
    const report = runReport([
      siteReport("posted"),
      siteReport("skipped-empty"),
      siteReport("failed"),
    ]);
    const text = renderJsonReport(report);
    assert.ok(text.endsWith("}\n"));
    const doc = JSON.parse(text);
    assert.deepEqual(Object.keys(doc).sort(), [...TOP_FIELDS].sort());
    assert.equal(doc.ok, false);
    assert.equal(doc.dryRun, false);
    assert.equal(doc.since, "2022-01-01T00:00:00.000Z");
    assert.equal(doc.baseUrl, "https://api.example.com/v1/");
    assert.equal(doc.outagesFetched, 108);
    assert.equal(doc.outagesInvalid, 0);
    assert.equal(doc.durationMs, 1234);
    assert.equal(doc.sites.length, 3);
    assert.deepEqual(Object.keys(doc.sites[0]).sort(), [...SITE_FIELDS].sort());
    assert.deepEqual(Object.keys(doc.sites[1]).sort(), [...SITE_FIELDS].sort());
    assert.deepEqual(Object.keys(doc.sites[2]).sort(), [...SITE_FIELDS, "error"].sort());
    assert.deepEqual(doc.sites[0], {
      siteId: "site-posted",
      siteName: "Site posted",
      status: "posted",
      kept: 7,
      droppedBeforeSince: 11,
      droppedUnknownDevice: 90,
    });
    assert.equal(doc.sites[2].siteName, null);
    assert.match(doc.sites[2].error, /404/);
  });

  await t.step("a dry run carries each site's payload", () => {
    const doc = JSON.parse(renderJsonReport(runReport([siteReport("dry-run")], { dryRun: true })));
    assert.equal(doc.dryRun, true);
    assert.deepEqual(Object.keys(doc.sites[0]).sort(), [...SITE_FIELDS, "payload"].sort());
    assert.deepEqual(doc.sites[0].payload, PAYLOAD);
    assert.deepEqual(Object.keys(doc.sites[0].payload[0]), ["id", "name", "begin", "end"]);
  });

  await t.step("an early failure: no sites", () => {
    const doc = JSON.parse(renderJsonReport(runReport([])));
    assert.deepEqual(doc.sites, []);
    assert.equal(doc.ok, false);
  });
});

Deno.test("renderTextReport", async (t) => {
  await t.step("a line per site with its status and counts, then a summary", () => {
    const report = runReport([
      siteReport("posted"),
      siteReport("skipped-empty"),
      siteReport("failed"),
    ], { outagesInvalid: 2 });
    const lines = renderTextReport(report).split("\n");
    assert.equal(lines.at(-1), "");
    lines.pop();
    assert.equal(lines.length, 4);

    const [posted, skipped, failed, summary] = lines;
    assert.ok(posted.startsWith("posted "), posted);
    assert.ok(posted.includes("site-posted"), posted);
    assert.ok(posted.includes("Site posted"), posted);
    assert.match(posted, /\b7 outages\b/);
    assert.match(posted, /\b11\b/);
    assert.match(posted, /\b90\b/);

    assert.ok(skipped.startsWith("skipped-empty "), skipped);
    assert.ok(skipped.includes("site-skipped-empty"), skipped);

    assert.ok(failed.startsWith("failed "), failed);
    assert.ok(failed.includes("site-failed"), failed);
    assert.ok(failed.includes("Site not found"), failed);

    assert.match(summary, /^FAILED: 3 sites/);
    assert.ok(summary.includes("1 posted"), summary);
    assert.ok(summary.includes("1 skipped-empty"), summary);
    assert.ok(summary.includes("1 failed"), summary);
    assert.ok(summary.includes("108 outages fetched"), summary);
    assert.ok(summary.includes("2 invalid"), summary);
    assert.ok(summary.includes("1.23 s"), summary);
  });

  await t.step("a dry run lists the payload and says nothing was posted", () => {
    const text = renderTextReport(runReport([siteReport("dry-run")], { dryRun: true }));
    const lines = text.trimEnd().split("\n");
    assert.equal(lines.length, 3);
    assert.ok(lines[0].startsWith("dry-run "), lines[0]);
    assert.match(lines[0], /\b7 outages would be posted\b/);
    assert.ok(lines[1].includes("dev-1"), lines[1]);
    assert.ok(lines[1].includes('"Battery 1"'), lines[1]);
    assert.ok(lines[1].includes("2022-02-01T00:00:00.000Z"), lines[1]);
    assert.match(lines[2], /^OK: 1 site \(1 dry-run\)/);
    assert.ok(lines[2].includes("nothing posted"), lines[2]);
  });

  await t.step("one outage, one site: singular words", () => {
    const site = { ...siteReport("posted"), kept: 1 };
    const text = renderTextReport(runReport([site], { outagesFetched: 1 }));
    assert.match(text, /\b1 outage posted/);
    assert.match(text, /OK: 1 site \(1 posted\); 1 outage fetched/);
  });

  await t.step("no sites", () => {
    const text = renderTextReport(runReport([]));
    assert.match(text, /^FAILED: 0 sites; /);
  });
});

Deno.test("exit codes", async (t) => {
  const cases: [SiteStatus[], number, string][] = [
    [["posted"], 0, "one posted"],
    [["posted", "posted"], 0, "all posted"],
    [["skipped-empty"], 0, "skipped-empty counts as success"],
    [["dry-run", "dry-run"], 0, "dry-run counts as success"],
    [["posted", "skipped-empty", "dry-run"], 0, "every success status"],
    [["checked"], 0, "checked counts as success"],
    [["failed"], 1, "one failed"],
    [["failed", "failed", "failed"], 1, "all failed"],
    [["posted", "failed"], 3, "mixed"],
    [["failed", "skipped-empty"], 3, "failed and skipped-empty"],
    [["dry-run", "failed", "failed"], 3, "failed and dry-run"],
    [[], 1, "no sites: the run failed before any site"],
  ];
  for (const [statuses, code, label] of cases) {
    await t.step(`${label} → ${code}`, () => {
      assert.equal(exitCodeForSites(statuses), code);
      const report = runReport(statuses.map((s, i) => siteReport(s, `site-${i}`)));
      assert.equal(exitCodeFor(report), code);
    });
  }

  await t.step("the named codes", () => {
    assert.deepEqual(
      { ...ExitCode },
      { ok: 0, failed: 1, usage: 2, partial: 3, sigint: 130, sigterm: 143 },
    );
  });
});
