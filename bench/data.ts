/**
 * Inputs shared by the benchmark suites: synthetic outages as the program holds them after
 * `JSON.parse` (so object shapes and strings are those of a real response), at the sizes the
 * performance targets name.
 * @module
 */

import { deviceNames } from "../src/filter.ts";
import { syntheticDataset } from "../src/mock/synthetic.ts";
import { parseSince, type Since } from "../src/timestamp.ts";
import type { Outage } from "../src/api_shapes.ts";

/** The dataset sizes of the targets: cost must grow linearly across them. */
export const SIZES = [10_000, 100_000, 1_000_000] as const;

/** One size's inputs. */
export interface BenchInput {
  readonly size: number;
  /** The outages as `JSON.parse` returns them from the emulator's body. */
  readonly outages: readonly Outage[];
  /** The same outages' body, as the bytes the client receives. */
  readonly bytes: Uint8Array;
  /** The site's device names (`synthetic-site-1`, 1000 devices). */
  readonly names: ReadonlyMap<string, string>;
  readonly since: Since;
}

/** Generates the inputs for `size` outages (seed 1, one site of 1000 devices). */
export function benchInput(size: number): BenchInput {
  const dataset = syntheticDataset({ outages: size });
  const bytes = new TextEncoder().encode(JSON.stringify(dataset.outages));
  const outages = JSON.parse(new TextDecoder().decode(bytes)) as Outage[];
  return {
    size,
    outages,
    bytes,
    names: deviceNames(dataset.sites[0]),
    since: parseSince("2022-01-01T00:00:00.000Z"),
  };
}

/** Iterations for `deno bench` at a size, so that the 1M cases stay bounded in time. */
export function iterationsFor(size: number): { n: number; warmup: number } {
  if (size >= 1_000_000) return { n: 8, warmup: 2 };
  if (size >= 100_000) return { n: 40, warmup: 5 };
  return { n: 200, warmup: 20 };
}

/** `1000000` → `"1M"`, `10000` → `"10k"`. */
export function sizeLabel(size: number): string {
  return size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1000}k`;
}
