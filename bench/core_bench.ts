/**
 * `deno bench` suites for the pure core at 10k, 100k and 1M outages: validation, filtering and
 * enrichment, timestamp comparison, and hand-written guards against zod 4 for record validation.
 *
 *   deno bench --allow-read bench/core_bench.ts            # everything (about two minutes)
 *   deno bench --allow-read bench/core_bench.ts --filter 1M
 *
 * Each group's first case is its baseline; `deno bench` prints how the others compare with it.
 * @module
 */

import { z } from "zod";
import { filterSiteOutages } from "../src/filter.ts";
import { OutageTable } from "../src/outage_table.ts";
import { isAtOrAfter, rfc3339Problem } from "../src/timestamp.ts";
import type { Outage } from "../src/api_shapes.ts";
import { validatePayload } from "../src/validate.ts";
import { validateOutages } from "../tests/validate_outages.ts";
import { benchInput, iterationsFor, sizeLabel, SIZES } from "./data.ts";

/** A value the optimiser cannot discard. */
export let sink: unknown;

/** zod's version of the same rule: three strings, the timestamps checked by the same function. */
const rfc3339 = z.string().check(
  z.refine((text: string) => rfc3339Problem(text) === undefined, {
    message: "not an RFC 3339 timestamp with offset",
  }),
);
const ZodOutage = z.object({ id: z.string(), begin: rfc3339, end: rfc3339 });
const ZodOutages = z.array(ZodOutage);
/** zod's own ISO date-time check (offset required): close to, but looser than, the rule. */
const ZodOutageIso = z.object({
  id: z.string(),
  begin: z.iso.datetime({ offset: true }),
  end: z.iso.datetime({ offset: true }),
});
/** Shapes only, no timestamp check: what a type guard alone costs against zod alone. */
const ZodOutageShape = z.object({ id: z.string(), begin: z.string(), end: z.string() });

function isOutageShape(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return typeof record.id === "string" && typeof record.begin === "string" &&
    typeof record.end === "string";
}

function countInvalid(outages: readonly unknown[], valid: (value: unknown) => boolean): number {
  let invalid = 0;
  for (let i = 0; i < outages.length; i++) if (!valid(outages[i])) invalid++;
  return invalid;
}

for (const size of SIZES) {
  const input = benchInput(size);
  const { outages, names, since } = input;
  // The outages as the program holds them once read (`parseOutageFeed` builds this table).
  const table = OutageTable.from(outages as Outage[]);
  const label = sizeLabel(size);
  const { n, warmup } = iterationsFor(size);
  const begins = outages.map((outage) => outage.begin);
  // The same instants, written with a numeric offset: the shape that always goes through Temporal.
  const offsetBegins = begins.map((text) => `${text.slice(0, 23)}+00:00`);

  const group = (name: string) => `${name} ${label}`;

  Deno.bench({
    name: `validateOutages (hand-written guards) ${label}`,
    group: group("validation"),
    baseline: true,
    n,
    warmup,
    fn: () => {
      sink = validateOutages(outages);
    },
  });
  Deno.bench({
    name: `zod 4, per record, same timestamp check ${label}`,
    group: group("validation"),
    n,
    warmup,
    fn: () => {
      sink = countInvalid(outages, (value) => ZodOutage.safeParse(value).success);
    },
  });
  Deno.bench({
    name: `zod 4, z.array(...).safeParse, same timestamp check ${label}`,
    group: group("validation"),
    n,
    warmup,
    fn: () => {
      sink = ZodOutages.safeParse(outages).success;
    },
  });
  Deno.bench({
    name: `zod 4, per record, z.iso.datetime({offset: true}) ${label}`,
    group: group("validation"),
    n,
    warmup,
    fn: () => {
      sink = countInvalid(outages, (value) => ZodOutageIso.safeParse(value).success);
    },
  });

  Deno.bench({
    name: `type guard, shape only ${label}`,
    group: group("shape only"),
    baseline: true,
    n,
    warmup,
    fn: () => {
      sink = countInvalid(outages, isOutageShape);
    },
  });
  Deno.bench({
    name: `zod 4, shape only ${label}`,
    group: group("shape only"),
    n,
    warmup,
    fn: () => {
      sink = countInvalid(outages, (value) => ZodOutageShape.safeParse(value).success);
    },
  });

  Deno.bench({
    name: `validate + filter + enrich + check payload ${label}`,
    group: group("core step"),
    baseline: true,
    n,
    warmup,
    fn: () => {
      validateOutages(outages);
      const result = filterSiteOutages(table, names, since);
      validatePayload(result.payload, "POST /site-outages/synthetic-site-1");
      sink = result;
    },
  });
  Deno.bench({
    name: `filterSiteOutages (filter + enrich) ${label}`,
    group: group("core step"),
    n,
    warmup,
    fn: () => {
      sink = filterSiteOutages(table, names, since);
    },
  });
  Deno.bench({
    name: `validateOutages ${label}`,
    group: group("core step"),
    n,
    warmup,
    fn: () => {
      sink = validateOutages(outages);
    },
  });

  Deno.bench({
    name: `isAtOrAfter, canonical fast path ${label} begins`,
    group: group("timestamp comparison"),
    baseline: true,
    n,
    warmup,
    fn: () => {
      let kept = 0;
      for (let i = 0; i < begins.length; i++) if (isAtOrAfter(begins[i], since)) kept++;
      sink = kept;
    },
  });
  Deno.bench({
    name: `isAtOrAfter, "+00:00" offsets (Temporal path) ${label} begins`,
    group: group("timestamp comparison"),
    n,
    warmup,
    fn: () => {
      let kept = 0;
      for (let i = 0; i < offsetBegins.length; i++) if (isAtOrAfter(offsetBegins[i], since)) kept++;
      sink = kept;
    },
  });
  Deno.bench({
    name: `Temporal.Instant.from(...) >= since ${label} begins`,
    group: group("timestamp comparison"),
    n,
    warmup,
    fn: () => {
      let kept = 0;
      for (let i = 0; i < begins.length; i++) {
        if (Temporal.Instant.from(begins[i]).epochNanoseconds >= since.epochNanoseconds) kept++;
      }
      sink = kept;
    },
  });
  Deno.bench({
    name: `rfc3339Problem ${label} begins`,
    group: group("timestamp comparison"),
    n,
    warmup,
    fn: () => {
      let invalid = 0;
      for (let i = 0; i < begins.length; i++) {
        if (rfc3339Problem(begins[i]) !== undefined) invalid++;
      }
      sink = invalid;
    },
  });

  Deno.bench({
    name: `TextDecoder + JSON.parse of the body ${label}`,
    group: group("parse"),
    n: Math.max(4, n >> 1),
    warmup: 1,
    fn: () => {
      sink = JSON.parse(new TextDecoder().decode(input.bytes));
    },
  });
}
