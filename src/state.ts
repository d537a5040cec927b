/**
 * What each site last accepted (docs/spec.md §12), as pure functions: the state file's shape and version,
 * its safe file name, the payload's canonical digest (a multiset: element order and key order do
 * not matter), whether a payload must be posted again, and what changed since the last accepted
 * one. Reading and writing the files is the command's (`cli/state_store.ts`).
 * @module
 */

import { createHash } from "node:crypto";
import type { EnhancedOutage } from "./api_shapes.ts";
import { rfc3339Problem } from "./timestamp.ts";
import { enhancedOutageProblem } from "./validate.ts";

/** The version of the state file's format; another version is read as no state. */
export const STATE_FORMAT = "outage-sync-state/1";

/** What a site last accepted: one file per site. */
export interface SiteState {
  readonly format: typeof STATE_FORMAT;
  /** The base URL's origin and path, as the run used it. */
  readonly baseUrl: string;
  readonly siteId: string;
  /** The cut-off as given, and as an instant (epoch nanoseconds, as text). */
  readonly since: string;
  readonly sinceInstant: string;
  /** `sha256:` and the hex digest of the canonical payload. */
  readonly digest: string;
  /**
   * How many outages the payload holds. Kept, and still written: the file's head tells a person
   * its size without reading the payload, and a file whose payload does not match it (cut short,
   * edited) is not trusted, as with the digest. Files of this format have always carried it.
   */
  readonly count: number;
  /** When the API last accepted it (ISO 8601). */
  readonly postedAt: string;
  /** When the accepted payload last differed from the one before (ISO 8601). */
  readonly changedAt: string;
  readonly payload: readonly EnhancedOutage[];
}

/** A site's file name for any id: a readable part, then a digest of the whole id. */
export function stateFileName(siteId: string): string {
  const readable = siteId.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "").slice(0, 40);
  const hash = sha256Hex(siteId);
  return `site-${readable === "" ? "" : `${readable}-`}${hash.slice(0, 16)}.json`;
}

/**
 * SHA-256 of the text's UTF-8 bytes, in hex. Synchronous: for the short texts hashed here (an id,
 * a site's payload) `node:crypto` costs a third of `crypto.subtle.digest`, whose every call is a
 * round trip through an async op (measured: docs/benchmarks.md, target 5b).
 */
function sha256Hex(text: string): string {
  return createHash("sha256").update(new TextEncoder().encode(text)).digest("hex");
}

/** Each outage's canonical text, once: the digest and the diff of a run read the same objects. */
const canonical = new WeakMap<EnhancedOutage, string>();

/** An element in one fixed key order: equal outages, whatever their key order, read alike. */
function canonicalElement(outage: EnhancedOutage): string {
  let text = canonical.get(outage);
  if (text === undefined) {
    // Each field prefixed with its length: unambiguous whatever characters the fields hold.
    const { id, name, begin, end } = outage;
    // (joined, not concatenated: a flat string sorts and hashes without being flattened again)
    text = [
      id.length,
      ":",
      id,
      name.length,
      ":",
      name,
      begin.length,
      ":",
      begin,
      end.length,
      ":",
      end,
    ]
      .join("");
    // Stryker disable next-line CallExpression: without the cache, the same text is built again.
    canonical.set(outage, text);
  }
  return text;
}

/** The payload's digest as a multiset: the canonical elements, sorted, hashed. */
export function payloadDigest(payload: readonly EnhancedOutage[]): string {
  return `sha256:${sha256Hex(payload.map(canonicalElement).sort().join("\n"))}`;
}

/** What changed from `before` to `after`, as multisets: each side's elements the other lacks. */
export function payloadChanges(
  before: readonly EnhancedOutage[],
  after: readonly EnhancedOutage[],
): { added: EnhancedOutage[]; removed: EnhancedOutage[] } {
  const counts = new Map<string, number>();
  for (const outage of before) {
    const key = canonicalElement(outage);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const added: EnhancedOutage[] = [];
  for (const outage of after) {
    const key = canonicalElement(outage);
    const left = counts.get(key) ?? 0;
    if (left > 0) counts.set(key, left - 1);
    else added.push(outage);
  }
  const removed: EnhancedOutage[] = [];
  for (const outage of before) {
    const key = canonicalElement(outage);
    const left = counts.get(key) ?? 0;
    if (left > 0) {
      removed.push(outage);
      counts.set(key, left - 1);
    }
  }
  return { added, removed };
}

/**
 * How far in the future a `postedAt` may be before it is distrusted: clocks of one host drift
 * that much between runs, but a later time was written by a clock that ran ahead, or by hand.
 */
export const FUTURE_SKEW_MS = 5 * 60_000;

/** Whether `postedAt` (a valid state's) lies more than {@link FUTURE_SKEW_MS} after `now`. */
export function isInFuture(postedAt: string, now: number): boolean {
  return Date.parse(postedAt) - now > FUTURE_SKEW_MS;
}

/** Why a payload is posted, or why not. */
export type Verdict =
  | "first" // no earlier state for this site
  | "changed" // the payload differs from the last accepted one
  | "other-base-url" // the last accepted one went to another base URL
  | "other-cut-off" // it was computed for another cut-off
  | "stale" // identical, but accepted longer ago than --repost-after
  | "forced" // identical, but --force
  | "unchanged"; // identical, recent: not posted again

/** What is known of the payload about to be posted. */
export interface Candidate {
  readonly baseUrl: string;
  readonly sinceInstant: string;
  readonly digest: string;
}

/**
 * Whether to post `candidate` given the site's last accepted state: only an identical payload
 * (same base URL, cut-off and digest) accepted less than `repostAfterMs` ago is skipped, unless
 * `force`. `repostAfterMs` 0 never skips. A `postedAt` in the future (beyond
 * {@link FUTURE_SKEW_MS}) counts as too old: its negative age would otherwise skip every run.
 */
export function verdict(
  previous: SiteState | undefined,
  candidate: Candidate,
  options: { readonly now: number; readonly repostAfterMs: number; readonly force: boolean },
): Verdict {
  if (previous === undefined) return "first";
  if (previous.baseUrl !== candidate.baseUrl) return "other-base-url";
  if (previous.sinceInstant !== candidate.sinceInstant) return "other-cut-off";
  if (previous.digest !== candidate.digest) return "changed";
  if (options.force) return "forced";
  if (options.repostAfterMs === 0 || isInFuture(previous.postedAt, options.now)) return "stale";
  const age = options.now - Date.parse(previous.postedAt);
  if (!(age < options.repostAfterMs)) return "stale";
  return "unchanged";
}

const FIELDS = [
  "format",
  "baseUrl",
  "siteId",
  "since",
  "sinceInstant",
  "digest",
  "count",
  "postedAt",
  "changedAt",
  "payload",
] as const;

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const INTEGER = /^-?(0|[1-9][0-9]*)$/;

/**
 * Why a state file's field is unusable, or `undefined`. Every field is checked to the shape this
 * program writes: a file is outside text, and its times end up in the report and the metrics.
 */
function fieldProblem(field: (typeof FIELDS)[number], value: unknown): string | undefined {
  switch (field) {
    // Stryker disable next-line StringLiteral: a format equal to STATE_FORMAT passes as a string.
    case "format":
      return undefined; // checked first, with its own message
    case "count":
      return Number.isSafeInteger(value) && (value as number) >= 0
        ? undefined
        : "missing or not a count";
    case "payload":
      return Array.isArray(value) ? undefined : "missing or not an array";
  }
  if (typeof value !== "string") return "missing or not a string";
  switch (field) {
    case "since":
    case "postedAt":
    case "changedAt": {
      const problem = rfc3339Problem(value);
      return problem === undefined ? undefined : `is not a time: ${problem}`;
    }
    case "sinceInstant":
      return INTEGER.test(value) ? undefined : "is not an instant in nanoseconds";
    case "digest":
      return DIGEST.test(value) ? undefined : "is not a sha256 digest";
  }
  return undefined;
}

/**
 * Reads a state file's text: the state, or why it cannot be used (not JSON, another format
 * version, a field missing, of the wrong type or shape (times must be RFC 3339), a payload whose digest or count is not the one
 * recorded — a file cut short or edited by hand).
 */
export function parseState(
  text: string,
  siteId: string,
): { state: SiteState } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: "not JSON (cut short?)" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { problem: "not a state object" };
  }
  const record = value as Record<string, unknown>;
  if (record.format !== STATE_FORMAT) {
    return {
      problem: `format ${JSON.stringify(record.format)}, not ${JSON.stringify(STATE_FORMAT)}`,
    };
  }
  for (const field of FIELDS) {
    const problem = fieldProblem(field, record[field]);
    if (problem !== undefined) return { problem: `field "${field}" ${problem}` };
  }
  if (record.siteId !== siteId) {
    return { problem: `it is the state of site ${JSON.stringify(record.siteId)}` };
  }
  for (const [i, element] of (record.payload as unknown[]).entries()) {
    const problem = enhancedOutageProblem(element);
    if (problem !== undefined) return { problem: `payload item ${i}: ${problem}` };
  }
  const payload = record.payload as EnhancedOutage[];
  if (payload.length !== record.count || payloadDigest(payload) !== record.digest) {
    return { problem: "its payload does not match its recorded count and digest" };
  }
  return { state: record as unknown as SiteState };
}

/** The state file's text: one JSON document, the payload last so the head is readable. */
export function renderState(state: SiteState): string {
  const head = Object.fromEntries(
    FIELDS.filter((field) => field !== "payload").map((field) => [field, state[field]]),
  );
  // One outage a line: readable, and a fraction of the cost of indenting every key.
  const payload = state.payload.map((outage) =>
    JSON.stringify({ id: outage.id, name: outage.name, begin: outage.begin, end: outage.end })
  );
  const body = payload.length === 0 ? "[]" : `[\n    ${payload.join(",\n    ")}\n  ]`;
  return `${JSON.stringify(head, null, 2).slice(0, -2)},\n  "payload": ${body}\n}\n`;
}

/** Where the sync finds and keeps each site's last accepted state. */
export interface StateStore {
  /**
   * The site's last accepted state; `undefined` when there is none, `null` when there is one that
   * cannot be read or used (the site is then posted as if new, saying why).
   */
  read(siteId: string): Promise<SiteState | null | undefined>;
  /** Records what the API has just accepted; rejects when it cannot (the site stays posted). */
  write(state: SiteState): Promise<void>;
}
