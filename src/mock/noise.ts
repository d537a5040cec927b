/**
 * The real API's noise: besides the outages of known devices, every `GET /outages` of the real API
 * carries outages of random device ids that differ from one capture to the next. This module makes
 * fresh noise for each request, with the statistics of the captures, from a seeded generator.
 * @module
 */

import type { Outage } from "../api_shapes.ts";
import { belowWide, createRandom, uuid } from "./random.ts";

/** How much noise to add, and when its outages may begin and end. */
export interface NoiseSpec {
  /** How many random outages each answer carries. */
  readonly count: number;
  /** The earliest `begin`, as an RFC 3339 UTC timestamp. */
  readonly from: string;
  /** The latest `end`; every `begin` is before it. */
  readonly until: string;
}

/** The noise of the captures: 90 outages a time, beginning and ending in 2021–2022. */
export const CAPTURED_NOISE: NoiseSpec = {
  count: 90,
  from: "2021-01-01T00:00:00.000Z",
  until: "2022-12-31T23:59:59.999Z",
};

/** Outages with fresh noise, one list per call. */
export interface NoisyOutages {
  /** `outages` and `count` new random ones, all in id order (ties keep their order). */
  next(): Outage[];
  /** Re-seeds the generator, so the same lists come again. */
  reset(): void;
}

/** What the noise is made around, and from which seed. */
export interface NoiseOptions {
  /** The real outages, served in every list. */
  readonly outages: readonly Outage[];
  /** Ids the noise must never take: the sites' devices. */
  readonly excluded: ReadonlySet<string>;
  /** The generator's seed: the same seed gives the same lists. */
  readonly seed: number;
}

/**
 * Noise as `spec` says, around `options.outages`: each noise outage has a random v4 UUID that is
 * not excluded, nor among the listed outages or the other noise; `begin` is uniform from `from` to
 * just before `until`, and `end` uniform after `begin` up to `until`.
 */
export function createNoisyOutages(spec: NoiseSpec, options: NoiseOptions): NoisyOutages {
  const { outages, excluded, seed } = options;
  const from = Date.parse(spec.from);
  const until = Date.parse(spec.until);
  if (!(Number.isSafeInteger(spec.count) && spec.count >= 0) || !(from < until)) {
    throw new RangeError(
      `Invalid noise: expected a count >= 0 and "from" before "until", got ${JSON.stringify(spec)}`,
    );
  }
  const listed = new Set(outages.map((outage) => outage.id));
  let random = createRandom(seed);
  return {
    next() {
      const taken = new Set<string>();
      const all: Outage[] = [...outages];
      for (let i = 0; i < spec.count; i++) {
        let id = uuid(random);
        while (excluded.has(id) || listed.has(id) || taken.has(id)) id = uuid(random);
        taken.add(id);
        const begin = from + belowWide(random, until - from);
        const end = begin + 1 + belowWide(random, until - begin);
        all.push({ id, begin: new Date(begin).toISOString(), end: new Date(end).toISOString() });
      }
      // Array.prototype.sort is stable: outages of one device keep their listed order.
      return all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    reset() {
      random = createRandom(seed);
    },
  };
}
