/**
 * What tracing's hooks cost when `OTEL_DENO` is unset: a site, its request and one attempt,
 * through `src/tracing.ts` against the same callbacks called directly (docs/benchmarks.md).
 * @module
 */

import type { SiteReport } from "../src/report.ts";
import { traceAttempt, traceRequest, traceSite } from "../src/tracing.ts";

const report: SiteReport = {
  siteId: "norwich-pear-tree",
  siteName: null,
  status: "posted",
  kept: 1,
  droppedBeforeSince: 0,
  droppedUnknownDevice: 0,
};
const work = () => Promise.resolve(report);

Deno.bench("site, request, attempt: the callbacks alone", { baseline: true }, async () => {
  await work();
  await work();
  await work();
});

Deno.bench("site, request, attempt: through tracing.ts, OTEL_DENO unset", async () => {
  await traceSite("norwich-pear-tree", work);
  await traceRequest("GET", "site-info/norwich-pear-tree", work);
  await traceAttempt(1, work);
});
