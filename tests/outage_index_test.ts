import assert from "node:assert/strict";
import fc from "fast-check";
import type { Outage } from "../src/api_shapes.ts";
import { deviceNames, filterSiteOutages } from "../src/filter.ts";
import { parseOutageFeed } from "../src/outage_feed.ts";
import { OutageIndex } from "../src/outage_index.ts";
import { parseSince } from "../src/timestamp.ts";

const SINCE = parseSince("2022-01-01T00:00:00.000Z");
/** Ids that agree everywhere the quick hash looks but one place it does not, and some plain ones. */
const idArb = fc.oneof(
  fc.constantFrom("a", "b", "", "constructor", "__proto__"),
  fc.integer({ min: 0, max: 9 }).map((d) => `device-0000-0000-000${d}-000000000000`),
  fc.string({ maxLength: 5 }),
);
const outageArb: fc.Arbitrary<Outage> = fc.record({
  id: idArb,
  begin: fc.constantFrom(
    "2022-01-01T00:00:00.000Z",
    "2021-12-31T23:59:59.999Z",
    "2022-01-01T00:30:00+01:00",
    "2023-05-01T10:00:00Z",
  ),
  end: fc.constant("2024-01-01T00:00:00Z"),
});

Deno.test("OutageIndex gives what deviceNames and the scan give: payload, order, counts, errors", () => {
  fc.assert(
    fc.property(
      fc.array(outageArb, { maxLength: 60 }),
      fc.array(fc.array(fc.tuple(idArb, fc.string({ maxLength: 3 })), { maxLength: 6 }), {
        minLength: 1,
        maxLength: 5,
      }),
      fc.integer(),
      (outages, sites, seed) => {
        const index = new OutageIndex(outages, seed >>> 0);
        // The same index over the compact table a body is read into.
        const fromBody = new OutageIndex(
          parseOutageFeed(JSON.stringify(outages)).outages,
          seed >>> 0,
        );
        for (const pairs of sites) {
          const devices = pairs.map(([id, name]) => ({ id, name }));
          let expected: unknown;
          try {
            const names = deviceNames({ id: "s", name: "S", devices }, "GET /site-info/s");
            expected = filterSiteOutages(outages, names, SINCE);
          } catch (error) {
            expected = error;
          }
          let actual: unknown;
          try {
            actual = index.filterDevices(devices, SINCE, "GET /site-info/s");
          } catch (error) {
            actual = error;
          }
          assert.deepEqual(actual, expected);
          let fromText: unknown;
          try {
            fromText = fromBody.filterDevices(devices, SINCE, "GET /site-info/s");
          } catch (error) {
            fromText = error;
          }
          assert.deepEqual(fromText, expected);
        }
      },
    ),
    { seed: 1101, numRuns: 400 },
  );
});

Deno.test("OutageIndex: lopsided buckets (ids alike where the quick hash looks) still filter exactly", () => {
  // 5,000 ids of 23 characters that differ only at 1, 3, 4 and 6, where the quick hash never looks
  // (it samples 0, 2, 5, 8, 11, 13, 16, 19 and 22): one bucket for all, until the full hash.
  const ids = Array.from({ length: 5000 }, (_, i) => {
    const chars = Array.from("x".repeat(23));
    const digits = String(i).padStart(4, "0");
    [1, 3, 4, 6].forEach((at, k) => (chars[at] = digits[k]));
    return chars.join("");
  });
  const outages = ids.map((id) => ({
    id,
    begin: "2022-06-01T00:00:00Z",
    end: "2022-06-02T00:00:00Z",
  }));
  const index = new OutageIndex(outages, 7);
  const devices = [{ id: ids[4321], name: "Battery" }, { id: "absent", name: "None" }];
  const result = index.filterDevices(devices, SINCE, "here");
  assert.deepEqual(
    result,
    filterSiteOutages(outages, new Map(devices.map((d) => [d.id, d.name])), SINCE),
  );
  assert.equal(result.payload.length, 1);
  assert.equal(result.droppedUnknownDevice, 4999);
});

Deno.test("OutageIndex: a site whose devices crowd one bucket is still checked and filtered exactly", () => {
  // 3,000 device ids alike wherever the quick hash looks, one of them listed twice under two names.
  const ids = Array.from({ length: 3000 }, (_, i) => {
    const chars = Array.from("y".repeat(23));
    const digits = String(i).padStart(4, "0");
    [1, 3, 4, 6].forEach((at, k) => (chars[at] = digits[k]));
    return chars.join("");
  });
  const outages = [{ id: ids[7], begin: "2022-02-01T00:00:00Z", end: "2022-02-02T00:00:00Z" }];
  const index = new OutageIndex(outages, 11);
  const devices = ids.map((id, i) => ({ id, name: `Battery ${i}` }));
  assert.equal(index.filterDevices(devices, SINCE, "here").payload[0]?.name, "Battery 7");
  assert.throws(
    () => index.filterDevices([...devices, { id: ids[9], name: "Other" }], SINCE, "here"),
    /device "y0y00y9y+" is listed twice with different names, "Battery 9" and "Other"/,
  );
});

Deno.test("OutageIndex: a crowded site's outages come out in the list's order, counted as the scan counts", () => {
  // Device ids alike wherever the quick hash looks (one bucket for the site's 3,000 devices), and
  // their outages interleaved in the list: the payload must keep the list's order, not the devices'.
  const ids = Array.from({ length: 3000 }, (_, i) => {
    const chars = Array.from("z".repeat(23));
    const digits = String(i).padStart(4, "0");
    [1, 3, 4, 6].forEach((at, k) => (chars[at] = digits[k]));
    return chars.join("");
  });
  const outages = [2900, 5, 2, 5, 1500, 2, 2900, 7].map((device, i) => ({
    id: ids[device],
    begin: i === 3 ? "2021-06-01T00:00:00Z" : `2022-03-0${i + 1}T00:00:00Z`,
    end: "2022-04-01T00:00:00Z",
  }));
  outages.push({ id: "elsewhere", begin: "2022-05-01T00:00:00Z", end: "2022-05-02T00:00:00Z" });
  const index = new OutageIndex(outages, 3);
  const devices = ids.map((id, i) => ({ id, name: `Battery ${i}` }));
  const result = index.filterDevices(devices, SINCE, "here");
  assert.deepEqual(
    result.payload.map((outage) => [outage.name, outage.begin]),
    [
      ["Battery 2900", "2022-03-01T00:00:00Z"],
      ["Battery 5", "2022-03-02T00:00:00Z"],
      ["Battery 2", "2022-03-03T00:00:00Z"],
      ["Battery 1500", "2022-03-05T00:00:00Z"],
      ["Battery 2", "2022-03-06T00:00:00Z"],
      ["Battery 2900", "2022-03-07T00:00:00Z"],
      ["Battery 7", "2022-03-08T00:00:00Z"],
    ],
  );
  assert.equal(result.droppedBeforeSince, 1);
  assert.equal(result.droppedUnknownDevice, 1);
  assert.deepEqual(
    result,
    filterSiteOutages(outages, new Map(devices.map((d) => [d.id, d.name])), SINCE),
  );
});

/** `count` ids of 23 characters alike wherever the quick hash looks (`fill`, digits at 1, 3, 4, 6). */
function alikeIds(count: number, fill: string): string[] {
  return Array.from({ length: count }, (_, i) => {
    const chars = Array.from(fill.repeat(23));
    const digits = String(i).padStart(4, "0");
    [1, 3, 4, 6].forEach((at, k) => (chars[at] = digits[k]));
    return chars.join("");
  });
}

Deno.test("OutageIndex: ids the quick hash cannot tell apart are still different devices", () => {
  // Three outages: too few for a lopsided bucket, so the index keeps the quick hash, under which
  // these ids are the same. Two devices with different names, and a third id that is neither.
  const [a, b, c] = alikeIds(3, "q");
  const outages = [a, c, b, a].map((id, i) => ({
    id,
    begin: `2022-07-0${i + 1}T00:00:00Z`,
    end: "2022-08-01T00:00:00Z",
  }));
  for (const index of [new OutageIndex(outages, 5), new OutageIndex(outages, 6)]) {
    const devices = [{ id: a, name: "Battery A" }, { id: b, name: "Battery B" }];
    const result = index.filterDevices(devices, SINCE, "here");
    assert.deepEqual(result.payload.map((o) => [o.id, o.name, o.begin]), [
      [a, "Battery A", "2022-07-01T00:00:00Z"],
      [b, "Battery B", "2022-07-03T00:00:00Z"],
      [a, "Battery A", "2022-07-04T00:00:00Z"],
    ]);
    assert.equal(result.droppedUnknownDevice, 1);
    assert.equal(index.size, 4);
  }
});

Deno.test("OutageIndex: every outage of a large index is found, under the quick hash and the full one", () => {
  // Distinct plain ids keep the quick hash; ids alike where it looks make the index use the full
  // one. Either way, sites that together list every device get every outage, each exactly once.
  const plainIds = Array.from({ length: 3000 }, (_, i) => `device-${i}`);
  for (const ids of [plainIds, alikeIds(3000, "f")]) {
    const outages = ids.map((id) => ({
      id,
      begin: "2022-09-01T00:00:00Z",
      end: "2022-09-02T00:00:00Z",
    }));
    for (const seed of [1, 2, 3, 4]) {
      const index = new OutageIndex(outages, seed);
      assert.equal(index.size, 3000);
      const found: string[] = [];
      for (let from = 0; from < ids.length; from += 30) {
        const devices = ids.slice(from, from + 30).map((id) => ({ id, name: `n${id}` }));
        const result = index.filterDevices(devices, SINCE, "here");
        assert.equal(result.payload.length, devices.length, `seed ${seed}, devices from ${from}`);
        found.push(...result.payload.map((outage) => outage.id));
      }
      assert.deepEqual(found, ids, `seed ${seed}`);
    }
  }
});

Deno.test("OutageIndex: a device listed seventy times, over an index of alike ids, keeps its outages", () => {
  // The index uses the full hash (3,000 ids alike where the quick hash looks); the site lists one
  // device 70 times under one name, so its devices crowd one bucket and take the by-name path.
  const ids = alikeIds(3000, "m");
  const outages = ids.map((id) => ({
    id,
    begin: "2022-10-01T00:00:00Z",
    end: "2022-10-02T00:00:00Z",
  }));
  const index = new OutageIndex(outages, 9);
  const devices = Array.from({ length: 70 }, () => ({ id: ids[1234], name: "Inverter" }));
  const result = index.filterDevices(devices, SINCE, "here");
  assert.deepEqual(result.payload, [{ ...outages[1234], name: "Inverter" }]);
  assert.equal(result.droppedUnknownDevice, 2999);
});
