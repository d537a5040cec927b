/** The run's report rendered as one JSON document and as readable text. */

import assert from "node:assert/strict";
import type { ErrorReport } from "../src/errors.ts";
import type { SiteStatus } from "../src/outcome.ts";
import {
  HIDDEN_JSON_FIELDS,
  JSON_MESSAGE_MAX,
  renderJsonFailure,
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
  if (status === "checked") base.devices = 8;
  if (status === "skipped-empty") base.kept = 0;
  if (status === "failed") {
    base.error = {
      message: `GET /site-info/${siteId}: the API answered 404: Site not found`,
      kind: "http",
      status: 404,
    };
  }
  return base;
}

function runReport(sites: SiteReport[], overrides: Partial<RunReport> = {}): RunReport {
  return {
    ok: sites.length > 0 && sites.every((s) => s.status !== "failed"),
    mode: "sync",
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
  await t.step("exactly the docs/spec.md §6 fields, one JSON document", () => {
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
    assert.deepEqual(doc.sites[2].error, {
      message: "GET /site-info/site-failed: the API answered 404: Site not found",
      kind: "http",
      status: 404,
    });
  });

  await t.step("check has its own shape: mode, and each site's devices, no payload counts", () => {
    const failed = { ...siteReport("failed"), devices: undefined };
    const doc = JSON.parse(
      renderJsonReport(runReport([siteReport("checked"), failed], { mode: "check", dryRun: true })),
    );
    assert.deepEqual(Object.keys(doc), [
      "ok",
      "mode",
      "since",
      "baseUrl",
      "outagesFetched",
      "outagesInvalid",
      "durationMs",
      "sites",
    ]);
    assert.equal(doc.mode, "check");
    assert.deepEqual(doc.sites[0], {
      siteId: "site-checked",
      siteName: "Site checked",
      status: "checked",
      devices: 8,
    });
    assert.deepEqual(Object.keys(doc.sites[1]), ["siteId", "siteName", "status", "error"]);
  });

  await t.step("a run cut short or failed as a whole says so, at the end of the document", () => {
    const doc = JSON.parse(renderJsonReport(runReport([siteReport("failed")], {
      interrupted: "SIGTERM",
      error: { message: "GET /outages: interrupted", kind: "interrupted" },
    })));
    assert.deepEqual(Object.keys(doc).slice(-3), ["sites", "interrupted", "error"]);
    assert.equal(doc.interrupted, "SIGTERM");
    assert.deepEqual(
      renderJsonFailure({ message: "No API key", kind: "usage" }).trim(),
      JSON.stringify({ ok: false, error: { message: "No API key", kind: "usage" } }, null, 2),
    );
  });

  await t.step("a dry run carries each site's payload", () => {
    const doc = JSON.parse(
      renderJsonReport(runReport([siteReport("dry-run")], { dryRun: true, mode: "dry-run" })),
    );
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

Deno.test("renderJsonReport shows every field of the report unless it is listed as hidden", () => {
  // Typed Required<…>: a field added to the report without a value here fails the type check.
  const site: Required<SiteReport> = {
    ...siteReport("dry-run"),
    payload: PAYLOAD,
    error: { message: "m", kind: "http", status: 500 },
    devices: 3,
    changes: { added: 1, removed: 0, since: null },
    lastChange: "2022-01-02T00:00:00.000Z",
  };
  const report: Required<RunReport> = {
    ...runReport([site]),
    interrupted: "SIGINT",
    error: { message: "e", kind: "network" },
    metricsError: "cannot write",
    sitesConfigured: 1,
  };
  const shown = (mode: RunReport["mode"]) => JSON.parse(renderJsonReport({ ...report, mode }));
  const [sync, check] = [shown("sync"), shown("check")];
  const runKeys = new Set([...Object.keys(sync), ...Object.keys(check)]);
  const siteKeys = new Set([...Object.keys(sync.sites[0]), ...Object.keys(check.sites[0])]);
  const expected = (all: object, hidden: readonly string[]) =>
    Object.keys(all).filter((key) => !hidden.includes(key)).sort();
  assert.deepEqual([...runKeys].sort(), expected(report, HIDDEN_JSON_FIELDS.run));
  assert.deepEqual([...siteKeys].sort(), expected(site, HIDDEN_JSON_FIELDS.site));
  assert.deepEqual(HIDDEN_JSON_FIELDS, { run: ["sitesConfigured"], site: ["lastChange"] });
  // And the README's shapes of the document (sync's, then check's) name every field it shows.
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  const shapes = [
    /With `--json`, one document:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? "",
    /`check --json` has its own shape:\s*`([^`]*)`/.exec(readme)?.[1] ?? "",
  ].join("\n");
  const named = new Set(shapes.match(/\b[a-z][A-Za-z]*\b(?=\??[,:}\]\s])/g));
  assert.ok(named.has("dryRun") && named.has("devices"), "both shapes were found");
  const unnamed = [...runKeys, ...siteKeys].filter((key) => !named.has(key));
  assert.deepEqual(unnamed, [], "fields the README's JSON shapes do not name");
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

    // Some failed, others did not (exit 3): not the word of a run where everything failed.
    assert.match(summary, /^PARTLY FAILED: 3 sites/);
    assert.ok(summary.includes("1 posted"), summary);
    assert.ok(summary.includes("1 skipped-empty"), summary);
    assert.ok(summary.includes("1 failed"), summary);
    assert.ok(summary.includes("108 outages fetched"), summary);
    assert.ok(summary.includes("2 invalid"), summary);
    assert.ok(summary.includes("1.23 s"), summary);
  });

  await t.step("a dry run lists the payload and says nothing was posted", () => {
    const text = renderTextReport(
      runReport([siteReport("dry-run")], { dryRun: true, mode: "dry-run" }),
    );
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

  await t.step("check: each site's name and devices, and that nothing was posted", () => {
    const text = renderTextReport(
      runReport([siteReport("checked"), { ...siteReport("checked", "one"), devices: 1 }], {
        dryRun: true,
        mode: "check",
      }),
    );
    assert.deepEqual(text.trimEnd().split("\n"), [
      "checked       site-checked (Site checked): reachable, 8 devices",
      "checked       one (Site checked): reachable, 1 device",
      "OK: 2 sites (2 checked); 108 outages fetched; 1.23 s; check only, nothing posted",
    ]);
  });

  await t.step("a failed check still says it was a check; an interrupted run says by what", () => {
    const failedCheck = renderTextReport(runReport([siteReport("failed")], { mode: "check" }));
    assert.match(failedCheck, /^FAILED: 1 site \(1 failed\); .*; check only, nothing posted$/m);
    assert.doesNotMatch(failedCheck, /dry run/);
    const interrupted = renderTextReport(
      runReport([siteReport("failed")], { interrupted: "SIGINT" }),
    );
    assert.match(interrupted, /^INTERRUPTED by SIGINT: 1 site \(1 failed\)/m);
  });

  await t.step("GET /outages failing is said once when a site failed of something else", () => {
    const report = runReport([siteReport("failed")], {
      error: {
        message: "GET /outages: the API answered 403: Forbidden",
        kind: "http",
        status: 403,
      },
    });
    const lines = renderTextReport(report).trimEnd().split("\n");
    assert.equal(lines[1], "GET /outages failed: the API answered 403: Forbidden");
    const same = runReport([{ ...siteReport("failed"), error: report.error }], {
      error: report.error,
    });
    assert.ok(!renderTextReport(same).includes("GET /outages failed"));
  });

  await t.step("a failed site without a message, before its name was known", () => {
    const site: SiteReport = { ...siteReport("failed"), error: undefined };
    assert.match(renderTextReport(runReport([site])), /^failed +site-failed: failed$/m);
  });

  await t.step("no sites", () => {
    const text = renderTextReport(runReport([]));
    assert.match(text, /^FAILED: 0 sites; /);
  });
});

Deno.test("renderTextReport: a partial failure, a run that handled no site, and why a payload is posted again", () => {
  const partial = renderTextReport(runReport([siteReport("posted"), siteReport("failed")]));
  assert.match(partial, /^PARTLY FAILED: 2 sites \(1 posted, 1 failed\)/m);
  const total = renderTextReport(runReport([siteReport("failed"), siteReport("failed", "b")]));
  assert.match(total, /^FAILED: 2 sites \(2 failed\)/m);
  const locked = renderTextReport(runReport([], {
    sitesConfigured: 3,
    error: { message: "the state directory is locked", kind: "usage" },
  }));
  assert.match(locked, /^FAILED: 3 sites configured, none handled; /m);

  const posted = (reason: "force" | "repost-after" | "state-unreadable") =>
    renderTextReport(runReport([{
      ...siteReport("posted"),
      changes: { added: 0, removed: 0, since: null, reason },
    }])).split("\n")[0];
  assert.match(posted("force"), /7 outages posted \(unchanged, posted again: --force\)/);
  assert.match(posted("repost-after"), /\(unchanged, posted again: .*--repost-after\)/);
  assert.match(
    posted("state-unreadable"),
    /\(its state file could not be used, so posted as if new\)/,
  );
  assert.doesNotMatch(posted("state-unreadable"), /never posted before/);
});

const INVERTER = {
  id: "dev-2",
  name: "Inverter",
  begin: "2022-05-01T00:00:00.000Z",
  end: "2022-05-02T00:00:00.000Z",
};
const METER = {
  id: "dev-3",
  name: "Meter",
  begin: "2022-04-01T00:00:00.000Z",
  end: "2022-04-02T00:00:00.000Z",
};

/** Sites of a sync run with a state directory: what changed since the accepted payload. */
function stateSites(): SiteReport[] {
  const base = { siteName: "Norwich", kept: 3, droppedBeforeSince: 1, droppedUnknownDevice: 4 };
  return [
    {
      ...base,
      siteId: "a",
      status: "posted",
      changes: {
        added: 1,
        removed: 1,
        since: "2022-06-01T00:00:00.000Z",
        addedOutages: [INVERTER],
        removedOutages: [METER],
      },
    },
    { ...base, siteId: "b", status: "posted", changes: { added: 3, removed: 0, since: null } },
    {
      ...base,
      siteId: "c",
      status: "unchanged",
      changes: { added: 0, removed: 0, since: "2022-06-02T00:00:00.000Z" },
    },
    { ...base, siteId: "d", status: "unchanged" },
    { ...base, siteId: "e", status: "skipped-empty", kept: 0 },
  ];
}

Deno.test("renderTextReport: each status's line, the changes, and the summary, word for word", () => {
  const report = runReport(stateSites(), {
    outagesFetched: 9,
    outagesInvalid: 2,
    durationMs: 1500,
  });
  const counts = "; dropped 1 before 2022-01-01T00:00:00.000Z, 4 of other devices";
  const lines = [
    `posted        a (Norwich): 3 outages posted (1 added, 1 removed)${counts}`,
    '+ dev-2  "Inverter"  2022-05-01T00:00:00.000Z .. 2022-05-02T00:00:00.000Z',
    '- dev-3  "Meter"  2022-04-01T00:00:00.000Z .. 2022-04-02T00:00:00.000Z',
    `posted        b (Norwich): 3 outages posted (never posted before)${counts}`,
    "unchanged     c (Norwich): 3 outages, as accepted at 2022-06-02T00:00:00.000Z: not posted " +
    `again (--force posts anyway)${counts}`,
    "unchanged     d (Norwich): 3 outages, as accepted at ?: not posted again (--force posts " +
    `anyway)${counts}`,
    "skipped-empty e (Norwich): nothing to post, nothing sent (use --post-empty to send [])" +
    counts,
  ];
  const summary =
    "OK: 5 sites (2 posted, 2 unchanged, 1 skipped-empty); 9 outages fetched, 2 invalid";
  assert.equal(
    renderTextReport(report, { skipInvalid: true }),
    [...lines, `${summary} skipped; 1.50 s`, ""].join("\n"),
  );
  assert.equal(renderTextReport(report), [...lines, `${summary}; 1.50 s`, ""].join("\n"));

  assert.equal(
    renderTextReport(runReport([siteReport("posted")])).split("\n")[0],
    "posted        site-posted (Site posted): 7 outages posted; dropped 11 before " +
      "2022-01-01T00:00:00.000Z, 90 of other devices",
    "without a state directory, nothing about changes",
  );
  const dryRun = renderTextReport(
    runReport([siteReport("dry-run")], { dryRun: true, mode: "dry-run" }),
  );
  assert.equal(
    dryRun.split("\n")[1],
    '  dev-1  "Battery 1"  2022-02-01T00:00:00.000Z .. 2022-03-01T00:00:00.000Z',
  );
  assert.match(dryRun, /; 1\.23 s; dry run, nothing posted\n$/);
});

Deno.test("renderTextReport: a run-wide error is said unless every site already says it", () => {
  const outages: ErrorReport = {
    message: "GET /outages: the API answered 500: Internal error",
    kind: "http",
    status: 500,
  };
  const summary = "FAILED: 0 sites; 108 outages fetched; 1.23 s";
  assert.equal(
    renderTextReport(runReport([], { error: outages })),
    `GET /outages failed: the API answered 500: Internal error\n${summary}\n`,
  );
  const sameError = { ...siteReport("failed"), error: outages };
  const saidOnce = renderTextReport(
    runReport([sameError, siteReport("posted")], { error: outages }),
  );
  assert.match(saidOnce, /^GET \/outages failed: the API answered 500: Internal error$/m);
  const saidByAll = renderTextReport(runReport([sameError, sameError], { error: outages }));
  assert.doesNotMatch(saidByAll, /GET \/outages failed/);

  const other: ErrorReport = {
    message: "state: not GET /outages: the lock is held",
    kind: "locked",
  };
  assert.equal(
    renderTextReport(runReport([], { error: other })),
    `the run failed: state: not GET /outages: the lock is held\n${summary}\n`,
  );
});

Deno.test("renderJsonReport carries what changed for each site; a failure document ends its line", () => {
  const document = JSON.parse(renderJsonReport(runReport(stateSites())));
  assert.deepEqual(document.sites[0].changes, stateSites()[0].changes);
  assert.deepEqual(document.sites[1].changes, { added: 3, removed: 0, since: null });
  assert.equal("changes" in document.sites[3], false);
  const error: ErrorReport = { message: "bad flag", kind: "usage" };
  assert.equal(
    renderJsonFailure(error),
    '{\n  "ok": false,\n  "error": {\n    "message": "bad flag",\n    "kind": "usage"\n  }\n}\n',
  );
});

Deno.test("renderJsonReport cuts every message to JSON_MESSAGE_MAX: a site's error, the run's, the metrics'", () => {
  const long = (what: string) => `${what}: ${"x".repeat(20_000)}`;
  const failed = siteReport("failed");
  failed.error = { message: long("site"), kind: "http", status: 500 };
  const report = runReport([failed], {
    error: { message: long("run"), kind: "network" },
    metricsError: long("metrics"),
  });
  const document = JSON.parse(renderJsonReport(report));
  const cutTo = (what: string) =>
    `${what}: ${"x".repeat(JSON_MESSAGE_MAX - what.length - 2)}… (${
      20_000 + what.length + 2 - JSON_MESSAGE_MAX
    } more characters)`;
  assert.equal(document.sites[0].error.message, cutTo("site"));
  assert.equal(document.error.message, cutTo("run"));
  assert.equal(document.metricsError, cutTo("metrics"));
});

Deno.test("renderTextReport says the metrics were not written, with why, before the summary", () => {
  const text = renderTextReport(
    runReport([siteReport("posted")], { metricsError: "permission denied\nsecond line" }),
  );
  const lines = text.split("\n");
  // The message's newline is shown escaped: it cannot start a line of its own.
  assert.equal(lines.at(-3), "metrics not written: permission denied\\nsecond line");
  assert.match(lines.at(-2)!, /^OK: 1 site/);
  assert.doesNotMatch(renderTextReport(runReport([siteReport("posted")])), /metrics not written/);
});
