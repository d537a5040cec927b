/** How a run ends: the one rule from its sites' statuses (and an interrupting signal) to the exit code. */

import assert from "node:assert/strict";
import { Interrupted } from "../src/errors.ts";
import { ExitCode, exitCodeFor, SITE_STATUSES, type SiteStatus } from "../src/outcome.ts";

Deno.test("exitCodeFor: from the sites' statuses", async (t) => {
  const cases: [SiteStatus[], number, string][] = [
    [["posted"], 0, "one posted"],
    [["posted", "posted"], 0, "all posted"],
    [["skipped-empty"], 0, "skipped-empty counts as success"],
    [["dry-run", "dry-run"], 0, "dry-run counts as success"],
    [["posted", "skipped-empty", "dry-run"], 0, "every success status"],
    [["checked"], 0, "checked counts as success"],
    [["unchanged", "posted"], 0, "unchanged counts as success"],
    [["unchanged", "failed"], 3, "failed and unchanged"],
    [["failed"], 1, "one failed"],
    [["failed", "failed", "failed"], 1, "all failed"],
    [["posted", "failed"], 3, "mixed"],
    [["failed", "skipped-empty"], 3, "failed and skipped-empty"],
    [["dry-run", "failed", "failed"], 3, "failed and dry-run"],
    [["checked", "failed"], 3, "failed and checked"],
    [[], 1, "no sites: the run failed before any site"],
  ];
  for (const [statuses, code, label] of cases) {
    await t.step(`${label} → ${code}`, () => {
      assert.equal(exitCodeFor(statuses), code);
      assert.equal(exitCodeFor(statuses, new AbortController().signal), code);
    });
  }
});

Deno.test("exitCodeFor: an interrupting signal decides, whatever the sites did", async (t) => {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    await t.step(`${signal} → ${code}`, () => {
      const aborted = AbortSignal.abort(new Interrupted(signal));
      assert.equal(exitCodeFor(["posted"], aborted), code);
      assert.equal(exitCodeFor(["failed", "posted"], aborted), code);
      assert.equal(exitCodeFor([], aborted), code);
    });
  }

  await t.step("a signal aborted for another reason does not", () => {
    const aborted = AbortSignal.abort(new Error("not a signal"));
    assert.equal(exitCodeFor(["posted"], aborted), 0);
    assert.equal(exitCodeFor(["posted", "failed"], aborted), 3);
  });
});

Deno.test("Interrupted: the signal and its message; its exit code is exitCodeFor's", () => {
  const sigint = new Interrupted("SIGINT");
  assert.deepEqual([sigint.signal, sigint.message], ["SIGINT", "interrupted by SIGINT"]);
  assert.equal(exitCodeFor([], AbortSignal.abort(sigint)), ExitCode.sigint);
  const sigterm = new Interrupted("SIGTERM");
  assert.equal(sigterm.signal, "SIGTERM");
  assert.equal(exitCodeFor(["posted"], AbortSignal.abort(sigterm)), ExitCode.sigterm);
});

Deno.test("the named exit codes and the statuses, in report order", () => {
  assert.deepEqual(
    { ...ExitCode },
    { ok: 0, failed: 1, usage: 2, partial: 3, metrics: 4, sigint: 130, sigterm: 143 },
  );
  assert.deepEqual(SITE_STATUSES, [
    "posted",
    "unchanged",
    "skipped-empty",
    "dry-run",
    "checked",
    "failed",
  ]);
});
