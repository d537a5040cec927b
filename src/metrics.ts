/**
 * Prometheus text-format metrics for node_exporter's textfile collector (`--metrics-file`),
 * rendered from a run's report and written atomically.
 * @module
 */

import { type FileWriter, refuseToReplace, writeFileAtomically } from "./atomic_file.ts";
import { SITE_STATUSES } from "./outcome.ts";
import type { RunReport, SiteReport } from "./report.ts";

/** What the metrics describe besides the report. */
export interface RunFacts {
  /** Attempts made across every request of the run. */
  attempts: number;
  /** Of those, how many were retries. */
  retries: number;
  /** The exit code the run ends with. */
  exitCode: number;
  /** When the run ended, epoch milliseconds. */
  endedAt: number;
  /** The previous file's last success time (seconds), kept when this run did not succeed. */
  previousLastSuccess: number | undefined;
}

function label(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** One sample of a metric: its labels (`{site="a"}`, or "" for none) and its value. */
type Sample = [labels: string, value: number];

/** The lines of one gauge: its help, its type and its samples. */
function gauge(name: string, help: string, samples: readonly Sample[]): string[] {
  return [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} gauge`,
    ...samples.map(([labels, value]) => `${name}${labels} ${value}`),
  ];
}

/** What is rendered of a report: a run that never started (a usage error) has no site. */
type ReportFigures = Pick<RunReport, "sites" | "outagesFetched" | "outagesInvalid" | "durationMs">;

/** The metrics text for a finished run. */
export function renderMetrics(found: RunReport | undefined, facts: RunFacts): string {
  // A run that never started (a usage error) has no site and nothing fetched.
  const report = found ?? { sites: [], outagesFetched: 0, outagesInvalid: 0, durationMs: 0 };
  return [...siteMetrics(report.sites), ...runMetrics(report, facts)].join("\n") + "\n";
}

/** The per-site gauges: status, outages posted, kept and dropped, and the last change. */
function siteMetrics(sites: readonly SiteReport[]): string[] {
  const site = (s: SiteReport) => `site="${label(s.siteId)}"`;
  const perSite = (value: (s: SiteReport) => number): Sample[] =>
    sites.map((s) => [`{${site(s)}}`, value(s)]);
  const changed = sites.filter((s) => s.lastChange !== undefined);
  return [
    ...gauge(
      "outage_sync_site_status",
      "Status of the site in the last run: 1 for the status it ended with, 0 for the others.",
      sites.flatMap((s) =>
        SITE_STATUSES.map((status): Sample => [
          `{${site(s)},status="${status}"}`,
          s.status === status ? 1 : 0,
        ])
      ),
    ),
    ...gauge(
      "outage_sync_site_outages_posted",
      "Outages posted for the site in the last run (0 unless it was posted).",
      perSite((s) => s.status === "posted" ? s.kept : 0),
    ),
    ...gauge(
      "outage_sync_site_outages_kept",
      "Outages kept for the site in the last run.",
      perSite((s) => s.kept),
    ),
    ...gauge(
      "outage_sync_site_outages_dropped",
      "Outages dropped for the site in the last run, by reason.",
      sites.flatMap((s): Sample[] => [
        [`{${site(s)},reason="before_since"}`, s.droppedBeforeSince],
        [`{${site(s)},reason="unknown_device"}`, s.droppedUnknownDevice],
      ]),
    ),
    ...(changed.length === 0 ? [] : gauge(
      "outage_sync_site_last_change_timestamp_seconds",
      "When the payload the API accepted for the site last changed (with a state directory).",
      changed.map((s) => [`{${site(s)}}`, Date.parse(s.lastChange as string) / 1000]),
    )),
  ];
}

/** The gauges of the run as a whole: what was fetched, how long, attempts, exit and success. */
function runMetrics(report: ReportFigures, facts: RunFacts): string[] {
  // 0 until a first success, so that `time() - …` alerts on a job that has never succeeded.
  const lastSuccess = facts.exitCode === 0 ? facts.endedAt / 1000 : facts.previousLastSuccess ?? 0;
  const one = (name: string, help: string, value: number) => gauge(name, help, [["", value]]);
  return [
    ...one(
      "outage_sync_outages_fetched",
      "Outage records in GET /outages in the last run.",
      report.outagesFetched,
    ),
    ...one(
      "outage_sync_outages_invalid",
      "Invalid outage records in the last run.",
      report.outagesInvalid,
    ),
    ...one(
      "outage_sync_run_duration_seconds",
      "Duration of the last run.",
      report.durationMs / 1000,
    ),
    ...one(
      "outage_sync_run_attempts",
      "HTTP attempts made in the last run, retries included.",
      facts.attempts,
    ),
    ...one("outage_sync_run_retries", "HTTP retries made in the last run.", facts.retries),
    ...one("outage_sync_run_exit_code", "Exit code of the last run.", facts.exitCode),
    ...one("outage_sync_run_timestamp_seconds", "When the last run ended.", facts.endedAt / 1000),
    ...one(
      "outage_sync_last_success_timestamp_seconds",
      "When a run last ended with exit code 0 (0: never).",
      lastSuccess,
    ),
  ];
}

/** The last success time recorded in an earlier metrics file, if any. */
export function previousLastSuccess(text: string | undefined): number | undefined {
  const match = text?.match(/^outage_sync_last_success_timestamp_seconds (\S+)$/m);
  const value = match === null || match === undefined ? NaN : Number(match[1]);
  return Number.isFinite(value) ? value : undefined;
}

/** The file operations the metrics file needs, injected for tests. */
export interface MetricsFs extends FileWriter {
  /** A file's text, or `undefined` when it does not exist. */
  readTextFile(path: string): string | undefined;
}

/**
 * Writes the metrics of a finished run to `path`, keeping the last success time of the file it
 * replaces when this run did not succeed. Throws when the file cannot be written.
 */
export async function writeMetricsFile(
  path: string,
  report: RunReport | undefined,
  facts: Omit<RunFacts, "previousLastSuccess">,
  fs: MetricsFs,
): Promise<void> {
  let previous: string | undefined;
  try {
    previous = fs.readTextFile(path);
  } catch {
    previous = undefined; // Unreadable: the last success time starts afresh.
  }
  const text = renderMetrics(report, {
    ...facts,
    previousLastSuccess: previousLastSuccess(previous),
  });
  await writeFileAtomically(path, text, fs);
}

/**
 * Proves before any request that `path` can take the metrics file, writing nothing there: it must
 * be a regular file or absent, and its directory must take a new file (the atomic write's
 * temporary file, tried and removed). Throws what the write at the end would have thrown.
 */
export async function checkMetricsPath(path: string, fs: FileWriter): Promise<void> {
  await refuseToReplace(path, fs);
  const probe = `${path}.${crypto.randomUUID().slice(0, 8)}.probe.tmp`;
  await fs.writeTextFile(probe, "", 0o600);
  await fs.remove(probe);
}
