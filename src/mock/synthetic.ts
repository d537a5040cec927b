/**
 * Generated datasets of any size for benchmarks and scale tests, with each site's expected payload
 * built by construction: the generator decides whether an outage is kept before it makes it.
 * @module
 */

import type { Device, EnhancedOutage, Outage, SiteInfo } from "../api_shapes.ts";
import type { Dataset } from "./dataset.ts";
import { createRandom, uuid } from "./random.ts";

/** How to generate a {@link syntheticDataset}. */
export interface SyntheticOptions {
  /** How many outages `GET /outages` returns. */
  readonly outages: number;
  /** The PRNG seed: the same options always give the same dataset (default 1). */
  readonly seed?: number;
  /** How many sites, named `synthetic-site-1` to `synthetic-site-N` (default 1). */
  readonly sites?: number;
  /** How many devices each site has (default 1000). */
  readonly devicesPerSite?: number;
}

/** The cut-off the expected payloads are built for: the program's default `--since`. */
export const SYNTHETIC_SINCE = "2022-01-01T00:00:00.000Z";

const SINCE_MS = Date.parse(SYNTHETIC_SINCE);
/** Outages begin between 2020-01-01 and 2024-01-01, so timestamps keep the canonical shape. */
const EARLIEST_MS = Date.parse("2020-01-01T00:00:00.000Z");
const LATEST_MS = Date.parse("2024-01-01T00:00:00.000Z");
const MAX_DURATION_MS = 400 * 24 * 3600 * 1000;
/** The share of outages whose device belongs to one of the sites. */
const SITE_SHARE = 0.1;
/** Every this many site outages, one begins exactly at the cut-off and the next 1 ms before it. */
const BOUNDARY_EVERY = 64;
/** Outages of devices outside the sites come from a pool this large at most. */
const MAX_OTHER_DEVICES = 100_000;

/** The id of the `index`-th synthetic site (1-based). */
export function syntheticSiteId(index: number): string {
  return `synthetic-site-${index}`;
}

const DAY_MS = 86_400_000;
/** Day number → the character codes of its `YYYY-MM-DDT`. */
const dayCodes = new Map<number, number[]>();
/** The 24 character codes of the timestamp being built, reused across calls. */
const codes: number[] = Array.from("0000-00-00T00:00:00.000Z", (c) => c.charCodeAt(0));
const ZERO = 48;

function putTwoDigits(at: number, value: number): void {
  codes[at] = ZERO + Math.floor(value / 10);
  codes[at + 1] = ZERO + (value % 10);
}

/**
 * `new Date(ms).toISOString()` for years 0000–9999, four times faster: the date part is cached per
 * day and the string is built flat from character codes (concatenation would leave V8 rope strings
 * that cost memory and slow `JSON.stringify` at a million outages).
 */
export function canonicalTimestamp(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  let date = dayCodes.get(days);
  if (date === undefined) {
    const text = new Date(days * DAY_MS).toISOString();
    if (text.length !== 24) {
      throw new RangeError(`Invalid timestamp: year out of range, got "${ms}"`);
    }
    date = Array.from(text.slice(0, 11), (c) => c.charCodeAt(0));
    dayCodes.set(days, date);
  }
  for (let i = 0; i < 11; i++) codes[i] = date[i];
  let rest = ms - days * DAY_MS;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  putTwoDigits(11, hour);
  putTwoDigits(14, minute);
  putTwoDigits(17, second);
  codes[20] = ZERO + Math.floor(milli / 100);
  putTwoDigits(21, milli % 100);
  return String.fromCharCode.apply(null, codes);
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`Invalid "${name}": expected an integer >= ${min}, got "${value}"`);
  }
}

/**
 * A generated dataset: `options.outages` outages of which about 10% belong to the sites' devices,
 * about half of those beginning at or after {@link SYNTHETIC_SINCE} (some exactly at it, some 1 ms
 * before), and `expected[siteId]` for every site. A million outages take about a second.
 */
export function syntheticDataset(options: SyntheticOptions): Dataset {
  const { outages: count, seed = 1, sites: siteCount = 1, devicesPerSite = 1000 } = options;
  checkCount("outages", count, 0);
  checkCount("seed", seed, 0);
  checkCount("sites", siteCount, 1);
  checkCount("devicesPerSite", devicesPerSite, 1);
  const random = createRandom(seed);
  const { sites, siteDevices, expected, siteDeviceIds } = syntheticSites(
    random,
    siteCount,
    devicesPerSite,
  );
  // Other devices never collide with a site's device, so their outages are never kept.
  const otherCount = Math.max(1, Math.min(MAX_OTHER_DEVICES, Math.ceil(count / 10)));
  const others: string[] = [];
  for (let i = 0; i < otherCount; i++) {
    let id = uuid(random);
    while (siteDeviceIds.has(id)) id = uuid(random);
    others.push(id);
  }
  const outages: Outage[] = [];
  let siteOutages = 0;
  for (let i = 0; i < count; i++) {
    if (random.float() < SITE_SHARE) {
      const { device, expected: list } = siteDevices[random.below(siteDevices.length)];
      const { beginMs, kept } = siteOutageBegin(random, siteOutages++ % BOUNDARY_EVERY);
      const { begin, end } = spanFrom(random, beginMs);
      outages.push({ id: device.id, begin, end });
      if (kept) list.push({ id: device.id, name: device.name, begin, end });
    } else {
      const beginMs = EARLIEST_MS + random.below(LATEST_MS - EARLIEST_MS);
      const { begin, end } = spanFrom(random, beginMs);
      outages.push({ id: others[random.below(otherCount)], begin, end });
    }
  }
  return { outages, sites, expected };
}

type Random = ReturnType<typeof createRandom>;

/** A site device and the expected payload of its site, which its kept outages join. */
interface SiteDevice {
  readonly device: Device;
  readonly expected: EnhancedOutage[];
}

/** The sites, each with its devices (unique ids across all sites) and an empty expected payload. */
function syntheticSites(random: Random, siteCount: number, devicesPerSite: number) {
  const sites: SiteInfo[] = [];
  const siteDevices: SiteDevice[] = [];
  const expected: Record<string, EnhancedOutage[]> = {};
  const siteDeviceIds = new Set<string>();
  for (let s = 1; s <= siteCount; s++) {
    const id = syntheticSiteId(s);
    const list: EnhancedOutage[] = [];
    expected[id] = list;
    const devices: Device[] = [];
    for (let d = 1; d <= devicesPerSite; d++) {
      let deviceId = uuid(random);
      while (siteDeviceIds.has(deviceId)) deviceId = uuid(random);
      siteDeviceIds.add(deviceId);
      const device = { id: deviceId, name: `Battery ${d}` };
      devices.push(device);
      siteDevices.push({ device, expected: list });
    }
    sites.push({ id, name: `Synthetic Site ${s}`, devices });
  }
  return { sites, siteDevices, expected, siteDeviceIds };
}

/**
 * When a site outage begins, and whether it is kept: slot 0 of every {@link BOUNDARY_EVERY} exactly
 * at the cut-off (kept), slot 1 just before it (dropped), the others on either side at random.
 */
function siteOutageBegin(random: Random, slot: number): { beginMs: number; kept: boolean } {
  if (slot === 0) return { beginMs: SINCE_MS, kept: true };
  if (slot === 1) return { beginMs: SINCE_MS - 1, kept: false };
  if (random.float() < 0.5) {
    return { beginMs: SINCE_MS + random.below(LATEST_MS - SINCE_MS), kept: true };
  }
  return { beginMs: EARLIEST_MS + random.below(SINCE_MS - EARLIEST_MS), kept: false };
}

/** The timestamps of an outage beginning at `beginMs`, with a random length. */
function spanFrom(random: Random, beginMs: number): { begin: string; end: string } {
  const begin = canonicalTimestamp(beginMs);
  return { begin, end: canonicalTimestamp(beginMs + 1 + random.below(MAX_DURATION_MS)) };
}
