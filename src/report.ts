/**
 * The run's report (SPEC §6): its shape, and its rendering as readable text or as one JSON
 * document. The command writes what this renders to stdout.
 * @module
 */

import type { EnhancedOutage } from "./api_shapes.ts";
import type { SiteStatus } from "./outcome.ts";
import { cut, escapeControls, escapeJsonText } from "./printable.ts";
import type { Redactor } from "./redact.ts";

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

/** How a report is rendered. */
export interface RenderOptions {
  /** Applied to every string before it is cut or escaped (default: none). */
  readonly redact?: Redactor;
  /** Whether invalid records were skipped (the summary says "skipped") or failed the run. */
  readonly skipInvalid?: boolean;
}

/** The longest error message the JSON report carries; longer ones are cut, saying so. */
export const JSON_MESSAGE_MAX = 10_000;
/** The longest error message a text line shows. */
const TEXT_MESSAGE_MAX = 1000;
/** The longest name, id or timestamp a text line shows. */
const TEXT_FIELD_MAX = 200;

const none: Redactor = (text) => text;

/**
 * The report as one JSON document (with a trailing newline). Strings are redacted; error messages
 * are cut to {@link JSON_MESSAGE_MAX} characters after that. JSON escapes the rest.
 */
export function renderJsonReport(report: RunReport, options: RenderOptions = {}): string {
  const redact = options.redact ?? none;
  const sites = report.sites.map((site) =>
    site.error === undefined ? site : { ...site, error: cut(redact(site.error), JSON_MESSAGE_MAX) }
  );
  return escapeJsonText(redact(JSON.stringify({ ...report, sites }, null, 2))) + "\n";
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Outside text for a text line: redacted, then cut, then escaped. */
function shown(text: string, max: number, redact: Redactor): string {
  return escapeControls(cut(redact(text), max));
}

function describeSite(site: SiteReport, since: string, redact: Redactor): string {
  const id = shown(site.siteId, TEXT_FIELD_MAX, redact);
  const name = site.siteName === null ? "" : ` (${shown(site.siteName, TEXT_FIELD_MAX, redact)})`;
  const counts = `; dropped ${site.droppedBeforeSince} before ${
    shown(since, TEXT_FIELD_MAX, redact)
  }, ${site.droppedUnknownDevice} of other devices`;
  switch (site.status) {
    case "posted":
      return `${id}${name}: ${plural(site.kept, "outage")} posted${counts}`;
    case "skipped-empty":
      return `${id}${name}: nothing to post, nothing sent (use --post-empty to send [])${counts}`;
    case "dry-run":
      return `${id}${name}: ${plural(site.kept, "outage")} would be posted (dry run)${counts}`;
    case "checked":
      return `${id}${name}: reachable, ${plural(site.devices ?? 0, "device")}`;
    case "failed":
      return `${id}${name}: ${shown(site.error ?? "failed", TEXT_MESSAGE_MAX, redact)}`;
  }
}

/**
 * The readable report: a line per site with its status and counts, then a summary line. Text
 * from outside (names, ids, messages, payloads) is redacted, cut and escaped: it can never add a
 * line or move the cursor.
 */
export function renderTextReport(report: RunReport, options: RenderOptions = {}): string {
  const redact = options.redact ?? none;
  const field = (text: string) => shown(text, TEXT_FIELD_MAX, redact);
  const lines: string[] = [];
  for (const site of report.sites) {
    lines.push(`${site.status.padEnd(13)} ${describeSite(site, report.since, redact)}`);
    for (const outage of site.payload ?? []) {
      lines.push(
        `  ${field(outage.id)}  ${
          escapeControls(JSON.stringify(cut(redact(outage.name), TEXT_FIELD_MAX)))
        }  ${field(outage.begin)} .. ${field(outage.end)}`,
      );
    }
  }
  const counts = new Map<string, number>();
  for (const site of report.sites) counts.set(site.status, (counts.get(site.status) ?? 0) + 1);
  const statusSummary = [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
  const invalid = report.outagesInvalid === 0
    ? ""
    : `, ${report.outagesInvalid} invalid${options.skipInvalid ? " skipped" : ""}`;
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
