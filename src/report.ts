/**
 * The run's report (docs/spec.md §6): its shape, and its rendering as readable text or as one JSON
 * document. The command writes what this renders to stdout.
 * @module
 */

import type { EnhancedOutage } from "./api_shapes.ts";
import type { ErrorReport } from "./errors.ts";
import type { RunMode, SiteStatus } from "./outcome.ts";
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
  error?: ErrorReport;
  /** `check` only: how many devices the site has. */
  devices?: number;
  /** With a state directory: what changed since the site's last accepted payload. */
  changes?: SiteChanges;
  /** With a state directory: when the site's accepted payload last changed (ISO 8601). */
  lastChange?: string;
}

/** What changed since a site's last accepted payload (outages listed in dry runs and `--verbose`). */
export interface SiteChanges {
  added: number;
  removed: number;
  /** When that payload was accepted; `null` when the site was never posted before. */
  since: string | null;
  addedOutages?: EnhancedOutage[];
  removedOutages?: EnhancedOutage[];
  /**
   * Why a payload the API may already hold is posted (or would be) again: `force` (`--force`),
   * `repost-after` (accepted longer ago than `--repost-after`, or it is 0), `state-unreadable`
   * (the site's state file could not be used). Absent when the payload is new or changed.
   */
  reason?: RepostReason;
}

/** Why an unchanged payload, or one whose state was lost, is posted again. */
export type RepostReason = "force" | "repost-after" | "state-unreadable";

/** The words of each {@link RepostReason} in the text report. */
const REPOST_WORDS: Readonly<Record<RepostReason, string>> = {
  force: "unchanged, posted again: --force",
  "repost-after": "unchanged, posted again: last accepted longer ago than --repost-after",
  "state-unreadable": "its state file could not be used, so posted as if new",
};

/** The outcome of a run: the fields of docs/spec.md §6, and the mode that decides how it is shown. */
export interface RunReport {
  ok: boolean;
  /** `sync`, `dry-run` or `check`: the JSON of `check` has its own shape. */
  mode: RunMode;
  dryRun: boolean;
  since: string;
  baseUrl: string;
  outagesFetched: number;
  outagesInvalid: number;
  durationMs: number;
  sites: SiteReport[];
  /** The signal that interrupted the run, if one did. */
  interrupted?: "SIGINT" | "SIGTERM";
  /** What failed the run as a whole: `GET /outages` for good. */
  error?: ErrorReport;
  /** Why the metrics file of a finished sync could not be written (the exit code then is not 0). */
  metricsError?: string;
  /**
   * When the run failed before any site was handled (the state directory stayed locked): how many
   * sites it was configured for, so that the summary does not read "0 sites".
   */
  sitesConfigured?: number;
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
 * Where a field of the report shows in the JSON document: in every mode, only in `check`'s shape,
 * only in the others', or never. Every field of {@link RunReport} and {@link SiteReport} has an
 * entry (the type says so), so a new field shows in `--json` unless it is listed here as hidden.
 */
type JsonField = "always" | "check" | "not-check" | "hidden";

/** The run's fields in the order the JSON document lists them. */
const RUN_JSON: Readonly<Record<keyof RunReport, JsonField>> = {
  ok: "always",
  mode: "check", // Only check's shape names its mode; the others say dryRun.
  dryRun: "not-check",
  since: "always",
  baseUrl: "always",
  outagesFetched: "always",
  outagesInvalid: "always",
  durationMs: "always",
  sites: "always",
  interrupted: "always",
  error: "always",
  metricsError: "always",
  sitesConfigured: "hidden", // For the text summary: sites is [] whenever it is set.
};

/** A site's fields in the order the JSON document lists them. */
const SITE_JSON: Readonly<Record<keyof SiteReport, JsonField>> = {
  siteId: "always",
  siteName: "always",
  status: "always",
  kept: "not-check",
  droppedBeforeSince: "not-check",
  droppedUnknownDevice: "not-check",
  devices: "check",
  payload: "not-check",
  changes: "not-check",
  error: "always",
  lastChange: "hidden", // For the metrics file's last-change gauge; `changes.since` says it here.
};

/** The names of the report's fields the JSON document never shows. */
export const HIDDEN_JSON_FIELDS: {
  readonly run: readonly (keyof RunReport)[];
  readonly site: readonly (keyof SiteReport)[];
} = {
  run: hiddenIn(RUN_JSON),
  site: hiddenIn(SITE_JSON),
};

function hiddenIn<K extends string>(table: Readonly<Record<K, JsonField>>): K[] {
  return (Object.keys(table) as K[]).filter((key) => table[key] === "hidden");
}

/**
 * The fields of `record` that show in a JSON document of mode `check` (or not), in `table`'s
 * order, each passed through `render`; a field that is `undefined` is left out.
 */
function jsonFields<T extends object>(
  record: T,
  table: Readonly<Record<keyof T, JsonField>>,
  check: boolean,
  render: (key: keyof T, value: T[keyof T]) => unknown,
): Record<string, unknown> {
  const document: Record<string, unknown> = {};
  for (const key of Object.keys(table) as (keyof T)[]) {
    const where = table[key];
    if (where !== "always" && where !== (check ? "check" : "not-check")) continue;
    const value = record[key];
    if (value !== undefined) document[key as string] = render(key, value);
  }
  return document;
}

/**
 * The report as one JSON document (with a trailing newline). Strings are redacted; error messages
 * are cut to {@link JSON_MESSAGE_MAX} characters after that. JSON escapes the rest. `check` has
 * its own shape: `mode: "check"`, and per site its `devices` rather than payload counts.
 */
export function renderJsonReport(report: RunReport, options: RenderOptions = {}): string {
  const redact = options.redact ?? none;
  const check = report.mode === "check";
  const message = (text: string) => cut(redact(text), JSON_MESSAGE_MAX);
  const error = (e: ErrorReport) => ({ ...e, message: message(e.message) });
  const site = (s: SiteReport) =>
    jsonFields(
      s,
      SITE_JSON,
      check,
      (key, value) => key === "error" ? error(value as ErrorReport) : value,
    );
  const document = jsonFields(report, RUN_JSON, check, (key, value) => {
    if (key === "sites") return (value as SiteReport[]).map(site);
    if (key === "error") return error(value as ErrorReport);
    return key === "metricsError" ? message(value as string) : value;
  });
  return escapeJsonText(redact(JSON.stringify(document, null, 2))) + "\n";
}

/**
 * The JSON document of a run that failed before it could start (a usage or configuration error):
 * `ok: false` and the error, so that a caller parsing `--json` always gets a document.
 */
export function renderJsonFailure(error: ErrorReport): string {
  return JSON.stringify({ ok: false, error }, null, 2) + "\n";
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
  const changes = site.changes === undefined
    ? ""
    : site.changes.reason !== undefined
    ? ` (${REPOST_WORDS[site.changes.reason]})`
    : site.changes.since === null
    ? " (never posted before)"
    : ` (${site.changes.added} added, ${site.changes.removed} removed)`;
  switch (site.status) {
    case "posted":
      return `${id}${name}: ${plural(site.kept, "outage")} posted${changes}${counts}`;
    case "unchanged":
      return `${id}${name}: ${plural(site.kept, "outage")}, as accepted at ${
        shown(site.changes?.since ?? "?", TEXT_FIELD_MAX, redact)
      }: not posted again (--force posts anyway)${counts}`;
    case "skipped-empty":
      return `${id}${name}: nothing to post, nothing sent (use --post-empty to send [])${counts}`;
    case "dry-run":
      return `${id}${name}: ${
        plural(site.kept, "outage")
      } would be posted (dry run)${changes}${counts}`;
    case "checked":
      return `${id}${name}: reachable, ${plural(site.devices ?? 0, "device")}`;
    case "failed":
      return `${id}${name}: ${shown(site.error?.message ?? "failed", TEXT_MESSAGE_MAX, redact)}`;
  }
}

/**
 * The readable report: a line per site with its status and counts, then a summary line. Text
 * from outside (names, ids, messages, payloads) is redacted, cut and escaped: it can never add a
 * line or move the cursor.
 */
export function renderTextReport(report: RunReport, options: RenderOptions = {}): string {
  const redact = options.redact ?? none;
  const lines = report.sites.flatMap((site) => siteLines(site, report.since, redact));
  const failure = runFailureLine(report, redact);
  if (failure !== undefined) lines.push(failure);
  if (report.metricsError !== undefined) {
    lines.push(`metrics not written: ${shown(report.metricsError, TEXT_MESSAGE_MAX, redact)}`);
  }
  lines.push(summaryLine(report, options));
  return lines.join("\n") + "\n";
}

/** A site's line, then its payload (dry runs) and what changed (`+`/`-`), an outage a line. */
function siteLines(site: SiteReport, since: string, redact: Redactor): string[] {
  const field = (text: string) => shown(text, TEXT_FIELD_MAX, redact);
  const outageLine = (mark: string, outage: EnhancedOutage) =>
    `${mark} ${field(outage.id)}  ${
      escapeControls(JSON.stringify(cut(redact(outage.name), TEXT_FIELD_MAX)))
    }  ${field(outage.begin)} .. ${field(outage.end)}`;
  return [
    `${site.status.padEnd(13)} ${describeSite(site, since, redact)}`,
    ...(site.payload ?? []).map((outage) => outageLine(" ", outage)),
    ...(site.changes?.addedOutages ?? []).map((outage) => outageLine("+", outage)),
    ...(site.changes?.removedOutages ?? []).map((outage) => outageLine("-", outage)),
  ];
}

/** The run's own failure (a failed GET /outages), said once unless every failed site says it. */
function runFailureLine(report: RunReport, redact: Redactor): string | undefined {
  const error = report.error;
  if (error === undefined) return undefined;
  const saidBySites = report.sites.length > 0 &&
    report.sites.every((site) => site.error?.message === error.message);
  if (saidBySites) return undefined;
  const outages = /^GET \/outages: /.test(error.message);
  const message = error.message.replace(/^GET \/outages: /, "");
  return `${outages ? "GET /outages failed" : "the run failed"}: ${
    shown(message, TEXT_MESSAGE_MAX, redact)
  }`;
}

/** The last line: the verdict, the sites by status, the outages fetched, the time, the mode. */
function summaryLine(report: RunReport, options: RenderOptions): string {
  const counts = new Map<string, number>();
  for (const site of report.sites) counts.set(site.status, (counts.get(site.status) ?? 0) + 1);
  const statusSummary = [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
  const invalid = report.outagesInvalid === 0
    ? ""
    : `, ${report.outagesInvalid} invalid${options.skipInvalid ? " skipped" : ""}`;
  const failed = report.sites.filter((site) => site.status === "failed").length;
  const verdict = report.interrupted !== undefined
    ? `INTERRUPTED by ${report.interrupted}`
    : report.ok
    ? "OK"
    : failed > 0 && failed < report.sites.length
    ? "PARTLY FAILED"
    : "FAILED";
  const sites = report.sites.length === 0 && (report.sitesConfigured ?? 0) > 0
    ? `${plural(report.sitesConfigured ?? 0, "site")} configured, none handled`
    : plural(report.sites.length, "site");
  const nothingPosted = report.mode === "check"
    ? "; check only, nothing posted"
    : report.mode === "dry-run"
    ? "; dry run, nothing posted"
    : "";
  return `${verdict}: ${sites}` +
    `${statusSummary === "" ? "" : ` (${statusSummary})`}; ` +
    `${plural(report.outagesFetched, "outage")} fetched${invalid}; ` +
    `${(report.durationMs / 1000).toFixed(2)} s${nothingPosted}`;
}
