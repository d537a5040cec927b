/**
 * The synthetic datasets, checked against a straightforward reading of docs/spec.md §3. A million outages,
 * at the scale the benchmarks use, are checked by `bench/scale_check.ts`, outside the test suite.
 */

import assert from "node:assert/strict";
import { createRandom } from "../src/mock/random.ts";
import {
  canonicalTimestamp,
  SYNTHETIC_SINCE,
  syntheticDataset,
  syntheticSiteId,
} from "../src/mock/synthetic.ts";
import { api, get, lastEntry, post, referencePayload, shuffle } from "./mock_helpers.ts";

Deno.test("mock synthetic: generated datasets", async (t) => {
  const canonical = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

  await t.step("the same options give the same dataset; another seed another one", () => {
    const a = syntheticDataset({ outages: 5000, seed: 11 });
    const b = syntheticDataset({ outages: 5000, seed: 11 });
    const c = syntheticDataset({ outages: 5000, seed: 12 });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.notEqual(JSON.stringify(a.outages), JSON.stringify(c.outages));
  });

  await t.step("its shape: sizes, ids, canonical timestamps", () => {
    const dataset = syntheticDataset({ outages: 20_000, seed: 3, devicesPerSite: 50 });
    assert.equal(dataset.outages.length, 20_000);
    assert.deepEqual(dataset.sites.map((s) => s.id), ["synthetic-site-1"]);
    assert.equal(dataset.sites[0].devices.length, 50);
    assert.equal(new Set(dataset.sites[0].devices.map((d) => d.id)).size, 50);
    for (const outage of dataset.outages) {
      assert.ok(canonical.test(outage.begin) && canonical.test(outage.end), outage.begin);
      assert.ok(outage.end > outage.begin);
    }
  });

  await t.step("about 10% of outages are the site's, about half of those kept", () => {
    const dataset = syntheticDataset({ outages: 20_000, seed: 5 });
    const ids = new Set(dataset.sites[0].devices.map((d) => d.id));
    const ofSite = dataset.outages.filter((o) => ids.has(o.id));
    assert.ok(ofSite.length > 1600 && ofSite.length < 2400, `${ofSite.length} of 20000`);
    const kept = dataset.expected?.[syntheticSiteId(1)] ?? [];
    assert.ok(kept.length > ofSite.length * 0.4 && kept.length < ofSite.length * 0.6);
    assert.ok(ofSite.some((o) => o.begin === SYNTHETIC_SINCE), "one begins at the cut-off");
    assert.ok(ofSite.some((o) => o.begin === "2021-12-31T23:59:59.999Z"), "one 1 ms before");
  });

  for (
    const options of [{ outages: 20_000, seed: 9 }, {
      outages: 30_000,
      seed: 10,
      sites: 3,
      devicesPerSite: 20,
    }]
  ) {
    await t.step(
      `the expected payloads follow docs/spec.md §3 (${JSON.stringify(options)})`,
      () => {
        const dataset = syntheticDataset(options);
        assert.deepEqual(
          dataset.sites.map((s) => s.id),
          Array.from({ length: options.sites ?? 1 }, (_, i) => `synthetic-site-${i + 1}`),
        );
        for (const site of dataset.sites) {
          const expected = dataset.expected?.[site.id];
          assert.ok(expected !== undefined && expected.length > 0);
          assert.deepEqual(expected, referencePayload(dataset.outages, site, SYNTHETIC_SINCE));
        }
      },
    );
  }

  await t.step("tiny and empty datasets", () => {
    const empty = syntheticDataset({ outages: 0 });
    assert.deepEqual(empty.outages, []);
    assert.deepEqual(empty.expected, { "synthetic-site-1": [] });
    assert.throws(() => syntheticDataset({ outages: -1 }), RangeError);
    assert.throws(() => syntheticDataset({ outages: 10, sites: 0 }), RangeError);
  });

  await t.step("the emulator accepts the generated expected payload", async () => {
    const dataset = syntheticDataset({ outages: 10_000, seed: 2, sites: 2 });
    const mock = api({ dataset });
    for (const site of dataset.sites) {
      const payload = shuffle(dataset.expected?.[site.id] ?? [], 1);
      const response = await mock.handle(post(`/site-outages/${site.id}`, payload));
      assert.equal(response.status, 200, lastEntry(mock).note);
      await response.body?.cancel();
    }
    const response = await mock.handle(get("/outages"));
    assert.deepEqual(JSON.parse(await response.text()), dataset.outages);
  });

  await t.step("canonicalTimestamp agrees with Date.prototype.toISOString", () => {
    const random = createRandom(99);
    const samples = [
      0,
      -1,
      86_399_999,
      Date.parse("2000-02-29T23:59:59.999Z"),
      Date.parse("9999-12-31T23:59:59.999Z"),
    ];
    for (let i = 0; i < 20_000; i++) samples.push(Math.floor((random.float() - 0.3) * 4e12));
    for (const ms of samples) {
      assert.equal(canonicalTimestamp(ms), new Date(ms).toISOString(), String(ms));
    }
    assert.throws(() => canonicalTimestamp(Date.parse("+010000-01-01T00:00:00Z")), RangeError);
  });
});
