/**
 * Filtering and enrichment (docs/spec.md §3): keep a site's outages that began at or after the cut-off and
 * name each after its device.
 * @module
 */

import { ValidationError } from "./errors.ts";
import { isAtOrAfter, type Since } from "./timestamp.ts";
import type { EnhancedOutage, Outage, SiteInfo } from "./api_shapes.ts";
import { OutageTable } from "./outage_table.ts";
import { quote } from "./validate.ts";

/** The error for a device listed twice under two names: the payload's names would be a guess. */
export function namesConflict(
  where: string,
  id: string,
  first: string,
  second: string,
): ValidationError {
  return new ValidationError(
    `${where}: device ${quote(id)} is listed twice with different names, ` +
      `${quote(first)} and ${quote(second)}`,
  );
}

/**
 * The site's device names by device id. A `Map`, so ids such as `__proto__` or `constructor` are
 * ordinary keys. A device listed twice with the same name is fine; with two names it is an error
 * naming the id, since the payload's names would otherwise depend on which one won.
 */
export function deviceNames(
  site: SiteInfo,
  where = `GET /site-info/${site.id}`,
): Map<string, string> {
  const names = new Map<string, string>();
  for (const device of site.devices) {
    const known = names.get(device.id);
    if (known === undefined) {
      names.set(device.id, device.name);
    } else if (known !== device.name) {
      throw namesConflict(where, device.id, known, device.name);
    }
  }
  return names;
}

/**
 * A fingerprint of the id `text[start, end)`: its length and five of its UTF-16 code units, mixed.
 * Equal ids have equal fingerprints, so an id whose fingerprint no device of the site has is not
 * one of its devices. Read in place, so that an outage's id needs no string of its own.
 */
// Stryker disable next-line BlockStatement: a fingerprint of undefined sets and tests bit 0 for every id, so every id goes on to the Map
function idFingerprint(text: string, start: number, end: number): number {
  const n = end - start;
  if (n === 0) return 0;
  let h = Math.imul(n ^ text.charCodeAt(start), 0x9e3779b1);
  h = Math.imul(h ^ text.charCodeAt(start + n - 1), 0x85ebca6b);
  h = Math.imul(h ^ text.charCodeAt(start + (n >> 2)), 0xc2b2ae35);
  h = Math.imul(h ^ text.charCodeAt(start + ((3 * n) >> 2)), 0x27d4eb2f);
  h = Math.imul(h ^ text.charCodeAt(start + ((n - 1) >> 1)), 0x165667b1);
  return h ^ (h >>> 15);
}

/**
 * A bit set of the fingerprints of the site's device ids, about 64 bits per device (at most 4 Mi
 * bits): one bit in 64 set, so about 98 % of other devices' ids are told apart without the `Map`.
 * That matters because the first `Map` look-up of a freshly parsed string hashes the whole string,
 * about 0.25 µs each (docs/benchmarks.md), while a fingerprint costs a few nanoseconds.
 */
class DeviceFingerprints {
  readonly #bits: Uint32Array;
  readonly #mask: number;

  constructor(ids: Iterable<string>, count: number) {
    let size = 1024;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator,ArithmeticOperator: the bit set's size changes only how many ids the screen lets through to the Map, which decides
    while (size < count * 64 && size < 1 << 22) size *= 2;
    this.#bits = new Uint32Array(size >>> 5);
    this.#mask = size - 1;
    for (const id of ids) {
      const bit = idFingerprint(id, 0, id.length) & this.#mask;
      this.#bits[bit >>> 5] |= 1 << (bit & 31);
    }
  }

  /** `false` when the id `text[start, end)` is certainly not a device of the site. */
  mayHave(text: string, start: number, end: number): boolean {
    const bit = idFingerprint(text, start, end) & this.#mask;
    return (this.#bits[bit >>> 5] & (1 << (bit & 31))) !== 0;
  }
}

/** A site's payload and the counts behind it. */
export interface SiteOutages {
  /** The outages to post, in input order, keys `id, name, begin, end`. */
  readonly payload: EnhancedOutage[];
  /** Outages of the site's devices that began before the cut-off. */
  readonly droppedBeforeSince: number;
  /** Outages of devices that are not the site's. */
  readonly droppedUnknownDevice: number;
}

/**
 * Keeps the outages whose device belongs to the site and whose `begin` is at or after `since`,
 * as instants, exactly; attaches the device's display name. Input order and duplicates are kept;
 * `begin` and `end` are passed on byte for byte; other fields are not forwarded.
 * The outages must already be validated (`outage_feed.ts`); an array is read into a table first.
 */
export function filterSiteOutages(
  outages: OutageTable | readonly Outage[],
  names: ReadonlyMap<string, string>,
  since: Since,
): SiteOutages {
  const table = outages instanceof OutageTable ? outages : OutageTable.from(outages);
  const payload: EnhancedOutage[] = [];
  let droppedBeforeSince = 0;
  let droppedUnknownDevice = 0;
  const fingerprints = new DeviceFingerprints(names.keys(), names.size);
  for (let i = 0; i < table.length; i++) {
    const name = fingerprints.mayHave(table.textOf(i), table.idStart(i), table.idEnd(i))
      ? names.get(table.id(i))
      : undefined;
    if (name === undefined) {
      droppedUnknownDevice++;
      continue;
    }
    const begin = table.begin(i);
    if (isAtOrAfter(begin, since)) {
      payload.push({ id: table.id(i), name, begin, end: table.end(i) });
    } else {
      droppedBeforeSince++;
    }
  }
  return { payload, droppedBeforeSince, droppedUnknownDevice };
}

/**
 * How many of the invalid records that `--skip-invalid` skipped named one of the site's devices
 * (each device counted once, however often the site lists it).
 */
export function skippedForSite(
  devices: readonly { readonly id: string }[],
  invalidByDevice: ReadonlyMap<string, number>,
): number {
  if (invalidByDevice.size === 0) return 0;
  let skipped = 0;
  for (const id of new Set(devices.map((device) => device.id))) {
    skipped += invalidByDevice.get(id) ?? 0;
  }
  return skipped;
}
