/**
 * What the emulator serves: outages, sites and, optionally, the payload each site must receive.
 * The default is the real captures embedded in the program; `--data FILE` loads another one.
 * @module
 */

import type { EnhancedOutage, Outage, SiteInfo } from "../api_shapes.ts";
import { rfc3339Problem } from "../timestamp.ts";
import { CAPTURED_NOISE, type NoiseSpec } from "./noise.ts";
import capturedOutages from "./data/outages.json" with { type: "json" };
import capturedSite from "./data/site-info-norwich-pear-tree.json" with { type: "json" };
import capturedExpected from "./data/expected-site-outages-norwich-pear-tree.json" with {
  type: "json",
};

/**
 * The emulator's data. `expected[siteId]`, when present, is the exact payload (as a multiset) that
 * `POST /site-outages/{siteId}` accepts; sites without one get a structural check instead.
 */
export interface Dataset {
  /** What `GET /outages` returns, in this order (with `noise`, merged with it in id order). */
  readonly outages: readonly Outage[];
  /** What `GET /site-info/{siteId}` returns, one entry per site id. */
  readonly sites: readonly SiteInfo[];
  /** The payload each listed site must receive, element order and key order aside. */
  readonly expected?: Readonly<Record<string, readonly EnhancedOutage[]>>;
  /** Random outages of no site's devices, fresh in every `GET /outages` (`./noise.ts`). */
  readonly noise?: NoiseSpec;
}

/** The site of the embedded captures. */
export const DEFAULT_SITE_ID = "norwich-pear-tree";

/**
 * What the captures' noise becomes: `fresh`, new random outages in every answer as the real API
 * does; `captured`, the 90 of the capture, so that `GET /outages` is the capture file byte for byte.
 */
export type NoiseMode = "fresh" | "captured";

/**
 * The real captures from `shared/krakenflex-data`, embedded at build time: the `norwich-pear-tree`
 * site, its expected payload and 108 outages — its 18 and, by default, 90 of fresh noise in place of
 * the captured 90. With `"captured"` noise, serialised compactly they are the capture files byte for
 * byte.
 */
export function defaultDataset(noise: NoiseMode = "fresh"): Dataset {
  const captures = {
    sites: [capturedSite],
    expected: { [DEFAULT_SITE_ID]: capturedExpected },
  };
  if (noise === "captured") return { outages: capturedOutages, ...captures };
  const devices = new Set(capturedSite.devices.map((device) => device.id));
  return {
    outages: capturedOutages.filter((outage) => devices.has(outage.id)),
    noise: CAPTURED_NOISE,
    ...captures,
  };
}

/** A `--data` file that cannot be served; the message names the file and the path inside it. */
export class DatasetError extends Error {
  /** Always `"DatasetError"`. */
  override name = "DatasetError";
}

const TOP_LEVEL_KEYS = new Set(["outages", "sites", "expected"]);
const ENHANCED_KEYS = ["id", "name", "begin", "end"] as const;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads and validates a dataset file (`{outages, sites, expected?}`); `fileName` prefixes every
 * error message, e.g. `data.json: sites[2].devices[0].name: expected a string, got number 7`.
 * Throws {@link DatasetError} on the first problem found.
 */
export function parseDataset(text: string, fileName: string): Dataset {
  const file = new DatasetFile(fileName);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    file.fail("", `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isRecord(root)) {
    return file.fail("", `expected an object with "outages" and "sites", got ${describe(root)}`);
  }
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL_KEYS.has(key)) {
      file.fail(
        "",
        `unknown key ${JSON.stringify(key)} (expected "outages", "sites" and "expected")`,
      );
    }
  }
  file.array(root.outages, "outages").forEach((item, i) => {
    const path = `outages[${i}]`;
    const outage = file.record(item, path);
    file.string(outage, "id", path);
    file.timestamp(outage, "begin", path);
    file.timestamp(outage, "end", path);
  });
  const siteIds = checkSites(file, root.sites);
  if (root.expected !== undefined) checkExpected(file, root.expected, siteIds);
  return root as unknown as Dataset;
}

/** The sites of a dataset file checked, and their ids (each once). */
function checkSites(file: DatasetFile, value: unknown): Set<string> {
  const siteIds = new Set<string>();
  file.array(value, "sites").forEach((item, i) => {
    const path = `sites[${i}]`;
    const site = file.record(item, path);
    const id = file.string(site, "id", path);
    if (siteIds.has(id)) file.fail(`${path}.id`, `duplicate site id ${JSON.stringify(id)}`);
    siteIds.add(id);
    file.string(site, "name", path);
    file.array(site.devices, `${path}.devices`).forEach((entry, j) => {
      const devicePath = `${path}.devices[${j}]`;
      const device = file.record(entry, devicePath);
      file.string(device, "id", devicePath);
      file.string(device, "name", devicePath);
    });
  });
  return siteIds;
}

/** The `expected` payloads of a dataset file checked: listed sites only, exact elements. */
function checkExpected(file: DatasetFile, value: unknown, siteIds: Set<string>): void {
  for (const [siteId, list] of Object.entries(file.record(value, "expected"))) {
    const path = `expected[${JSON.stringify(siteId)}]`;
    if (!siteIds.has(siteId)) file.fail(path, 'no site in "sites" has this id');
    file.array(list, path).forEach((entry, j) => {
      const elementPath = `${path}[${j}]`;
      const element = file.record(entry, elementPath);
      for (const key of Object.keys(element)) {
        if (!(ENHANCED_KEYS as readonly string[]).includes(key)) {
          file.fail(
            elementPath,
            `unexpected key ${JSON.stringify(key)} (expected id, name, begin, end)`,
          );
        }
      }
      file.string(element, "id", elementPath);
      file.string(element, "name", elementPath);
      file.timestamp(element, "begin", elementPath);
      file.timestamp(element, "end", elementPath);
    });
  }
}

/** The checks of a dataset file's values, each failing with the file's name and the path. */
class DatasetFile {
  constructor(readonly name: string) {}

  fail(path: string, problem: string): never {
    throw new DatasetError(
      path === "" ? `${this.name}: ${problem}` : `${this.name}: ${path}: ${problem}`,
    );
  }

  string(record: Record<string, unknown>, key: string, path: string): string {
    const value = record[key];
    if (!Object.hasOwn(record, key)) this.fail(`${path}.${key}`, "missing");
    if (typeof value !== "string") {
      this.fail(`${path}.${key}`, `expected a string, got ${describe(value)}`);
    }
    return value as string;
  }

  timestamp(record: Record<string, unknown>, key: string, path: string): string {
    const value = this.string(record, key, path);
    const problem = rfc3339Problem(value);
    if (problem !== undefined) this.fail(`${path}.${key}`, `${problem}: ${JSON.stringify(value)}`);
    return value;
  }

  array(value: unknown, path: string): unknown[] {
    if (value === undefined) this.fail(path, "missing");
    if (!Array.isArray(value)) this.fail(path, `expected an array, got ${describe(value)}`);
    return value as unknown[];
  }

  record(value: unknown, path: string): Record<string, unknown> {
    if (!isRecord(value)) this.fail(path, `expected an object, got ${describe(value)}`);
    return value as Record<string, unknown>;
  }
}
