/**
 * The sync (SPEC §1, §3, §7, §13): fetch the outages once and each site's info, filter and enrich,
 * validate, and post — each site independently, several at a time. Sees the API only through
 * {@link OutageApi}. With many sites, the outages are grouped by device once (`outage_index.ts`),
 * so that each site costs what its own devices cost; once `GET /outages` has failed for good, no
 * site request starts and every site not yet done fails at once with that cause.
 * @module
 */

import type { OutageApi } from "./outage_api.ts";
import { describeError, Interrupted, NotStarted, ValidationError } from "./errors.ts";
import { deviceNames, filterSiteOutages, type SiteOutages } from "./filter.ts";
import type { Logger } from "./logger.ts";
import { MAX_INDEXED_DEVICES, OutageIndex } from "./outage_index.ts";
import type { RunMode } from "./outcome.ts";
import { Pacer } from "./pacer.ts";
import type { RunReport, SiteReport } from "./report.ts";
import type { Since } from "./timestamp.ts";
import type { EnhancedOutage, SiteInfo } from "./api_shapes.ts";
import type { OutageTable } from "./outage_table.ts";
import { payloadChanges, payloadDigest, STATE_FORMAT, type StateStore, verdict } from "./state.ts";
import { describeInvalidOutage, validatePayload, validateSiteInfo } from "./validate.ts";

/** What the sync needs to know (a subset of the resolved configuration). */
export interface SyncOptions {
  readonly sites: readonly string[];
  readonly since: Since;
  /** Shown in the report. */
  readonly baseUrl: string;
  /** `check` fetches and validates (skipping invalid records) and reports each site's devices. */
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
  const skipInvalid = options.skipInvalid || options.mode === "check";
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
  return { outages: feed.outages };
}

/** Runs the sync for every configured site and returns the report; never throws for API failures. */
export async function runSync(options: SyncOptions, context: SyncContext): Promise<RunReport> {
  const now = context.now ?? Date.now;
  const started = now();
  const { logger, api, signal } = context;
  // Aborted with GET /outages' error once it has failed for good: no site request starts after.
  const fleet = new AbortController();
  const siteSignal = signal === undefined ? fleet.signal : AbortSignal.any([signal, fleet.signal]);
  // One GET /outages per run, started now so that it runs alongside the first site-info requests.
  const counts = { fetched: 0, invalid: 0 };
  const outagesResult = fetchOutages(options, context, counts).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => {
      fleet.abort(error);
      return { ok: false as const, error };
    },
  );
  // At most `concurrency` sites have a request in flight (fewer while the API answers 429).
  const slots = context.pacer ??
    new Pacer(options.concurrency, { now, sleep: () => Promise.resolve() });
  let index: OutageIndex | undefined;
  const indexed = (site: SiteInfo) =>
    options.sites.length >= INDEX_FROM_SITES && site.devices.length < MAX_INDEXED_DEVICES &&
    options.mode !== "check";
  /** The site's payload: through the index for a fleet, by a scan (with `names`) otherwise. */
  const filter = (
    outages: OutageTable,
    site: SiteInfo,
    names: Map<string, string> | undefined,
    where: string,
  ): SiteOutages => {
    if (names !== undefined) return filterSiteOutages(outages, names, options.since);
    index ??= new OutageIndex(outages);
    return index.filterDevices(site.devices, options.since, where);
  };

  const sinceInstant = String(options.since.epochNanoseconds);
  const nowIso = () => new Date(now()).toISOString();

  /** The site's last accepted state, the verdict on this payload, and the changes it brings. */
  const compare = async (
    siteId: string,
    payload: readonly EnhancedOutage[],
    report: SiteReport,
  ) => {
    const previous = await context.state?.read(siteId);
    const digest = await payloadDigest(payload);
    const known = {
      previous,
      digest,
      verdict: verdict(previous, { baseUrl: options.baseUrl, sinceInstant, digest }, {
        now: now(),
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
    return known;
  };

  /** Records what the API just accepted; a failure only means the next run posts again. */
  const record = async (
    siteId: string,
    payload: readonly EnhancedOutage[],
    known: Awaited<ReturnType<typeof compare>>,
    report: SiteReport,
  ) => {
    const same = known.previous !== undefined && known.previous.digest === known.digest &&
      known.previous.baseUrl === options.baseUrl && known.previous.sinceInstant === sinceInstant;
    const postedAt = nowIso();
    const changedAt = same ? known.previous?.changedAt ?? postedAt : postedAt;
    report.lastChange = changedAt;
    try {
      await context.state?.write({
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
      logger.warn("cannot record what was posted: the next run posts it again", {
        site: siteId,
        error: describeError(error).message,
      });
    }
  };

  const syncSite = async (siteId: string): Promise<SiteReport> => {
    const report: SiteReport = {
      siteId,
      siteName: null,
      status: "failed",
      kept: 0,
      droppedBeforeSince: 0,
      droppedUnknownDevice: 0,
    };
    try {
      if (signal?.aborted) {
        throw new NotStarted("interrupted before this site was started; nothing was posted");
      }
      const where = `GET /site-info/${encodeURIComponent(siteId)}`;
      let body: unknown;
      const release = await slots.acquire();
      try {
        if (fleet.signal.aborted) throw fleet.signal.reason;
        body = await api.getSiteInfo(siteId, siteSignal);
      } catch (error) {
        // Cut short because GET /outages failed: that is the cause to report.
        throw fleet.signal.aborted && !signal?.aborted ? fleet.signal.reason : error;
      } finally {
        release();
      }
      const site = validateSiteInfo(body, siteId, where);
      report.siteName = site.name;
      // A device listed under two names fails the site here, or in the index's own check.
      const names = indexed(site) ? undefined : deviceNames(site, where);
      logger.debug("site info fetched", { site: siteId, devices: site.devices.length });
      const fetched = await outagesResult;
      if (!fetched.ok) throw fetched.error;
      if (options.mode === "check") {
        report.status = "checked";
        report.devices = site.devices.length;
        return report;
      }
      const result = filter(fetched.value.outages, site, names, where);
      report.kept = result.payload.length;
      report.droppedBeforeSince = result.droppedBeforeSince;
      report.droppedUnknownDevice = result.droppedUnknownDevice;
      const postWhere = `POST /site-outages/${encodeURIComponent(siteId)}`;
      validatePayload(result.payload, postWhere);
      const payload = result.payload;
      const known = context.state === undefined
        ? undefined
        : await compare(siteId, payload, report);
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
        const releasePost = await slots.acquire();
        try {
          if (signal?.aborted) {
            throw new NotStarted("interrupted before the POST; nothing was posted");
          }
          await api.postSiteOutages(siteId, payload, signal);
        } finally {
          releasePost();
        }
        report.status = "posted";
        logger.info("posted", { site: siteId, outages: payload.length });
        if (known !== undefined) await record(siteId, payload, known, report);
      }
    } catch (error) {
      report.status = "failed";
      report.error = describeError(error);
      logger.error("site failed", { site: siteId, error: report.error.message });
    }
    return report;
  };

  const lanes = options.concurrency * LOOKAHEAD;
  const sites = await mapConcurrent(options.sites, lanes, syncSite);
  const outages = await outagesResult;
  const interrupted = signal?.aborted && signal.reason instanceof Interrupted
    ? signal.reason.signal
    : undefined;
  return {
    ok: sites.every((site) => site.status !== "failed"),
    mode: options.mode,
    dryRun: options.mode !== "sync",
    since: options.since.text,
    baseUrl: options.baseUrl,
    outagesFetched: counts.fetched,
    outagesInvalid: counts.invalid,
    durationMs: Math.round(now() - started),
    sites,
    ...(interrupted === undefined ? {} : { interrupted }),
    ...(outages.ok ? {} : { error: describeError(outages.error) }),
  };
}
