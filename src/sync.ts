/**
 * The sync (docs/spec.md §1, §3, §7, §13): fetch the outages once and each site's info, filter and enrich,
 * validate, and post — each site independently, several at a time. Sees the API only through
 * {@link OutageApi}. With many sites, the outages are grouped by device once (`outage_index.ts`),
 * so that each site costs what its own devices cost; once `GET /outages` has failed for good, no
 * site request starts and every site not yet done fails at once with that cause.
 * @module
 */

import type { OutageApi } from "./outage_api.ts";
import { describeError, Interrupted, NotStarted, ValidationError } from "./errors.ts";
import { deviceNames, filterSiteOutages, type SiteOutages, skippedForSite } from "./filter.ts";
import type { Logger } from "./logger.ts";
import { traceSite } from "./tracing.ts";
import { MAX_INDEXED_DEVICES, OutageIndex } from "./outage_index.ts";
import { MAX_INVALID_IDS } from "./outage_feed.ts";
import type { RunMode } from "./outcome.ts";
import { Pacer } from "./pacer.ts";
import type { RepostReason, RunReport, SiteReport } from "./report.ts";
import type { Since } from "./timestamp.ts";
import type { EnhancedOutage, SiteInfo } from "./api_shapes.ts";
import type { OutageTable } from "./outage_table.ts";
import {
  payloadChanges,
  payloadDigest,
  type SiteState,
  STATE_FORMAT,
  type StateStore,
  type Verdict,
  verdict,
} from "./state.ts";
import { describeInvalidOutage, validatePayload, validateSiteInfo } from "./validate.ts";

/** Why a payload the API may already hold is posted again; `undefined` when it is new or changed. */
function repostReason(why: Verdict, stateUnreadable: boolean): RepostReason | undefined {
  if (why === "forced") return "force";
  if (why === "stale") return "repost-after";
  return why === "first" && stateUnreadable ? "state-unreadable" : undefined;
}

/** What the sync needs to know (a subset of the resolved configuration). */
export interface SyncOptions {
  readonly sites: readonly string[];
  readonly since: Since;
  /** Shown in the report. */
  readonly baseUrl: string;
  /** `check` fetches and validates as a sync would and reports each site's devices. */
  readonly mode: RunMode;
  readonly skipInvalid: boolean;
  readonly postEmpty: boolean;
  readonly concurrency: number;
  /** With a state store: re-post an unchanged payload once its last POST is this old (0: always). */
  readonly repostAfterMs?: number;
  /** With a state store: post even an unchanged payload. */
  readonly force?: boolean;
  /** List the added and removed outages in the report (dry runs and `--verbose`). */
  readonly listChanges?: boolean;
}

/** The world the sync runs in. */
export interface SyncContext {
  readonly api: OutageApi;
  readonly logger: Logger;
  /** Aborted on SIGINT/SIGTERM: in-flight requests stop and no new POST starts. */
  readonly signal?: AbortSignal;
  readonly now?: () => number;
  /** Paces the sites in flight when the API answers 429 (default: `concurrency` lanes, unpaced). */
  readonly pacer?: Pacer;
  /** Each site's last accepted payload (default: none, and no change detection). */
  readonly state?: StateStore;
}

/**
 * From this many sites on, the outages are grouped by device once rather than scanned once per
 * site: building the index costs about what three scans cost at a million outages
 * (docs/benchmarks.md, "Fleets").
 */
export const INDEX_FROM_SITES = 4;

interface FetchedOutages {
  outages: OutageTable;
  /** The skipped invalid records, counted per device id (`OutageFeed.invalidByDevice`). */
  invalidByDevice: ReadonlyMap<string, number>;
  /** Skipped records that could not be counted under their device (`OutageFeed`). */
  invalidUnattributed: number;
}

/** Runs `worker` over `items` with at most `limit` at a time, keeping results in item order. */
async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  worker: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index]);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * How many sites may be under way (their site-info fetched, say, and waiting for `GET /outages`)
 * for each site in flight: sites ahead fetch their info while the outages still download, and hold
 * no slot while they wait.
 */
const LOOKAHEAD = 4;

/**
 * Fetches the outages. Invalid records fail the run unless `skipInvalid`, in which case each is
 * warned about (the first hundred, `INVALID_SAMPLES`) and counted. A body with records but no valid
 * one fails whatever `skipInvalid` says: skipped records never lead to an empty POST.
 */
async function fetchOutages(
  options: SyncOptions,
  context: SyncContext,
  counts: { fetched: number; invalid: number },
): Promise<FetchedOutages> {
  const feed = await context.api.getOutages(context.signal);
  const skipInvalid = options.skipInvalid;
  counts.fetched = feed.total;
  counts.invalid = feed.invalidCount;
  const samples = feed.invalidSamples;
  const log = skipInvalid ? context.logger.warn : context.logger.error;
  for (const entry of samples) {
    log(skipInvalid ? "skipping invalid outage" : "invalid outage", {
      detail: describeInvalidOutage(entry),
    });
  }
  if (feed.invalidCount > samples.length) {
    log(`${feed.invalidCount - samples.length} more invalid outages not listed`);
  }
  if (feed.invalidCount > 0 && (!skipInvalid || feed.outages.length === 0)) {
    const more = feed.invalidCount > 1
      ? ` (and ${feed.invalidCount - 1} more invalid records)`
      : "";
    const why = skipInvalid
      ? `; none of the ${feed.total} records is valid, so nothing was posted`
      : "; nothing was posted (--skip-invalid skips such records)";
    throw new ValidationError(`${describeInvalidOutage(samples[0])}${more}${why}`);
  }
  context.logger.info("outages fetched", { count: feed.total, invalid: feed.invalidCount });
  return {
    outages: feed.outages,
    invalidByDevice: feed.invalidByDevice,
    invalidUnattributed: feed.invalidUnattributed,
  };
}

/**
 * Fails a site whose every outage record was invalid and skipped: its empty payload would say
 * "no outages" of devices that had some. A site with valid records that the cut-off dropped has a
 * true empty payload. When the feed held too many distinct invalid ids to count each, an empty
 * site cannot be told from one whose records were all skipped, so it fails too.
 */
function refuseAllSkipped(result: SiteOutages, skipped: number, unattributed: number): void {
  if (result.payload.length > 0 || result.droppedBeforeSince > 0) return;
  if (skipped === 0 && unattributed > 0) {
    throw new ValidationError(
      `GET /outages: this site kept nothing, and ${unattributed} invalid records were skipped ` +
        `(--skip-invalid) whose devices were not counted (more than ${MAX_INVALID_IDS} distinct ` +
        "ids): some may have been this site's, so nothing was posted rather than a possibly " +
        "wrong empty list",
    );
  }
  if (skipped === 0) return;
  const all = skipped === 1
    ? "the only outage record of this site was"
    : `all ${skipped} of this site's outage records were`;
  throw new ValidationError(
    `GET /outages: ${all} invalid and skipped (--skip-invalid); nothing was posted, rather than ` +
      "an empty list (the log lists the invalid records)",
  );
}

/** How `GET /outages` ended: its records, or the error that failed it for good. */
type OutagesResult =
  | { readonly ok: true; readonly value: FetchedOutages }
  | { readonly ok: false; readonly error: unknown };

/**
 * One run as every site's sync sees it: the options and context it was given, and what the sites
 * share — the one `GET /outages`, the slots for requests, the outage index, and the causes of the
 * sites that failed.
 */
interface Run {
  readonly options: SyncOptions;
  readonly context: SyncContext;
  readonly now: () => number;
  /** Aborted with GET /outages' error once it has failed for good: no site request starts after. */
  readonly fleet: AbortController;
  /** The run's signal and the fleet's: what a site-info request is cut short by. */
  readonly siteSignal: AbortSignal;
  /** What GET /outages fetched, and how many records were invalid, for the report. */
  readonly counts: { fetched: number; invalid: number };
  readonly outages: Promise<OutagesResult>;
  /** At most `concurrency` sites have a request in flight (fewer while the API answers 429). */
  readonly slots: Pacer;
  /** The cut-off as an instant (epoch nanoseconds, as text), as the state records it. */
  readonly sinceInstant: string;
  /** The outages grouped by device, built by the first site that needs it. */
  index?: OutageIndex;
  /** Each cause of a failed site (its id left out), and how many more sites failed of it. */
  readonly causes: Map<string, number>;
}

/** The site's last accepted state, the digest of this payload, and the verdict on posting it. */
interface Known {
  readonly previous: SiteState | undefined;
  readonly digest: string;
  readonly verdict: Verdict;
}

/** Runs the sync for every configured site and returns the report; never throws for API failures. */
export async function runSync(options: SyncOptions, context: SyncContext): Promise<RunReport> {
  const now = context.now ?? Date.now;
  const started = now();
  const run = startRun(options, context, now);
  const lanes = options.concurrency * LOOKAHEAD;
  const sites = await mapConcurrent(
    options.sites,
    lanes,
    (siteId) => traceSite(siteId, () => syncSite(run, siteId)),
  );
  logRepeatedCauses(run);
  return await runReport(run, sites, started);
}

/** Starts the run's one `GET /outages`, so that it runs alongside the first site-info requests. */
function startRun(options: SyncOptions, context: SyncContext, now: () => number): Run {
  const { signal } = context;
  const fleet = new AbortController();
  const siteSignal = signal === undefined ? fleet.signal : AbortSignal.any([signal, fleet.signal]);
  const counts = { fetched: 0, invalid: 0 };
  const outages = fetchOutages(options, context, counts).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => {
      fleet.abort(error);
      return { ok: false as const, error };
    },
  );
  const slots = context.pacer ??
    new Pacer(options.concurrency, { now, sleep: () => Promise.resolve() });
  return {
    options,
    context,
    now,
    fleet,
    siteSignal,
    counts,
    outages,
    slots,
    sinceInstant: String(options.since.epochNanoseconds),
    causes: new Map(),
  };
}

/**
 * One site's sync, from its site-info to its POST, as `report` tells it; never throws: a failure
 * is the site's status and error.
 */
async function syncSite(run: Run, siteId: string): Promise<SiteReport> {
  const { options, context } = run;
  const report: SiteReport = {
    siteId,
    siteName: null,
    status: "failed",
    kept: 0,
    droppedBeforeSince: 0,
    droppedUnknownDevice: 0,
  };
  try {
    if (context.signal?.aborted) {
      throw new NotStarted("interrupted before this site was started; nothing was posted");
    }
    const where = siteInfoEndpoint(siteId);
    const site = await readSiteInfo(run, siteId, where);
    report.siteName = site.name;
    // A device listed under two names fails the site here, or in the index's own check.
    const names = indexed(run, site) ? undefined : deviceNames(site, where);
    context.logger.debug("site info fetched", { site: siteId, devices: site.devices.length });
    const fetched = await run.outages;
    if (!fetched.ok) throw fetched.error;
    if (options.mode === "check") {
      report.status = "checked";
      report.devices = site.devices.length;
      return report;
    }
    const payload = sitePayload(run, site, names, fetched.value, report);
    await deliver(run, siteId, payload, report);
  } catch (error) {
    failSite(run, report, error);
  }
  return report;
}

/** The site-info request, as errors name it. */
function siteInfoEndpoint(siteId: string): string {
  return `GET /site-info/${encodeURIComponent(siteId)}`;
}

/** Fetches (in a slot) and validates a site's info; `where` names the request in errors. */
async function readSiteInfo(run: Run, siteId: string, where: string): Promise<SiteInfo> {
  const { fleet, context: { signal } } = run;
  let body: unknown;
  const release = await run.slots.acquire();
  try {
    if (fleet.signal.aborted) throw fleet.signal.reason;
    body = await run.context.api.getSiteInfo(siteId, run.siteSignal);
  } catch (error) {
    // Cut short because GET /outages failed: that is the cause to report.
    throw fleet.signal.aborted && !signal?.aborted ? fleet.signal.reason : error;
  } finally {
    release();
  }
  return validateSiteInfo(body, siteId, where);
}

/** Whether the site's payload is found through the outage index rather than by a scan. */
function indexed(run: Run, site: SiteInfo): boolean {
  return run.options.sites.length >= INDEX_FROM_SITES &&
    site.devices.length < MAX_INDEXED_DEVICES && run.options.mode !== "check";
}

/**
 * The site's validated payload, its counts written to `report`: through the index for a fleet, by
 * a scan (with `names`) otherwise.
 */
function sitePayload(
  run: Run,
  site: SiteInfo,
  names: Map<string, string> | undefined,
  fetched: FetchedOutages,
  report: SiteReport,
): EnhancedOutage[] {
  const { since } = run.options;
  const where = siteInfoEndpoint(site.id);
  let result: SiteOutages;
  if (names !== undefined) {
    result = filterSiteOutages(fetched.outages, names, since);
  } else {
    run.index ??= new OutageIndex(fetched.outages);
    result = run.index.filterDevices(site.devices, since, where);
  }
  report.kept = result.payload.length;
  report.droppedBeforeSince = result.droppedBeforeSince;
  report.droppedUnknownDevice = result.droppedUnknownDevice;
  const skipped = skippedForSite(site.devices, fetched.invalidByDevice);
  refuseAllSkipped(result, skipped, fetched.invalidUnattributed);
  validatePayload(result.payload, `POST /site-outages/${encodeURIComponent(site.id)}`);
  return result.payload;
}

/**
 * Posts the site's payload, unless this is a dry run, the payload is empty (without
 * `--post-empty`), or the state store knows the API already holds it; `report` says which.
 */
async function deliver(
  run: Run,
  siteId: string,
  payload: EnhancedOutage[],
  report: SiteReport,
): Promise<void> {
  const { options, context: { logger } } = run;
  const known = run.context.state === undefined
    ? undefined
    : await compare(run, siteId, payload, report);
  if (options.mode === "dry-run") {
    report.status = "dry-run";
    report.payload = payload;
  } else if (payload.length === 0 && !options.postEmpty) {
    report.status = "skipped-empty";
    logger.info("nothing to post", { site: siteId });
  } else if (known?.verdict === "unchanged") {
    report.status = "unchanged";
    report.lastChange = known.previous?.changedAt;
    logger.info("unchanged: not posted again", { site: siteId, outages: payload.length });
  } else {
    await post(run, siteId, payload);
    report.status = "posted";
    logger.info("posted", { site: siteId, outages: payload.length });
    if (known !== undefined) await record(run, siteId, payload, known, report);
  }
}

/** Posts the payload in a slot; an interruption while waiting for the slot posts nothing. */
async function post(run: Run, siteId: string, payload: readonly EnhancedOutage[]): Promise<void> {
  const { signal } = run.context;
  const release = await run.slots.acquire();
  try {
    if (signal?.aborted) {
      throw new NotStarted("interrupted before the POST; nothing was posted");
    }
    await run.context.api.postSiteOutages(siteId, payload, signal);
  } finally {
    release();
  }
}

/** The site's last accepted state, the verdict on this payload, and the changes it brings. */
async function compare(
  run: Run,
  siteId: string,
  payload: readonly EnhancedOutage[],
  report: SiteReport,
): Promise<Known> {
  const { options } = run;
  const stored = await run.context.state?.read(siteId);
  const previous = stored ?? undefined;
  const digest = payloadDigest(payload);
  const candidate = { baseUrl: options.baseUrl, sinceInstant: run.sinceInstant, digest };
  const known = {
    previous,
    digest,
    verdict: verdict(previous, candidate, {
      now: run.now(),
      repostAfterMs: options.repostAfterMs ?? 0,
      force: options.force ?? false,
    }),
  };
  const comparable = previous !== undefined && previous.baseUrl === options.baseUrl;
  const { added, removed } = payloadChanges(comparable ? previous.payload : [], payload);
  report.changes = {
    added: added.length,
    removed: removed.length,
    since: comparable ? previous.postedAt : null,
    ...(options.listChanges ? { addedOutages: added, removedOutages: removed } : {}),
  };
  const reason = repostReason(known.verdict, stored === null);
  if (reason !== undefined) report.changes.reason = reason;
  return known;
}

/** Records what the API just accepted; a failure only means the next run posts again. */
async function record(
  run: Run,
  siteId: string,
  payload: readonly EnhancedOutage[],
  known: Known,
  report: SiteReport,
): Promise<void> {
  const { options, sinceInstant } = run;
  const same = known.previous !== undefined && known.previous.digest === known.digest &&
    known.previous.baseUrl === options.baseUrl && known.previous.sinceInstant === sinceInstant;
  const postedAt = new Date(run.now()).toISOString();
  const changedAt = same ? known.previous?.changedAt ?? postedAt : postedAt;
  report.lastChange = changedAt;
  try {
    await run.context.state?.write({
      format: STATE_FORMAT,
      baseUrl: options.baseUrl,
      siteId,
      since: options.since.text,
      sinceInstant,
      digest: known.digest,
      count: payload.length,
      postedAt,
      changedAt,
      payload,
    });
  } catch (error) {
    run.context.logger.warn("cannot record what was posted: the next run posts it again", {
      site: siteId,
      error: describeError(error).message,
    });
  }
}

/**
 * Marks the site failed with `error`. A dead API fails every site the same way: one error line for
 * each cause, not per site (the repeats are counted, and logged at debug level).
 */
function failSite(run: Run, report: SiteReport, error: unknown): void {
  const { logger } = run.context;
  report.status = "failed";
  report.error = describeError(error);
  const cause = report.error.message.replaceAll(
    `/${encodeURIComponent(report.siteId)}:`,
    "/{site}:",
  );
  const repeats = run.causes.get(cause);
  run.causes.set(cause, (repeats ?? -1) + 1);
  (repeats === undefined ? logger.error : logger.debug)("site failed", {
    site: report.siteId,
    error: report.error.message,
  });
}

/** One line for each cause that failed more than one site, with how many more it failed. */
function logRepeatedCauses(run: Run): void {
  for (const [cause, repeats] of run.causes) {
    if (repeats > 0) {
      run.context.logger.info("more sites failed the same way", { sites: repeats, error: cause });
    }
  }
}

/** The run's report, once every site is done; `started` is when the run began. */
async function runReport(run: Run, sites: SiteReport[], started: number): Promise<RunReport> {
  const { options, context: { signal } } = run;
  const outages = await run.outages;
  const interrupted = signal?.aborted && signal.reason instanceof Interrupted
    ? signal.reason.signal
    : undefined;
  return {
    ok: sites.every((site) => site.status !== "failed"),
    mode: options.mode,
    dryRun: options.mode !== "sync",
    since: options.since.text,
    baseUrl: options.baseUrl,
    outagesFetched: run.counts.fetched,
    outagesInvalid: run.counts.invalid,
    durationMs: Math.round(run.now() - started),
    sites,
    ...(interrupted === undefined ? {} : { interrupted }),
    ...(outages.ok ? {} : { error: describeError(outages.error) }),
  };
}
