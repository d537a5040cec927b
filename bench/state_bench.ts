/**
 * What change detection costs (issue "Change detection"): at 50,000 kept outages — the payload of
 * one site over a million outages — the digest, the diff against the last accepted payload, and
 * reading and writing the state file's text, next to what the sync itself costs for that site.
 *
 *   deno bench --frozen bench/state_bench.ts
 * @module
 */

import { syntheticDataset, syntheticSiteId } from "../src/mock/synthetic.ts";
import {
  parseState,
  payloadChanges,
  payloadDigest,
  renderState,
  type SiteState,
  STATE_FORMAT,
} from "../src/state.ts";

const dataset = syntheticDataset({ outages: 1_000_000 });
const payload = dataset.expected?.[syntheticSiteId(1)] ?? [];
const previous = [...payload.slice(0, payload.length - 10), ...payload.slice(0, 10)];
const state: SiteState = {
  format: STATE_FORMAT,
  baseUrl: "https://api.example.com/v1",
  siteId: syntheticSiteId(1),
  since: "2022-01-01T00:00:00.000Z",
  sinceInstant: "1640995200000000000",
  digest: await payloadDigest(payload),
  count: payload.length,
  postedAt: new Date().toISOString(),
  changedAt: new Date().toISOString(),
  payload,
};
const text = renderState(state);

Deno.bench({
  name: `payloadDigest, ${payload.length} outages`,
  group: "state",
  baseline: true,
  async fn() {
    await payloadDigest(payload);
  },
});
Deno.bench({
  name: `payloadChanges, ${payload.length} outages, 10 changed`,
  group: "state",
  fn() {
    payloadChanges(previous, payload);
  },
});
Deno.bench({
  name: `parseState (validates, re-digests), ${(text.length / 1e6).toFixed(1)} MB`,
  group: "state",
  async fn() {
    await parseState(text, state.siteId);
  },
});
Deno.bench({
  name: "renderState",
  group: "state",
  fn() {
    renderState(state);
  },
});
