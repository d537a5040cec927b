/**
 * What a run does and how it ends (docs/spec.md §6): its mode, the statuses a site can end with, the exit
 * codes, and the one rule that turns a run's site statuses (and an interrupting signal) into its
 * exit code. Used by `sync`, `check` and `demo` alike.
 * @module
 */

import { Interrupted } from "./errors.ts";

/**
 * What a run does: `sync` posts; `dry-run` computes and reports the payloads, posting nothing;
 * `check` fetches and validates, posting nothing.
 */
export type RunMode = "sync" | "dry-run" | "check";

/** Every status a site can end a run with, in the order reports and metrics list them. */
export const SITE_STATUSES = [
  "posted",
  "unchanged",
  "skipped-empty",
  "dry-run",
  "checked",
  "failed",
] as const;

/** A site's final status in the report. */
export type SiteStatus = typeof SITE_STATUSES[number];

/** Exit codes of docs/spec.md §6. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
  /** The run ended, but its metrics file could not be written: sites may have been posted. */
  metrics: 4,
  sigint: 130,
  sigterm: 143,
} as const;

/**
 * The exit code of a run whose sites ended with `statuses` (none: the run failed before any
 * site): the signal's code when `signal` was aborted by an {@link Interrupted}; else 1 when no
 * site succeeded, 3 when some failed, 0 when none did.
 */
export function exitCodeFor(statuses: readonly SiteStatus[], signal?: AbortSignal): number {
  if (signal?.aborted && signal.reason instanceof Interrupted) {
    return signal.reason.signal === "SIGINT" ? ExitCode.sigint : ExitCode.sigterm;
  }
  const failed = statuses.filter((status) => status === "failed").length;
  if (statuses.length === 0 || failed === statuses.length) return ExitCode.failed;
  return failed === 0 ? ExitCode.ok : ExitCode.partial;
}
