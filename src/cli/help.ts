/**
 * The parts of help texts that several commands share: the exit codes, and the options of `sync`
 * and `check` rendered from their table.
 * @module
 */

import { renderOptions } from "../config/flags.ts";
import { SYNC_OPTIONS } from "../config/sync_options.ts";

/** The exit codes of `sync`, `check` and `demo` (docs/spec.md §6). */
export const EXIT_CODES_HELP = `Exit codes:
  0    every site posted, unchanged (already accepted), skipped-empty (nothing
       to post), dry-run or checked
  1    every site failed, or the run failed before any site could be handled
  2    usage or configuration error (nothing was requested)
  3    some sites failed, others succeeded
  4    the sync ended 0 but its metrics could not be written (sites may have
       been posted)
  130  interrupted by SIGINT (Ctrl-C); 143 by SIGTERM: the report so far is
       printed
`;

/** The options of `sync` and `check`, with their defaults and environment variables. */
export function syncOptionsHelp(): string {
  return `Options (flag > environment > .env > default):\n${renderOptions(SYNC_OPTIONS)}`;
}
