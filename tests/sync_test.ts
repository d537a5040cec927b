/** The sync against a hand-written stub of the API: what is fetched, posted and reported. */

import assert from "node:assert/strict";
import { parseBaseUrl } from "../src/config/values.ts";
import { ApiError } from "../src/errors.ts";
import { createHttpApi } from "../src/http/client.ts";
import { exitCodeFor as exitCodeForStatuses } from "../src/outcome.ts";
import type { RunReport } from "../src/report.ts";
import { INVALID_SAMPLES as MAX_INVALID_LOGGED, MAX_INVALID_IDS } from "../src/outage_feed.ts";
import { runSync, type SyncOptions } from "../src/sync.ts";
import { realClock } from "../src/retry_policy.ts";
import { Secret } from "../src/secret.ts";
import { parseSince } from "../src/timestamp.ts";
import { memoryLogger, realExpected, realOutages, realSiteInfo, stubApi } from "./helpers.ts";
import { json, startScriptedServer } from "./scripted_server.ts";

const options = (overrides: Partial<SyncOptions> = {}): SyncOptions => ({
  sites: ["norwich-pear-tree"],
  since: parseSince("2022-01-01T00:00:00.000Z"),
  baseUrl: "http://127.0.0.1:1",
  mode: "sync",
  skipInvalid: false,
  postEmpty: false,
  concurrency: 4,
  ...overrides,
});

const exitCodeFor = (report: RunReport) => exitCodeForStatuses(report.sites.map((s) => s.status));

const serverError = (endpoint: string) =>
  new ApiError("http", endpoint, `${endpoint}: the API answered 500: boom`, { status: 500 });

Deno.test("sync posts the real data's expected payload once, in order", async () => {
  const api = stubApi({});
  const report = await runSync(options(), { api, logger: memoryLogger() });
  const posts = api.calls.filter((c) => c.method === "postSiteOutages");
  assert.equal(posts.length, 1);
  assert.equal(JSON.stringify(posts[0].payload), JSON.stringify(realExpected));
  assert.equal(report.ok, true);
  assert.equal(report.outagesFetched, realOutages.length);
  assert.deepEqual(report.sites[0], {
    siteId: "norwich-pear-tree",
    siteName: "Norwich Pear Tree",
    status: "posted",
    kept: 10,
    droppedBeforeSince: 8,
    droppedUnknownDevice: 90,
  });
  assert.equal(exitCodeFor(report), 0);
});

Deno.test("GET /outages is fetched once for many sites, duplicates already collapsed by config", async () => {
  const sites: Record<string, unknown> = {};
  for (const id of ["a", "b", "c", "d", "e"]) sites[id] = { ...realSiteInfo, id };
  const api = stubApi({ sites });
  const report = await runSync(options({ sites: Object.keys(sites), concurrency: 2 }), {
    api,
    logger: memoryLogger(),
  });
  assert.equal(api.calls.filter((c) => c.method === "getOutages").length, 1);
  assert.deepEqual(report.sites.map((s) => s.siteId), ["a", "b", "c", "d", "e"]);
  assert.ok(report.sites.every((s) => s.status === "posted" && s.kept === 10));
});

Deno.test("at most --concurrency sites are in flight", async () => {
  let inFlight = 0;
  let peak = 0;
  const base = stubApi({});
  const api = {
    ...base,
    async getSiteInfo(siteId: string) {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return { ...realSiteInfo, id: siteId };
    },
  };
  await runSync(options({ sites: ["1", "2", "3", "4", "5", "6", "7"], concurrency: 3 }), {
    api,
    logger: memoryLogger(),
  });
  assert.equal(peak, 3);
});

Deno.test("GET /outages starts before the first site-info answer arrives", async () => {
  const order: string[] = [];
  const base = stubApi({});
  const api = {
    ...base,
    getOutages() {
      order.push("outages");
      return base.getOutages();
    },
    getSiteInfo(siteId: string) {
      order.push("site-info");
      return base.getSiteInfo(siteId);
    },
  };
  await runSync(options(), { api, logger: memoryLogger() });
  assert.deepEqual(order, ["outages", "site-info"]);
});

Deno.test("a failing GET /outages fails every site with the same cause and posts nothing", async () => {
  const api = stubApi({
    outages: serverError("GET /outages"),
    sites: { a: { ...realSiteInfo, id: "a" }, b: { ...realSiteInfo, id: "b" } },
  });
  const report = await runSync(options({ sites: ["a", "b"] }), { api, logger: memoryLogger() });
  assert.equal(api.calls.filter((c) => c.method === "postSiteOutages").length, 0);
  assert.ok(
    report.sites.every((s) => s.status === "failed" && s.error?.message.includes("GET /outages")),
  );
  assert.equal(report.ok, false);
  assert.equal(exitCodeFor(report), 1);
});

Deno.test("a GET /outages failure shared by retrying sites says its own attempt count, once", async () => {
  // Every site's site-info answers 500 and is retried; GET /outages answers 503, then (once the
  // sites are well into their retries) 400. The sites that were retrying when it failed must not
  // add their own attempt counts to the one error they share.
  const sites = ["a", "b", "c", "d"];
  let outages = 0;
  let siteInfo = 0;
  const { promise: retrying, resolve } = Promise.withResolvers<void>();
  await using server = startScriptedServer(async (_, seen) => {
    if (seen.path === "/outages") {
      if (++outages === 1) return json({ message: "busy" }, 503);
      await retrying;
      return json({ message: "bad request" }, 400);
    }
    if (++siteInfo === 3 * sites.length) resolve();
    return json({ message: "down" }, 500);
  });
  const api = createHttpApi({
    baseUrl: parseBaseUrl(server.url, "test"),
    apiKey: new Secret("sentinel-key-5c4b3a"),
    timeoutMs: 5000,
    maxResponseBytes: 1 << 20,
    maxAttempts: 1000,
    deadline: Date.now() + 60_000,
    clock: { ...realClock, sleep: () => Promise.resolve(), random: () => 0.5 },
    logger: memoryLogger(),
    version: "test",
  });
  const report = await runSync(options({ sites, concurrency: 4 }), {
    api,
    logger: memoryLogger(),
  });
  const expected = "GET /outages: the API answered 400: bad request (after 2 attempts)";
  assert.equal(outages, 2);
  assert.ok(siteInfo >= 3 * sites.length);
  assert.equal(report.error?.message, expected);
  assert.deepEqual(report.sites.map((s) => s.error?.message), sites.map(() => expected));
  assert.equal(exitCodeFor(report), 1);
  assert.equal(server.requests.filter((r) => r.method === "POST").length, 0);
});

Deno.test("a failing site-info fails only that site (exit 3)", async () => {
  const api = stubApi({
    sites: { good: { ...realSiteInfo, id: "good" }, bad: serverError("GET /site-info/bad") },
  });
  const report = await runSync(options({ sites: ["good", "bad"] }), {
    api,
    logger: memoryLogger(),
  });
  assert.deepEqual(report.sites.map((s) => s.status), ["posted", "failed"]);
  assert.match(report.sites[1].error?.message ?? "", /GET \/site-info\/bad: the API answered 500/);
  assert.deepEqual(api.calls.filter((c) => c.method === "postSiteOutages").map((c) => c.siteId), [
    "good",
  ]);
  assert.equal(exitCodeFor(report), 3);
});

Deno.test("an unknown site (404) fails with the API's answer", async () => {
  const api = stubApi({});
  const report = await runSync(options({ sites: ["nowhere"] }), { api, logger: memoryLogger() });
  assert.equal(report.sites[0].status, "failed");
  assert.match(report.sites[0].error?.message ?? "", /404/);
  assert.equal(exitCodeFor(report), 1);
});

Deno.test("a failing POST fails the site and is reported", async () => {
  const api = stubApi({
    post: { "norwich-pear-tree": serverError("POST /site-outages/norwich-pear-tree") },
  });
  const report = await runSync(options(), { api, logger: memoryLogger() });
  assert.equal(report.sites[0].status, "failed");
  assert.equal(report.sites[0].kept, 10);
  assert.match(report.sites[0].error?.message ?? "", /POST \/site-outages\/norwich-pear-tree/);
});

const withInvalid = () => {
  const outages = structuredClone(realOutages) as Record<string, unknown>[];
  outages[3] = { ...outages[3], begin: "2022-06-01T00:00:00" };
  outages.push("not an outage" as unknown as Record<string, unknown>);
  return outages;
};

Deno.test("invalid outage records fail the run and nothing is posted", async () => {
  const api = stubApi({ outages: withInvalid() });
  const logger = memoryLogger();
  const report = await runSync(options(), { api, logger });
  assert.equal(api.calls.filter((c) => c.method === "postSiteOutages").length, 0);
  assert.equal(report.sites[0].status, "failed");
  assert.equal(
    report.sites[0].error?.message,
    'GET /outages: item 3, field "begin": not an RFC 3339 timestamp with offset: "2022-06-01T00:00:00" ' +
      "(and 1 more invalid records); nothing was posted (--skip-invalid skips such records)",
  );
  assert.equal(report.outagesInvalid, 2);
  assert.equal(report.outagesFetched, realOutages.length + 1);
  assert.equal(logger.lines.filter((l) => l.msg === "invalid outage").length, 2);
});

Deno.test("--skip-invalid skips, counts and warns about each invalid record", async () => {
  const api = stubApi({ outages: withInvalid() });
  const logger = memoryLogger();
  const report = await runSync(options({ skipInvalid: true }), { api, logger });
  assert.equal(report.sites[0].status, "posted");
  assert.equal(report.outagesInvalid, 2);
  assert.equal(
    logger.lines.filter((l) => l.level === "warn" && l.msg === "skipping invalid outage").length,
    2,
  );
  const posted = api.calls.find((c) => c.method === "postSiteOutages");
  // Item 3 belongs to another device, so the payload is unchanged.
  assert.equal(JSON.stringify(posted?.payload), JSON.stringify(realExpected));
});

Deno.test("an outages body that is not an array fails the fetch", async () => {
  const api = stubApi({ outages: { outages: [] } });
  const report = await runSync(options(), { api, logger: memoryLogger() });
  assert.equal(
    report.sites[0].error?.message,
    "GET /outages: expected a JSON array of outages, got an object",
  );
});

Deno.test("an invalid site-info fails the site with the path of the problem", async () => {
  const site = structuredClone(realSiteInfo) as Record<string, unknown>;
  (site.devices as Record<string, unknown>[])[2].name = 7;
  const api = stubApi({ sites: { "norwich-pear-tree": site } });
  const report = await runSync(options(), { api, logger: memoryLogger() });
  assert.equal(
    report.sites[0].error?.message,
    'GET /site-info/norwich-pear-tree: device 2, field "name": expected a string, got a number',
  );
  assert.equal(api.calls.filter((c) => c.method === "postSiteOutages").length, 0);
});

Deno.test("conflicting duplicate device names fail the site, naming the id", async () => {
  const site = structuredClone(realSiteInfo);
  site.devices.push({ id: site.devices[0].id, name: "Not Battery 1" });
  const report = await runSync(options(), {
    api: stubApi({ sites: { "norwich-pear-tree": site } }),
    logger: memoryLogger(),
  });
  assert.match(
    report.sites[0].error?.message ?? "",
    new RegExp(`device "${site.devices[0].id}" is listed twice`),
  );
});

Deno.test("an empty payload is skipped unless --post-empty", async (t) => {
  const late = options({ since: parseSince("2030-01-01T00:00:00Z") });
  await t.step("skipped-empty, no POST, exit 0", async () => {
    const api = stubApi({});
    const report = await runSync(late, { api, logger: memoryLogger() });
    assert.equal(report.sites[0].status, "skipped-empty");
    assert.equal(api.calls.filter((c) => c.method === "postSiteOutages").length, 0);
    assert.equal(exitCodeFor(report), 0);
  });
  await t.step("--post-empty posts []", async () => {
    const api = stubApi({});
    const report = await runSync({ ...late, postEmpty: true }, { api, logger: memoryLogger() });
    assert.equal(report.sites[0].status, "posted");
    assert.deepEqual(api.calls.find((c) => c.method === "postSiteOutages")?.payload, []);
  });
});

Deno.test("--skip-invalid --post-empty: a site whose every record was skipped fails, posting nothing", async (t) => {
  // "skipped" has two devices, and every record naming them is invalid; d-3's is valid but old.
  const skipped = {
    id: "skipped",
    name: "Skipped",
    devices: [{ id: "d-1", name: "One" }, { id: "d-2", name: "Two" }, { id: "d-1", name: "One" }],
  };
  const old = { id: "old", name: "Old", devices: [{ id: "d-3", name: "Three" }] };
  const outages = [
    ...(realOutages as unknown[]),
    { id: "d-1", begin: "yesterday", end: "2022-01-01T00:00:00Z" },
    { id: "d-2", begin: "2022-02-01T00:00:00Z", end: null },
    { id: "d-1", begin: "2022-02-01T00:00:00Z" },
    { id: "d-3", begin: "2021-01-01T00:00:00Z", end: "2021-01-02T00:00:00Z" },
    { id: "d-3", begin: "2022-02-01T00:00:00Z", end: 0 },
  ];
  // Two sites are filtered by a scan, four through the index: both paths are checked.
  for (const extra of [[], ["fleet-a", "fleet-b"]]) {
    await t.step(`${2 + extra.length} sites`, async () => {
      const sites: Record<string, unknown> = {
        skipped,
        "norwich-pear-tree": realSiteInfo,
        old,
      };
      for (const id of extra) sites[id] = { ...realSiteInfo, id };
      const api = stubApi({ outages, sites });
      const report = await runSync(
        options({ sites: Object.keys(sites), skipInvalid: true, postEmpty: true }),
        { api, logger: memoryLogger() },
      );
      const [first, real, third] = report.sites;
      assert.equal(first.status, "failed");
      assert.equal(
        first.error?.message,
        "GET /outages: all 3 of this site's outage records were invalid and skipped " +
          "(--skip-invalid); nothing was posted, rather than an empty list (the log lists the " +
          "invalid records)",
      );
      assert.equal(real.status, "posted");
      // A site with a valid record that the cut-off dropped has a true empty payload.
      assert.equal(third.status, "posted");
      assert.equal(third.droppedBeforeSince, 1);
      const posts = api.calls.filter((c) => c.method === "postSiteOutages");
      assert.deepEqual(posts.map((c) => c.siteId), ["norwich-pear-tree", "old", ...extra]);
      assert.deepEqual(posts[1].payload, []);
      assert.equal(exitCodeFor(report), 3);
    });
  }
  await t.step(
    "one skipped record, without --post-empty: failed too, not skipped-empty",
    async () => {
      const api = stubApi({ outages: outages.slice(0, -4), sites: { skipped } });
      const report = await runSync(options({ sites: ["skipped"], skipInvalid: true }), {
        api,
        logger: memoryLogger(),
      });
      assert.equal(report.sites[0].status, "failed");
      assert.match(
        report.sites[0].error?.message ?? "",
        /^GET \/outages: the only outage record of this site was invalid and skipped/,
      );
      assert.equal(api.calls.filter((c) => c.method === "postSiteOutages").length, 0);
    },
  );
});

Deno.test("--skip-invalid: too many distinct invalid ids to count, a site that kept nothing fails", async () => {
  // More distinct invalid ids than are counted one by one: "quiet" (no outage at all) cannot be
  // told from a site whose records were among the uncounted ones, so it fails rather than post [].
  const outages = [
    ...(realOutages as unknown[]),
    ...Array.from({ length: MAX_INVALID_IDS + 1 }, (_, i) => ({ id: `x${i}`, begin: "bad" })),
  ];
  const quiet = { id: "quiet", name: "Quiet", devices: [{ id: "q-1", name: "Q" }] };
  const api = stubApi({ outages, sites: { quiet, "norwich-pear-tree": realSiteInfo } });
  const report = await runSync(
    options({ sites: ["quiet", "norwich-pear-tree"], skipInvalid: true, postEmpty: true }),
    { api, logger: memoryLogger() },
  );
  assert.equal(report.sites[0].status, "failed");
  assert.match(
    report.sites[0].error?.message ?? "",
    /^GET \/outages: this site kept nothing, and 1 invalid records were skipped \(--skip-invalid\) whose devices were not counted/,
  );
  assert.equal(report.sites[1].status, "posted");
  const posts = api.calls.filter((c) => c.method === "postSiteOutages");
  assert.deepEqual(posts.map((c) => c.siteId), ["norwich-pear-tree"]);
});

Deno.test("a dry run posts nothing and reports the payload", async () => {
  const api = stubApi({});
  const report = await runSync(options({ mode: "dry-run" }), { api, logger: memoryLogger() });
  assert.equal(api.calls.filter((c) => c.method === "postSiteOutages").length, 0);
  assert.equal(report.sites[0].status, "dry-run");
  assert.equal(report.dryRun, true);
  assert.deepEqual(report.sites[0].payload, realExpected);
  assert.equal(exitCodeFor(report), 0);
});

Deno.test("an aborted run starts no POST", async () => {
  const controller = new AbortController();
  const base = stubApi({});
  const api = {
    ...base,
    async getSiteInfo(siteId: string) {
      const info = await base.getSiteInfo(siteId);
      controller.abort(new Error("interrupted by SIGTERM"));
      return info;
    },
  };
  const report = await runSync(options(), {
    api,
    logger: memoryLogger(),
    signal: controller.signal,
  });
  assert.equal(base.calls.filter((c) => c.method === "postSiteOutages").length, 0);
  assert.equal(report.sites[0].status, "failed");
  assert.match(report.sites[0].error?.message ?? "", /interrupted before the POST/);
});

Deno.test("check refuses a feed a sync would refuse; with skipInvalid it skips as a sync would", async () => {
  const outages = structuredClone(realOutages) as unknown[];
  outages.push({ id: "broken" });
  const strict = await runSync(options({ mode: "check" }), {
    api: stubApi({ outages }),
    logger: memoryLogger(),
  });
  assert.equal(strict.sites[0].status, "failed");
  assert.equal(exitCodeFor(strict), 1);
  const api = stubApi({ outages });
  const logger = memoryLogger();
  const report = await runSync(options({ mode: "check", skipInvalid: true }), { api, logger });
  assert.equal(api.calls.filter((c) => c.method === "postSiteOutages").length, 0);
  assert.equal(report.dryRun, true);
  assert.equal(report.outagesInvalid, 1);
  assert.deepEqual(report.sites[0], {
    siteId: "norwich-pear-tree",
    siteName: "Norwich Pear Tree",
    status: "checked",
    kept: 0,
    droppedBeforeSince: 0,
    droppedUnknownDevice: 0,
    devices: realSiteInfo.devices.length,
  });
  assert.equal(logger.lines.filter((l) => l.level === "warn").length, 1);
  assert.equal(exitCodeFor(report), 0);
});

Deno.test("more invalid records than are listed: the rest are counted in one line", async () => {
  const outages = Array.from({ length: MAX_INVALID_LOGGED + 5 }, (_, i) => ({ id: `x${i}` }));
  const logger = memoryLogger();
  const report = await runSync(options({ skipInvalid: true }), {
    api: stubApi({ outages }),
    logger,
  });
  assert.equal(report.outagesInvalid, MAX_INVALID_LOGGED + 5);
  const warnings = logger.lines.filter((l) => l.level === "warn");
  assert.equal(warnings.length, MAX_INVALID_LOGGED + 1);
  assert.equal(warnings.at(-1)?.msg, "5 more invalid outages not listed");
});

Deno.test("a run interrupted before a site starts fails that site without a request", async () => {
  const api = stubApi({});
  const report = await runSync(options(), {
    api,
    logger: memoryLogger(),
    signal: AbortSignal.abort(new Error("interrupted by SIGINT")),
  });
  assert.equal(report.sites[0].status, "failed");
  assert.match(report.sites[0].error?.message ?? "", /interrupted before this site was started/);
  assert.deepEqual(api.calls.map((c) => c.method), ["getOutages"]);
});
