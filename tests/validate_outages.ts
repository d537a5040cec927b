/**
 * A whole `GET /outages` body checked at once, as the program did before it read the body record by
 * record (`src/outage_feed.ts`): test and bench code only, a second reading of the same rules
 * (`outageProblem` of `src/validate.ts`) for the tests of the filter and of validation, and the
 * hand-written guard that `bench/core_bench.ts` compares with zod.
 * @module
 */

import type { Outage } from "../src/api_shapes.ts";
import { ValidationError } from "../src/errors.ts";
import { isRfc3339 } from "../src/timestamp.ts";
import { type InvalidOutage, outageProblem } from "../src/validate.ts";

/** The valid outages of a body, in order, and the invalid records found. */
export interface ValidatedOutages {
  readonly outages: readonly Outage[];
  readonly invalid: readonly InvalidOutage[];
}

/**
 * Whether `value` is a valid outage record: {@link outageProblem} without building a message, for
 * the common case. Flat on purpose: a million records go through it in the bench, and with the
 * calls and keyed property reads of the general path they took 1.6–1.8 times as long
 * (docs/benchmarks.md).
 */
export function isValidOutage(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const { id, begin, end } = value as Record<string, unknown>;
  return typeof id === "string" && typeof begin === "string" && typeof end === "string" &&
    isRfc3339(begin) && isRfc3339(end);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * Checks a `GET /outages` body. Throws a {@link ValidationError} when it is not an array; returns
 * every record's verdict otherwise. When every record is valid the body array itself is returned,
 * uncopied.
 */
export function validateOutages(body: unknown, where = "GET /outages"): ValidatedOutages {
  if (!Array.isArray(body)) {
    throw new ValidationError(`${where}: expected a JSON array of outages, got ${kindOf(body)}`);
  }
  let invalid: InvalidOutage[] | undefined;
  for (let i = 0; i < body.length; i++) {
    if (isValidOutage(body[i])) continue;
    const problem = outageProblem(body[i]);
    if (problem !== undefined) (invalid ??= []).push({ index: i, problem });
  }
  if (invalid === undefined) return { outages: body as Outage[], invalid: [] };
  const bad = new Set(invalid.map((entry) => entry.index));
  return { outages: body.filter((_, i) => !bad.has(i)) as Outage[], invalid };
}
