// deno-lint-ignore-file no-console -- a check script: it reports on its own terminal.
/**
 * The scale check moved out of the test suite (it took about 3 s of it): a million synthetic
 * outages generate and serialise in seconds, with the sizes the benchmarks assume, and the
 * program's filter over them gives exactly the emulator's expected payload. Exits 1 on failure.
 *
 *   deno run bench/scale_check.ts [outages, default 1000000]
 * @module
 */

import assert from "node:assert/strict";
import { deviceNames, filterSiteOutages } from "../src/filter.ts";
import { SYNTHETIC_SINCE, syntheticDataset, syntheticSiteId } from "../src/mock/synthetic.ts";
import { parseSince } from "../src/timestamp.ts";

const size = Number(Deno.args[0] ?? 1_000_000);
const perMillion = size / 1_000_000;

const start = performance.now();
const dataset = syntheticDataset({ outages: size, seed: 1 });
const bytes = JSON.stringify(dataset.outages).length;
const seconds = (performance.now() - start) / 1000;
assert.equal(dataset.outages.length, size);
assert.ok(bytes > 100e6 * perMillion && bytes < 125e6 * perMillion, `${bytes} bytes`);
const expected = dataset.expected?.[syntheticSiteId(1)] ?? [];
assert.ok(
  expected.length > 45_000 * perMillion && expected.length < 55_000 * perMillion,
  `${expected.length} kept`,
);
// Measured at about 1.5 s for a million; the bound leaves room for slow CI machines.
assert.ok(seconds < 15 * Math.max(1, perMillion), `${seconds.toFixed(1)} s`);

const filterStart = performance.now();
const site = dataset.sites.find((entry) => entry.id === syntheticSiteId(1));
assert.ok(site !== undefined, "no synthetic-site-1");
const result = filterSiteOutages(dataset.outages, deviceNames(site), parseSince(SYNTHETIC_SINCE));
const filterMs = performance.now() - filterStart;
assert.equal(result.payload.length, expected.length);
assert.equal(JSON.stringify(result.payload), JSON.stringify(expected));

console.log(
  `scale check: ${size.toLocaleString("en")} outages (${(bytes / 1e6).toFixed(0)} MB of JSON) ` +
    `generated and serialised in ${seconds.toFixed(2)} s; the filter kept ` +
    `${expected.length.toLocaleString("en")} for ${site.id} in ${filterMs.toFixed(0)} ms, ` +
    `exactly the expected payload`,
);
