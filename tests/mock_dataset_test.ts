/** The emulator's datasets: the embedded captures and `--data` files. */

import assert from "node:assert/strict";
import {
  DatasetError,
  DEFAULT_SITE_ID,
  defaultDataset,
  parseDataset,
} from "../src/mock/dataset.ts";
import {
  api,
  bytesEqual,
  EXPECTED,
  get,
  OUTAGES,
  OUTAGES_BYTES,
  post,
  referencePayload,
  SITE,
  SITE_BYTES,
} from "./mock_helpers.ts";

Deno.test("mock dataset: the embedded captures and --data files", async (t) => {
  await t.step("with captured noise, it serialises to the capture files byte for byte", () => {
    const dataset = defaultDataset("captured");
    const encoder = new TextEncoder();
    assert.ok(bytesEqual(encoder.encode(JSON.stringify(dataset.outages)), OUTAGES_BYTES));
    assert.equal(dataset.noise, undefined);
    assert.equal(dataset.sites.length, 1);
    assert.ok(bytesEqual(encoder.encode(JSON.stringify(dataset.sites[0])), SITE_BYTES));
    assert.deepEqual(dataset.expected?.[DEFAULT_SITE_ID], EXPECTED);
  });

  await t.step(
    "by default, it keeps the 18 outages of the site's devices and asks for noise",
    () => {
      const dataset = defaultDataset();
      const devices = new Set(SITE.devices.map((device) => device.id));
      assert.deepEqual(dataset.outages, OUTAGES.filter((outage) => devices.has(outage.id)));
      assert.equal(dataset.outages.length, 18);
      assert.equal(dataset.noise?.count, 90);
      assert.deepEqual(dataset.sites, [SITE]);
      assert.deepEqual(dataset.expected?.[DEFAULT_SITE_ID], EXPECTED);
    },
  );

  await t.step("the reference rule reproduces the captured expected payload", () => {
    assert.deepEqual(referencePayload(OUTAGES, SITE, "2022-01-01T00:00:00.000Z"), EXPECTED);
  });

  await t.step("a valid file loads and is served", async () => {
    const text = JSON.stringify({
      outages: [{
        id: "d1",
        begin: "2022-03-01T00:00:00+01:00",
        end: "2022-03-02T00:00:00Z",
        x: 1,
      }],
      sites: [{ id: "s", name: "S", devices: [{ id: "d1", name: "One" }] }],
      expected: {
        s: [{
          id: "d1",
          name: "One",
          begin: "2022-03-01T00:00:00+01:00",
          end: "2022-03-02T00:00:00Z",
        }],
      },
    });
    const dataset = parseDataset(text, "data.json");
    const mock = api({ dataset });
    assert.equal(
      await (await mock.handle(get("/outages"))).text(),
      JSON.stringify(dataset.outages),
    );
    const response = await mock.handle(post("/site-outages/s", dataset.expected?.s));
    assert.equal(response.status, 200);
    await response.body?.cancel();
    const refused = await mock.handle(post("/site-outages/s", []));
    assert.equal(refused.status, 400);
    await refused.body?.cancel();
  });

  const site = (devices: unknown) => ({ id: "s", name: "S", devices });
  const cases: [string, unknown, string][] = [
    ["an array", [], 'data.json: expected an object with "outages" and "sites", got an array'],
    ["no outages", { sites: [] }, "data.json: outages: missing"],
    ["no sites", { outages: [] }, "data.json: sites: missing"],
    [
      "an unknown key",
      { outages: [], sites: [], expect: {} },
      'data.json: unknown key "expect" (expected "outages", "sites" and "expected")',
    ],
    [
      "outages not an array",
      { outages: {}, sites: [] },
      "data.json: outages: expected an array, got an object",
    ],
    [
      "an outage not an object",
      { outages: [5], sites: [] },
      "data.json: outages[0]: expected an object, got number 5",
    ],
    [
      "an outage id not a string",
      {
        outages: [{ id: 1, begin: "2022-01-01T00:00:00Z", end: "2022-01-01T00:00:00Z" }],
        sites: [],
      },
      "data.json: outages[0].id: expected a string, got number 1",
    ],
    [
      "a begin without offset",
      {
        outages: [
          { id: "a", begin: "2022-01-01T00:00:00Z", end: "2022-01-01T00:00:00Z" },
          { id: "b", begin: "2022-06-01T00:00:00", end: "2022-07-01T00:00:00Z" },
        ],
        sites: [],
      },
      'data.json: outages[1].begin: not an RFC 3339 timestamp with offset: "2022-06-01T00:00:00"',
    ],
    [
      "an end out of range",
      {
        outages: [{ id: "a", begin: "2022-01-01T00:00:00Z", end: "2022-13-01T00:00:00Z" }],
        sites: [],
      },
      'data.json: outages[0].end: month out of range: "2022-13-01T00:00:00Z"',
    ],
    [
      "a missing end",
      { outages: [{ id: "a", begin: "2022-01-01T00:00:00Z" }], sites: [] },
      "data.json: outages[0].end: missing",
    ],
    [
      "a device name not a string",
      {
        outages: [],
        sites: [site([]), { ...site([]), id: "t" }, {
          ...site([{ id: "d", name: 7 }]),
          id: "u",
        }],
      },
      "data.json: sites[2].devices[0].name: expected a string, got number 7",
    ],
    [
      "devices missing",
      { outages: [], sites: [{ id: "s", name: "S" }] },
      "data.json: sites[0].devices: missing",
    ],
    [
      "a site name null",
      { outages: [], sites: [{ id: "s", name: null, devices: [] }] },
      "data.json: sites[0].name: expected a string, got null",
    ],
    [
      "a duplicate site",
      { outages: [], sites: [site([]), site([])] },
      'data.json: sites[1].id: duplicate site id "s"',
    ],
    [
      "expected for an unknown site",
      { outages: [], sites: [site([])], expected: { other: [] } },
      'data.json: expected["other"]: no site in "sites" has this id',
    ],
    [
      "expected not an object",
      { outages: [], sites: [site([])], expected: [] },
      "data.json: expected: expected an object, got an array",
    ],
    [
      "an expected element with an extra key",
      {
        outages: [],
        sites: [site([])],
        expected: {
          s: [{
            id: "d",
            name: "D",
            begin: "2022-01-01T00:00:00Z",
            end: "2022-01-01T00:00:00Z",
            x: 1,
          }],
        },
      },
      'data.json: expected["s"][0]: unexpected key "x" (expected id, name, begin, end)',
    ],
    [
      "an expected element with a bad begin",
      {
        outages: [],
        sites: [site([])],
        expected: { s: [{ id: "d", name: "D", begin: "yesterday", end: "2022-01-01T00:00:00Z" }] },
      },
      'data.json: expected["s"][0].begin: not an RFC 3339 timestamp with offset: "yesterday"',
    ],
  ];
  for (const [what, value, message] of cases) {
    await t.step(`a file with ${what} is refused`, () => {
      assert.throws(() => parseDataset(JSON.stringify(value), "data.json"), (error) => {
        assert.ok(error instanceof DatasetError);
        assert.equal(error.message, message);
        return true;
      });
    });
  }

  await t.step("a file that is not JSON is refused naming the file", () => {
    assert.throws(
      () => parseDataset("{outages: []}", "dir/my data.json"),
      (error) =>
        error instanceof DatasetError &&
        error.message.startsWith("dir/my data.json: not valid JSON ("),
    );
  });

  await t.step("prototype keys are ordinary site ids", () => {
    const text =
      '{"outages":[],"sites":[{"id":"__proto__","name":"P","devices":[]}],"expected":{"__proto__":[]}}';
    const dataset = parseDataset(text, "data.json");
    assert.deepEqual(Object.keys(dataset.expected ?? {}), ["__proto__"]);
  });
});
