/**
 * The outages grouped by device, built once per run when many sites share one outage list, so that
 * each site costs in proportion to its own devices and outages rather than to the whole list
 * (docs/spec.md §13). Filtering through it gives exactly what `filterSiteOutages` gives: same payload,
 * same order, same counts.
 *
 * No `Map` of strings: the ids are hashed into buckets (a seeded hash, so that no server can
 * choose ids that all fall in one bucket), and the outages' positions sorted by bucket into one
 * typed array. A site's device then looks at the outages in its bucket only.
 * @module
 */

import type { Device, EnhancedOutage, Outage } from "./api_shapes.ts";
import { deviceNames, namesConflict, type SiteOutages } from "./filter.ts";
import { OutageTable } from "./outage_table.ts";
import { isAtOrAfter, type Since } from "./timestamp.ts";

/** The hash of every code unit of the id `text[start, end)` under `seed`: FNV-1a, then mixed. */
function fullHash(text: string, start: number, end: number, seed: number): number {
  let h = seed ^ 0x811c9dc5;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a full hash that reads no code unit puts every id in one bucket, where idIs still decides (only slower)
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * The hash of `id`'s length and of eight of its code units spread over it: a fifth of the cost of
 * {@link fullHash} on the API's 36-character ids. Ids that agree at those places collide, so an
 * index whose buckets come out lopsided is rebuilt with the full hash.
 */
function quickHash(text: string, start: number, end: number, seed: number): number {
  const n = end - start;
  let h = Math.imul(seed ^ n, 0x9e3779b1);
  // Stryker disable next-line ConditionalExpression,BlockStatement: a quick hash that reads no code unit is still the same for the same id at build and look-up (only slower)
  if (n > 0) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: sampling fewer or one more code unit (all inside the id) keeps the hash the same at build and look-up
    for (let k = 0; k < 8; k++) {
      // Stryker disable next-line ArithmeticOperator: (n - 1) / k >> 3 still samples code units inside the id, the same at build and look-up
      h = Math.imul(h ^ text.charCodeAt(start + (((n - 1) * k) >> 3)), 0x01000193);
    }
    h = Math.imul(h ^ text.charCodeAt(end - 1), 0x01000193);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** A site may have fewer devices than this for the index (a match packs position and device). */
export const MAX_INDEXED_DEVICES = 2 ** 21;
const DEVICES = MAX_INDEXED_DEVICES;

/** A bucket larger than this, after the quick hash, makes the index use the full hash. */
const LOPSIDED = 64;

/** The outages of a run, grouped by device id. */
export class OutageIndex {
  readonly #outages: OutageTable;
  readonly #seed: number;
  readonly #hash: (text: string, start: number, end: number, seed: number) => number;
  readonly #mask: number;
  /** Bucket `b`'s outages are `#order[#starts[b]]` to `#order[#starts[b + 1] - 1]`, in input order. */
  readonly #starts: Uint32Array;
  readonly #order: Uint32Array;
  /** The full hash of each entry of `#order`, beside it: most non-matches never touch an outage. */
  readonly #hashes: Uint32Array;

  constructor(
    outages: OutageTable | readonly Outage[],
    seed = crypto.getRandomValues(new Uint32Array(1))[0],
  ) {
    if (!(outages instanceof OutageTable)) outages = OutageTable.from(outages);
    this.#outages = outages;
    this.#seed = seed;
    let size = 1024;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: more or fewer buckets than the outages change only the cost, not which outages a bucket walk finds
    while (size < outages.length) size *= 2;
    this.#mask = size - 1;
    const hashes = new Uint32Array(outages.length);
    let starts = new Uint32Array(size + 1);
    this.#hash = quickHash;
    for (let i = 0; i < outages.length; i++) {
      const hash = quickHash(outages.textOf(i), outages.idStart(i), outages.idEnd(i), seed);
      hashes[i] = hash;
      // Stryker disable next-line UpdateOperator: counts that wrap under zero exceed LOPSIDED, so the index is rebuilt with the full hash and counted again
      starts[(hash & this.#mask) + 1]++;
    }
    // Stryker disable next-line all: either hash gives the same result; the choice (and so every mutant of this condition and its block) only changes the cost
    if (starts.some((count) => count > LOPSIDED)) {
      // Many ids agree where the quick hash looks (or one device has many outages): the full
      // hash tells apart every pair of different ids but an unlucky one in four billion.
      this.#hash = fullHash;
      starts = new Uint32Array(size + 1);
      for (let i = 0; i < outages.length; i++) {
        const hash = fullHash(outages.textOf(i), outages.idStart(i), outages.idEnd(i), seed);
        hashes[i] = hash;
        starts[(hash & this.#mask) + 1]++;
      }
    }
    // Stryker disable next-line EqualityOperator: b <= size writes starts[size + 1], past the end of the typed array, which is ignored
    for (let b = 0; b < size; b++) starts[b + 1] += starts[b];
    const next = starts.slice(0, size);
    const order = new Uint32Array(outages.length);
    const ordered = new Uint32Array(outages.length);
    for (let i = 0; i < outages.length; i++) {
      const k = next[hashes[i] & this.#mask]++;
      order[k] = i;
      ordered[k] = hashes[i];
    }
    this.#starts = starts;
    this.#order = order;
    this.#hashes = ordered;
  }

  /** How many outages the index holds. */
  get size(): number {
    return this.#outages.length;
  }

  /**
   * Keeps the outages of the site's `devices` whose `begin` is at or after `since`, as
   * `deviceNames` then `filterSiteOutages` do — a device listed twice under two names is the same
   * error, named with `where` — looking only at those devices' buckets, and without a `Map` of the
   * device ids (hashing a thousand fresh strings into one cost more than the rest of a site).
   */
  filterDevices(devices: readonly Device[], since: Since, where: string): SiteOutages {
    const { hashOf, byBucket } = this.#byBucket(devices);
    // Stryker disable next-line ConditionalExpression,BlockStatement: the by-name path and the pair path give the same payload, counts and error; only the cost differs
    if (this.#lopsided(byBucket)) {
      // Many of the site's devices share a bucket (ids alike where the quick hash looks): checking
      // them pair by pair would cost their square. The `Map` costs a hash of each id instead.
      // Stryker disable next-line StringLiteral: the stand-in site's id and name are never read, as where is given
      const names = deviceNames({ id: "", name: "", devices }, where);
      return this.#filterNames(names, since);
    }
    const matches = this.#matches(devices, hashOf, byBucket, where);
    // Input order, as the scan would give it: positions of different devices interleave.
    const sorted = Float64Array.from(matches).sort();
    const outages = this.#outages;
    const payload: EnhancedOutage[] = [];
    for (const match of sorted) {
      const i = Math.floor(match / DEVICES);
      const begin = outages.begin(i);
      if (isAtOrAfter(begin, since)) {
        const name = devices[match % DEVICES].name;
        payload.push({ id: outages.id(i), name, begin, end: outages.end(i) });
      }
    }
    return {
      payload,
      droppedBeforeSince: sorted.length - payload.length,
      droppedUnknownDevice: outages.length - sorted.length,
    };
  }

  /**
   * Each device's hash, and the devices in bucket order (then list order) as bucket × 2^21 +
   * device: the index is then walked from one end to the other rather than at random — the same
   * work, a fraction of the cache misses.
   */
  #byBucket(devices: readonly Device[]): { hashOf: Uint32Array; byBucket: Float64Array } {
    const count = devices.length;
    const hashOf = new Uint32Array(count);
    const byBucket = new Float64Array(count);
    for (let d = 0; d < count; d++) {
      const id = devices[d].id;
      hashOf[d] = this.#hash(id, 0, id.length, this.#seed);
      byBucket[d] = (hashOf[d] & this.#mask) * DEVICES + d;
    }
    byBucket.sort();
    return { hashOf, byBucket };
  }

  /**
   * Every outage of the devices, as position × 2^21 + device (sorting the numbers sorts by
   * position), each device id looked up once; throws when an id is listed twice under two names
   * (the earliest such listing, in list order, as `deviceNames` names it).
   */
  #matches(
    devices: readonly Device[],
    hashOf: Uint32Array,
    byBucket: Float64Array,
    where: string,
  ): number[] {
    const starts = this.#starts, order = this.#order, hashes = this.#hashes;
    const outages = this.#outages;
    const count = devices.length;
    const matches: number[] = [];
    // The earliest device (in list order) named otherwise than its id's first listing, if any.
    let conflict = count;
    let conflictFirst = 0;
    let groupStart = 0;
    for (let i = 0; i < count; i++) {
      const d = byBucket[i] % DEVICES;
      const bucket = Math.floor(byBucket[i] / DEVICES);
      // Stryker disable next-line ConditionalExpression,EqualityOperator: an earlier listing of the same id is always in the same bucket, so a wider search window is only slower
      if (i > 0 && Math.floor(byBucket[i - 1] / DEVICES) !== bucket) groupStart = i;
      const { id, name } = devices[d];
      const hash = hashOf[d];
      let first = -1; // an earlier listing of the same id, in this bucket
      // Stryker disable next-line ConditionalExpression,EqualityOperator: every earlier listing before the earliest conflict has the same name, so which one is found names the same conflict
      for (let j = groupStart; j < i && first < 0; j++) {
        const e = byBucket[j] % DEVICES;
        // Stryker disable next-line ConditionalExpression: the hash only screens; the id comparison decides
        if (hashOf[e] === hash && devices[e].id === id) first = e;
      }
      if (first >= 0) {
        // Stryker disable next-line EqualityOperator: device indices are distinct, so < and <= agree
        if (devices[first].name !== name && d < conflict) [conflict, conflictFirst] = [d, first];
        continue;
      }
      // Stryker disable next-line EqualityOperator: the entry at end is the next bucket's (other low bits, so another hash) or past the array (undefined): never a match
      for (let k = starts[bucket], end = starts[bucket + 1]; k < end; k++) {
        // Stryker disable next-line ConditionalExpression: the hash only screens; idIs decides
        if (hashes[k] === hash && outages.idIs(order[k], id)) matches.push(order[k] * DEVICES + d);
      }
    }
    if (conflict < count) {
      const { id, name } = devices[conflict];
      throw namesConflict(where, id, devices[conflictFirst].name, name);
    }
    return matches;
  }

  /** Whether more than {@link LOPSIDED} of the sorted devices share a bucket. */
  // Stryker disable next-line BlockStatement: the answer only chooses the by-name path or the pair path, which give the same result
  #lopsided(byBucket: Float64Array): boolean {
    let run = 0;
    // Stryker disable next-line all: the loop's answer only chooses the by-name path or the pair path, which give the same result
    for (let i = 1; i < byBucket.length; i++) {
      // Stryker disable next-line all: the run's length only chooses the by-name path or the pair path, which give the same result
      const same = Math.floor(byBucket[i] / DEVICES) === Math.floor(byBucket[i - 1] / DEVICES);
      // Stryker disable next-line all: the run's length only chooses the by-name path or the pair path, which give the same result
      run = same ? run + 1 : 0;
      // Stryker disable next-line all: LOPSIDED only chooses between two paths that give the same result
      if (run >= LOPSIDED) return true;
    }
    // Stryker disable next-line BooleanLiteral: answering lopsided sends the site down the by-name path, which gives the same result
    return false;
  }

  /** {@link filterDevices} for devices already checked and named by id. */
  #filterNames(names: ReadonlyMap<string, string>, since: Since): SiteOutages {
    const starts = this.#starts, order = this.#order, hashes = this.#hashes;
    const outages = this.#outages;
    const positions: number[] = [];
    for (const id of names.keys()) {
      const hash = this.#hash(id, 0, id.length, this.#seed);
      const bucket = hash & this.#mask;
      // Stryker disable next-line EqualityOperator: the entry at end is the next bucket's (another hash) or past the array (undefined): never a match
      for (let k = starts[bucket], end = starts[bucket + 1]; k < end; k++) {
        // Stryker disable next-line ConditionalExpression: the hash only screens; idIs decides
        if (hashes[k] === hash && outages.idIs(order[k], id)) positions.push(order[k]);
      }
    }
    const sorted = Uint32Array.from(positions).sort();
    const payload: EnhancedOutage[] = [];
    for (const position of sorted) {
      const begin = outages.begin(position);
      if (isAtOrAfter(begin, since)) {
        const id = outages.id(position);
        payload.push({ id, name: names.get(id) as string, begin, end: outages.end(position) });
      }
    }
    return {
      payload,
      droppedBeforeSince: sorted.length - payload.length,
      droppedUnknownDevice: outages.length - sorted.length,
    };
  }
}
