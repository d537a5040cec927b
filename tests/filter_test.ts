import assert from "node:assert/strict";
import fc from "fast-check";
import { ValidationError } from "../src/errors.ts";
import { deviceNames, filterSiteOutages, skippedForSite } from "../src/filter.ts";
import { parseOutageFeed } from "../src/outage_feed.ts";
import { parseSince } from "../src/timestamp.ts";
import type { EnhancedOutage, Outage, SiteInfo } from "../src/api_shapes.ts";
import { validateSiteInfo } from "../src/validate.ts";
import { validateOutages } from "./validate_outages.ts";

const dataDir = new URL("../src/mock/data/", import.meta.url);
const readJson = (name: string): unknown =>
  JSON.parse(Deno.readTextFileSync(new URL(name, dataDir)));

const DEFAULT_SINCE = parseSince("2022-01-01T00:00:00.000Z");
const END = "2022-12-31T00:00:00.000Z";

function site(devices: { id: string; name: string }[], id = "s"): SiteInfo {
  return { id, name: "Site", devices };
}

function outage(id: string, begin: string, end = END): Outage {
  return { id, begin, end };
}

/** Runs the filter for one site with the default cut-off unless another is given. */
function keep(
  outages: Outage[],
  devices: { id: string; name: string }[],
  since = DEFAULT_SINCE,
) {
  return filterSiteOutages(outages, deviceNames(site(devices)), since);
}

const battery = [{ id: "dev-1", name: "Battery 1" }];

Deno.test("filterSiteOutages: the cut-off, as instants", async (t) => {
  const cases: [string, boolean][] = [
    ["2022-01-01T00:00:00.000Z", true],
    ["2022-01-01T00:00:00Z", true],
    ["2022-01-01T00:00:00+00:00", true],
    ["2022-01-01T00:00:00.000000000Z", true],
    ["2022-01-01T00:00:00.000000z", true],
    ["2022-01-01t00:00:00.000z", true],
    ["2021-12-31T23:59:59.999999999Z", false],
    ["2021-12-31T23:59:59.999Z", false],
    ["2021-12-31T23:59:59.999z", false],
    ["2022-01-01T00:00:00.001Z", true],
    ["2022-01-01T00:00:00.000000001Z", true],
    ["2022-01-01T00:30:00+01:00", false],
    ["2022-01-01T01:00:00+01:00", true],
    ["2021-12-31T23:30:00-01:00", true],
    ["2021-12-31T22:59:59.999-01:00", false],
    ["2022-01-01T00:00:00.5Z", true],
    ["2021-12-31T23:59:59.999999Z", false],
  ];
  for (const [begin, kept] of cases) {
    await t.step(`${begin} is ${kept ? "kept" : "dropped"}`, () => {
      const result = keep([outage("dev-1", begin)], battery);
      assert.deepEqual(
        result.payload,
        kept ? [{ id: "dev-1", name: "Battery 1", begin, end: END }] : [],
      );
      assert.equal(result.droppedBeforeSince, kept ? 0 : 1);
      assert.equal(result.droppedUnknownDevice, 0);
    });
  }

  await t.step("only begin matters: end before the cut-off, or before begin, is kept", () => {
    const outages = [
      outage("dev-1", "2022-02-01T00:00:00Z", "2020-01-01T00:00:00Z"),
      outage("dev-1", "2021-02-01T00:00:00Z", "2023-01-01T00:00:00Z"),
    ];
    const result = keep(outages, battery);
    assert.deepEqual(result.payload.map((o) => o.begin), ["2022-02-01T00:00:00Z"]);
    assert.equal(result.droppedBeforeSince, 1);
  });

  await t.step("another cut-off with sub-millisecond digits", () => {
    const since = parseSince("2022-03-01T12:00:00.000000500+02:00");
    const result = keep(
      [
        outage("dev-1", "2022-03-01T10:00:00.000Z"),
        outage("dev-1", "2022-03-01T10:00:00.0000005Z"),
        outage("dev-1", "2022-03-01T10:00:00.001Z"),
        outage("dev-1", "2022-03-01T10:00:00.000000499Z"),
      ],
      battery,
      since,
    );
    assert.deepEqual(result.payload.map((o) => o.begin), [
      "2022-03-01T10:00:00.0000005Z",
      "2022-03-01T10:00:00.001Z",
    ]);
    assert.equal(result.droppedBeforeSince, 2);
  });
});

Deno.test("filterSiteOutages: device ids", async (t) => {
  await t.step("ids match exactly and case-sensitively", () => {
    const result = keep(
      [
        outage("DEV-1", "2022-02-01T00:00:00Z"),
        outage("dev-1 ", "2022-02-01T00:00:00Z"),
        outage("dev-1", "2022-02-01T00:00:00Z"),
        outage("dev", "2022-02-01T00:00:00Z"),
      ],
      battery,
    );
    assert.deepEqual(result.payload.map((o) => o.id), ["dev-1"]);
    assert.equal(result.droppedUnknownDevice, 3);
  });

  const protoKeys = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"];
  await t.step("prototype keys are ordinary unknown ids", () => {
    const outages = protoKeys.map((id) => outage(id, "2022-02-01T00:00:00Z"));
    const result = keep(outages, battery);
    assert.deepEqual(result.payload, []);
    assert.equal(result.droppedUnknownDevice, protoKeys.length);
    assert.equal(result.droppedBeforeSince, 0);
    const names = deviceNames(site(battery));
    for (const id of protoKeys) assert.equal(names.get(id), undefined);
  });

  await t.step("prototype keys are ordinary device ids", () => {
    const devices = protoKeys.map((id) => ({ id, name: `Device ${id}` }));
    const outages = [
      ...protoKeys.map((id) => outage(id, "2022-02-01T00:00:00Z")),
      outage("__proto__", "2021-02-01T00:00:00Z"),
      outage("dev-1", "2022-02-01T00:00:00Z"),
    ];
    const result = keep(outages, devices);
    assert.deepEqual(
      result.payload,
      protoKeys.map((id) => ({
        id,
        name: `Device ${id}`,
        begin: "2022-02-01T00:00:00Z",
        end: END,
      })),
    );
    assert.equal(result.droppedBeforeSince, 1);
    assert.equal(result.droppedUnknownDevice, 1);
  });

  await t.step("an empty device name is a valid name", () => {
    const result = keep([outage("dev-e", "2022-02-01T00:00:00Z")], [{ id: "dev-e", name: "" }]);
    assert.deepEqual(result.payload, [
      { id: "dev-e", name: "", begin: "2022-02-01T00:00:00Z", end: END },
    ]);
  });

  await t.step("a site with no devices keeps nothing", () => {
    const outages = [outage("dev-1", "2022-02-01T00:00:00Z"), outage("", "2022-02-01T00:00:00Z")];
    const result = keep(outages, []);
    assert.deepEqual(result.payload, []);
    assert.equal(result.droppedUnknownDevice, 2);
    assert.equal(result.droppedBeforeSince, 0);
  });

  await t.step("a device listed twice with the same name is fine", () => {
    const names = deviceNames(site([
      { id: "dev-1", name: "Battery 1" },
      { id: "dev-2", name: "Battery 2" },
      { id: "dev-1", name: "Battery 1" },
    ]));
    assert.deepEqual([...names], [["dev-1", "Battery 1"], ["dev-2", "Battery 2"]]);
  });

  await t.step("a device listed twice with different names is an error naming the id", () => {
    assert.throws(
      () =>
        deviceNames(site([
          { id: "dev-1", name: "Battery 1" },
          { id: "dev-x", name: "Battery X" },
          { id: "dev-x", name: "Battery Y" },
        ], "norwich-pear-tree")),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.match(error.message, /^GET \/site-info\/norwich-pear-tree: /);
        assert.ok(error.message.includes(`"dev-x"`), error.message);
        assert.ok(error.message.includes(`"Battery X"`), error.message);
        assert.ok(error.message.includes(`"Battery Y"`), error.message);
        assert.ok(!error.message.includes("dev-1"), error.message);
        return true;
      },
    );
  });

  await t.step("an empty and a non-empty name for one id conflict", () => {
    assert.throws(
      () => deviceNames(site([{ id: "d", name: "" }, { id: "d", name: "D" }])),
      ValidationError,
    );
  });
});

Deno.test("filterSiteOutages: shape and order of the payload", async (t) => {
  await t.step("duplicates and input order are kept", () => {
    const devices = [{ id: "a", name: "A" }, { id: "b", name: "B" }];
    const outages = [
      outage("b", "2022-03-01T00:00:00Z"),
      outage("a", "2022-05-01T00:00:00Z"),
      outage("b", "2022-03-01T00:00:00Z"),
      outage("c", "2022-03-01T00:00:00Z"),
      outage("a", "2022-02-01T00:00:00Z"),
      outage("b", "2022-03-01T00:00:00Z"),
    ];
    const result = keep(outages, devices);
    assert.deepEqual(result.payload, [
      { id: "b", name: "B", begin: "2022-03-01T00:00:00Z", end: END },
      { id: "a", name: "A", begin: "2022-05-01T00:00:00Z", end: END },
      { id: "b", name: "B", begin: "2022-03-01T00:00:00Z", end: END },
      { id: "a", name: "A", begin: "2022-02-01T00:00:00Z", end: END },
      { id: "b", name: "B", begin: "2022-03-01T00:00:00Z", end: END },
    ]);
    assert.equal(result.droppedUnknownDevice, 1);
  });

  await t.step("extra fields are dropped and keys are id, name, begin, end in order", () => {
    const input = {
      end: "2022-09-01T00:00:00.000Z",
      extra: 1,
      begin: "2022-08-01T00:00:00.000Z",
      name: "from the input",
      id: "dev-1",
      nested: { a: 1 },
    };
    const result = keep([input], battery);
    assert.equal(result.payload.length, 1);
    const [out] = result.payload;
    assert.deepEqual(Object.keys(out), ["id", "name", "begin", "end"]);
    assert.equal(
      JSON.stringify(out),
      '{"id":"dev-1","name":"Battery 1","begin":"2022-08-01T00:00:00.000Z","end":"2022-09-01T00:00:00.000Z"}',
    );
    assert.notEqual(out, input as unknown);
  });

  await t.step("begin and end are passed on byte for byte", () => {
    const odd = [
      ["2022-01-01t01:00:00.100000000+01:00", "2023-01-01T00:00:00z"],
      ["2022-06-01T00:00:00.5-00:00", "2022-06-01T00:00:00.123456Z"],
      ["2022-06-30T23:59:60Z", "2021-01-01T00:00:00+14:00"],
    ];
    const result = keep(odd.map(([begin, end]) => outage("dev-1", begin, end)), battery);
    assert.deepEqual(result.payload.map((o) => [o.begin, o.end]), odd);
  });
});

Deno.test("filterSiteOutages: the real captured data gives the accepted payload", () => {
  const { outages, invalid } = validateOutages(readJson("outages.json"));
  assert.equal(outages.length, 108);
  assert.deepEqual(invalid, []);
  const siteInfo = validateSiteInfo(
    readJson("site-info-norwich-pear-tree.json"),
    "norwich-pear-tree",
    "GET /site-info/norwich-pear-tree",
  );
  const expected = readJson("expected-site-outages-norwich-pear-tree.json") as EnhancedOutage[];
  const result = filterSiteOutages(outages, deviceNames(siteInfo), DEFAULT_SINCE);
  assert.deepEqual(result.payload, expected);
  assert.equal(JSON.stringify(result.payload), JSON.stringify(expected));
  assert.equal(
    result.payload.length + result.droppedBeforeSince + result.droppedUnknownDevice,
    outages.length,
  );
  // The boundary record of the real data is kept.
  assert.ok(result.payload.some((o) => o.begin === "2022-01-01T00:00:00.000Z"));
});

// ---- properties ----------------------------------------------------------------------------

const DEVICE_IDS = ["a", "b", "A", "constructor", "__proto__", "toString", ""];

const beginArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "2022-01-01T00:00:00.000Z",
    "2021-12-31T23:59:59.999Z",
    "2022-01-01T00:00:00.001Z",
    "2021-12-31T23:59:59.999999999Z",
    "2022-01-01T00:00:00.000000001Z",
    "2022-01-01T00:30:00+01:00",
    "2022-01-01T01:00:00+01:00",
    "2021-12-31T23:00:00-01:00",
    "2022-01-01t00:00:00z",
  ),
  fc.integer({ min: -3_600_000, max: 3_600_000 }).map((ms) =>
    new Date(Date.UTC(2022, 0, 1) + ms).toISOString()
  ),
  fc.tuple(
    fc.integer({ min: -7_200, max: 7_200 }),
    fc.integer({ min: 0, max: 999_999_999 }),
    fc.constantFrom("+00:00", "+01:00", "-01:00", "+05:45", "-09:30"),
  ).map(([s, ns, zone]) =>
    Temporal.Instant.fromEpochNanoseconds(
      1640995200_000_000_000n + BigInt(s) * 1_000_000_000n +
        BigInt(ns),
    ).toString({ timeZone: zone, smallestUnit: "nanosecond" })
  ),
);

const outageArb: fc.Arbitrary<Outage> = fc.record({
  id: fc.oneof(fc.constantFrom(...DEVICE_IDS), fc.string({ maxLength: 3 })),
  begin: beginArb,
  end: fc.constantFrom(END, "2020-01-01T00:00:00Z"),
});

const devicesArb = fc.uniqueArray(
  fc.record({ id: fc.constantFrom(...DEVICE_IDS), name: fc.string({ maxLength: 4 }) }),
  { selector: (d) => d.id, maxLength: DEVICE_IDS.length },
);

const sinceArb = fc.constantFrom(
  "2022-01-01T00:00:00.000Z",
  "2022-01-01T00:00:00.000000001Z",
  "2021-12-31T23:59:59.999999999Z",
  "2022-01-01T00:30:00+01:00",
  "2022-01-01T00:00:00.000500+00:00",
);

Deno.test("property: the filter's laws", () => {
  fc.assert(
    fc.property(
      fc.array(outageArb, { maxLength: 30 }),
      devicesArb,
      sinceArb,
      (outages, devices, sinceText) => {
        const since = parseSince(sinceText);
        const names = deviceNames(site(devices));
        const result = filterSiteOutages(outages, names, since);
        // The same, from the compact table a body is read into (ids read where they lie).
        const table = parseOutageFeed(JSON.stringify(outages)).outages;
        assert.deepEqual(filterSiteOutages(table, names, since), result);
        const byId = new Map(devices.map((d) => [d.id, d.name]));
        const kept: EnhancedOutage[] = [];
        let before = 0;
        let unknown = 0;
        for (const o of outages) {
          const known = byId.has(o.id);
          const onTime = Temporal.Instant.from(o.begin).epochNanoseconds >= since.epochNanoseconds;
          if (known && onTime) {
            kept.push({ id: o.id, name: byId.get(o.id)!, begin: o.begin, end: o.end });
          } else if (known) before++;
          else unknown++;
        }
        // Kept ⇔ known device and begin at or after the cut-off; order as input.
        assert.deepEqual(result.payload, kept);
        // The output is a subsequence of the input, by index.
        let j = 0;
        for (const o of result.payload) {
          while (
            j < outages.length &&
            !(outages[j].id === o.id && outages[j].begin === o.begin && outages[j].end === o.end)
          ) j++;
          assert.ok(j < outages.length, "not a subsequence of the input");
          j++;
        }
        assert.equal(result.droppedBeforeSince, before);
        assert.equal(result.droppedUnknownDevice, unknown);
        assert.equal(
          result.droppedBeforeSince + result.droppedUnknownDevice,
          outages.length - result.payload.length,
        );
      },
    ),
    { numRuns: 1000, seed: 1 },
  );
});

Deno.test("property: no device id is missed, whatever the ids and the site's size", () => {
  // The filter screens ids with a fingerprint table before the Map: it must never drop a device.
  const idArb = fc.oneof(
    fc.string({ maxLength: 40, unit: "grapheme" }),
    fc.string({ minLength: 36, maxLength: 36, unit: fc.constantFrom(..."0123456789abcdef-") }),
    fc.constantFrom("", "a", "__proto__", "constructor", "toString", "\u0000", "\ud83d\ude00"),
  );
  fc.assert(
    fc.property(
      fc.uniqueArray(idArb, { maxLength: 3000, size: "max" }),
      fc.array(fc.tuple(fc.nat(), idArb, fc.nat({ max: 39 })), { maxLength: 300 }),
      (deviceIds, picks) => {
        const devices = deviceIds.map((id, i) => ({ id, name: `d${i}` }));
        const names = deviceNames(site(devices));
        // Outages of the site's devices, near misses (one code unit changed) and random ids.
        const outages = picks.map(([pick, other, at], i): Outage => {
          if (deviceIds.length === 0 || i % 3 === 2) return outage(other, END);
          const id = deviceIds[pick % deviceIds.length];
          if (i % 3 === 0 || id.length === 0) return outage(id, END);
          const k = at % id.length;
          return outage(
            id.slice(0, k) + String.fromCharCode(id.charCodeAt(k) ^ 1) + id.slice(k + 1),
            END,
          );
        });
        const result = filterSiteOutages(outages, names, DEFAULT_SINCE);
        const expected = outages.filter((o) => names.has(o.id));
        assert.deepEqual(result.payload.map((o) => o.id), expected.map((o) => o.id));
        assert.equal(result.droppedUnknownDevice, outages.length - expected.length);
      },
    ),
    { numRuns: 25, seed: 2 },
  );
});

Deno.test("deviceNames: the conflict message, word for word", () => {
  assert.throws(
    () => deviceNames(site([{ id: "d-1", name: "Roof" }, { id: "d-1", name: "Shed" }], "s-9")),
    (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(
        error.message,
        'GET /site-info/s-9: device "d-1" is listed twice with different names, "Roof" and "Shed"',
      );
      return true;
    },
  );
});

Deno.test("skippedForSite: the skipped records of the site's devices, each device once", () => {
  const invalid = new Map([["a", 2], ["c", 5], ["__proto__", 1]]);
  const devices = [{ id: "a" }, { id: "b" }, { id: "a" }, { id: "__proto__" }];
  assert.equal(skippedForSite(devices, invalid), 3);
  assert.equal(skippedForSite([{ id: "b" }], invalid), 0);
  assert.equal(skippedForSite(devices, new Map()), 0);
  assert.equal(skippedForSite([], invalid), 0);
});

Deno.test("filterSiteOutages: an empty id read from a body is the site's empty-id device", () => {
  const body = JSON.stringify([
    outage("", "2022-02-01T00:00:00Z"),
    outage("x", "2022-02-01T00:00:00Z"),
    outage("", "2021-02-01T00:00:00Z"),
  ]);
  const table = parseOutageFeed(body).outages;
  const result = filterSiteOutages(table, new Map([["", "Blank"]]), DEFAULT_SINCE);
  assert.deepEqual(result.payload, [
    { id: "", name: "Blank", begin: "2022-02-01T00:00:00Z", end: END },
  ]);
  assert.equal(result.droppedBeforeSince, 1);
  assert.equal(result.droppedUnknownDevice, 1);
});
