// deno-lint-ignore-file no-console -- a benchmark script: it prints its figures on stdout.
/**
 * What the sync does per site of a fleet beyond the yardstick's `JSON.parse`, in process: 1,000
 * site-info bodies of 1,000 devices (the emulator's generator) and an index of 100k outages, the
 * shape of `fleet.ts ratio-latency`. Each step over all 1,000 sites, five rounds; the parse twice,
 * once dropping each body at once and once keeping all of them alive (as a fleet run keeps a
 * site's body from its `GET` to the end of its `POST`).
 *
 *   deno run bench/site_cost.ts
 * @module
 */

import { parseJsonBounded } from "../src/json_scan.ts";
import { syntheticDataset } from "../src/mock/synthetic.ts";
import { parseOutageFeed } from "../src/outage_feed.ts";
import { OutageIndex } from "../src/outage_index.ts";
import { parseSince } from "../src/timestamp.ts";
import { validatePayload, validateSiteInfo } from "../src/validate.ts";

const dataset = syntheticDataset({ outages: 100_000, sites: 1000 });
const texts = dataset.sites.map((site) => JSON.stringify(site));
const index = new OutageIndex(parseOutageFeed(JSON.stringify(dataset.outages)).outages);
const since = parseSince("2022-01-01T00:00:00.000Z");

function time<T>(work: () => T): [T, string] {
  const started = performance.now();
  const result = work();
  return [result, `${(performance.now() - started).toFixed(0)} ms`];
}

for (let round = 1; round <= 5; round++) {
  const [, dropped] = time(() => {
    for (const text of texts) JSON.parse(text);
  });
  const [bodies, kept] = time(() => texts.map((text) => parseJsonBounded(text, 4_000_000)));
  const [sites, validated] = time(() =>
    bodies.map((body, i) => validateSiteInfo(body, dataset.sites[i].id, "GET /site-info"))
  );
  const [results, filtered] = time(() =>
    sites.map((site) => index.filterDevices(site.devices, since, "GET /site-info"))
  );
  const [, payloads] = time(() => {
    for (const result of results) JSON.stringify(validatePayload(result.payload, "POST"));
  });
  console.log(
    `round ${round}: JSON.parse, each dropped ${dropped}; parsed, all kept ${kept}; ` +
      `validated ${validated}; filterDevices ${filtered}; payloads checked and stringified ${payloads}`,
  );
}
