/**
 * The run's report (SPEC §6): its shape, and its rendering as readable text or as one JSON
 * document. The command writes what this renders to stdout.
 * @module
 */

import type { EnhancedOutage } from "./api_shapes.ts";
import type { SiteStatus } from "./outcome.ts";

/** The outcome for one site. */
export interface SiteReport {
  siteId: string;
  /** The site's display name, once its site-info arrived; `null` before. */
  siteName: string | null;
  status: SiteStatus;
  kept: number;
  droppedBeforeSince: number;
  droppedUnknownDevice: number;
  /** In dry runs: what would have been posted. */
  payload?: EnhancedOutage[];
  /** On failure: what went wrong. */
  error?: string;
  /** `check` only: how many devices the site has. */
  devices?: number;
}

/** The outcome of a run, exactly the fields of SPEC §6. */
export interface RunReport {
  ok: boolean;
  dryRun: boolean;
  since: string;
  baseUrl: string;
  outagesFetched: number;
  outagesInvalid: number;
  durationMs: number;
  sites: SiteReport[];
}

/** The report as one JSON document (with a trailing newline). */
export function renderJsonReport(report: RunReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function describeSite(site: SiteReport, since: string): string {
  const name = site.siteName === null ? "" : ` (${site.siteName})`;
  const counts =
    `; dropped ${site.droppedBeforeSince} before ${since}, ${site.droppedUnknownDevice} of other devices`;
  switch (site.status) {
    case "posted":
      return `${site.siteId}${name}: ${plural(site.kept, "outage")} posted${counts}`;
    case "skipped-empty":
      return `${site.siteId}${name}: nothing to post, nothing sent (use --post-empty to send [])${counts}`;
    case "dry-run":
      return `${site.siteId}${name}: ${
        plural(site.kept, "outage")
      } would be posted (dry run)${counts}`;
    case "checked":
      return `${site.siteId}${name}: reachable, ${plural(site.devices ?? 0, "device")}`;
    case "failed":
      return `${site.siteId}${name}: ${site.error ?? "failed"}`;
  }
}

/** The readable report: a line per site with its status and counts, then a summary line. */
export function renderTextReport(report: RunReport): string {
  const lines: string[] = [];
  for (const site of report.sites) {
    lines.push(`${site.status.padEnd(13)} ${describeSite(site, report.since)}`);
    for (const outage of site.payload ?? []) {
      lines.push(
        `  ${outage.id}  ${JSON.stringify(outage.name)}  ${outage.begin} .. ${outage.end}`,
      );
    }
  }
  const counts = new Map<string, number>();
  for (const site of report.sites) counts.set(site.status, (counts.get(site.status) ?? 0) + 1);
  const statusSummary = [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
  const invalid = report.outagesInvalid > 0 ? `, ${report.outagesInvalid} invalid skipped` : "";
  lines.push(
    `${report.ok ? "OK" : "FAILED"}: ${plural(report.sites.length, "site")}` +
      `${statusSummary === "" ? "" : ` (${statusSummary})`}; ` +
      `${plural(report.outagesFetched, "outage")} fetched${invalid}; ` +
      `${(report.durationMs / 1000).toFixed(2)} s${
        report.sites.some((site) => site.status === "checked")
          ? "; check only, nothing posted"
          : report.dryRun
          ? "; dry run, nothing posted"
          : ""
      }`,
  );
  return lines.join("\n") + "\n";
}
