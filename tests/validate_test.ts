import assert from "node:assert/strict";
import fc from "fast-check";
import { ValidationError } from "../src/errors.ts";
import type { EnhancedOutage } from "../src/api_shapes.ts";
import {
  describeInvalidOutage,
  enhancedOutageProblem,
  outageProblem,
  quote,
  validatePayload,
  validateSiteInfo,
} from "../src/validate.ts";
import { validateOutages } from "./validate_outages.ts";

const GOOD = { id: "dev-1", begin: "2022-02-01T00:00:00.000Z", end: "2022-03-01T00:00:00.000Z" };

function throwsValidation(fn: () => unknown, message: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ValidationError, `not a ValidationError: ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("validateOutages", async (t) => {
  await t.step("a body that is not an array fails", () => {
    const cases: [unknown, string][] = [
      [{}, "an object"],
      [null, "null"],
      ["[]", "a string"],
      [42, "a number"],
      [undefined, "a undefined"],
    ];
    for (const [body, kind] of cases) {
      throwsValidation(
        () => validateOutages(body),
        `GET /outages: expected a JSON array of outages, got ${kind}`,
      );
    }
  });

  await t.step("all valid: the same array comes back, uncopied", () => {
    const body = [GOOD, { ...GOOD, id: "dev-2", extra: true }];
    const result = validateOutages(body);
    assert.equal(result.outages, body);
    assert.deepEqual(result.invalid, []);
  });

  await t.step("an empty array is valid", () => {
    assert.deepEqual(validateOutages([]), { outages: [], invalid: [] });
  });

  await t.step("the message names the item, the field and the problem", () => {
    const body = [GOOD, GOOD, GOOD, { ...GOOD, begin: "2022-06-01T00:00:00" }, GOOD];
    const result = validateOutages(body);
    assert.equal(result.invalid.length, 1);
    assert.equal(
      describeInvalidOutage(result.invalid[0]),
      'GET /outages: item 3, field "begin": not an RFC 3339 timestamp with offset: "2022-06-01T00:00:00"',
    );
    assert.deepEqual(result.outages, [GOOD, GOOD, GOOD, GOOD]);
  });

  await t.step("each kind of invalid record, with valid ones kept in order", () => {
    const good2 = { ...GOOD, id: "dev-2" };
    const body: unknown[] = [
      null, // 0
      GOOD, // 1
      [GOOD], // 2
      { begin: GOOD.begin, end: GOOD.end }, // 3
      { ...GOOD, id: 7 }, // 4
      { id: "x", end: GOOD.end }, // 5
      { ...GOOD, begin: null }, // 6
      { ...GOOD, end: undefined }, // 7
      { ...GOOD, end: ["2022-01-01T00:00:00Z"] }, // 8
      { ...GOOD, end: "2022-02-30T00:00:00Z" }, // 9
      "dev-1", // 10
      good2, // 11
      { ...GOOD, begin: "2022-01-01T00:00:00+0100" }, // 12
    ];
    const result = validateOutages(body);
    assert.deepEqual(result.outages, [GOOD, good2]);
    assert.deepEqual(result.invalid.map((entry) => describeInvalidOutage(entry)), [
      "GET /outages: item 0, expected an object, got null",
      "GET /outages: item 2, expected an object, got an array",
      'GET /outages: item 3, field "id": missing',
      'GET /outages: item 4, field "id": expected a string, got a number',
      'GET /outages: item 5, field "begin": missing',
      'GET /outages: item 6, field "begin": expected a string, got null',
      'GET /outages: item 7, field "end": missing',
      'GET /outages: item 8, field "end": expected a string, got an array',
      'GET /outages: item 9, field "end": day of month out of range: "2022-02-30T00:00:00Z"',
      "GET /outages: item 10, expected an object, got a string",
      'GET /outages: item 12, field "begin": not an RFC 3339 timestamp with offset: "2022-01-01T00:00:00+0100"',
    ]);
  });

  await t.step("a long bad value is quoted whole: output cuts it, after redacting the key", () => {
    const long = "x".repeat(200);
    const problem = outageProblem({ ...GOOD, begin: long });
    assert.ok(problem !== undefined);
    assert.ok(problem.endsWith(`: "${long}"`), problem);
  });

  await t.step("another place name is used when given", () => {
    throwsValidation(
      () => validateOutages({}, "mock data"),
      "mock data: expected a JSON array of outages, got an object",
    );
    assert.equal(
      describeInvalidOutage({ index: 0, problem: "p" }, "mock data"),
      "mock data: item 0, p",
    );
  });
});

Deno.test("validateSiteInfo", async (t) => {
  const where = "GET /site-info/site-1";
  const good = {
    id: "site-1",
    name: "Site One",
    devices: [{ id: "d1", name: "Battery 1" }, { id: "d2", name: "" }],
  };

  await t.step("a valid site-info comes back as it is", () => {
    assert.equal(validateSiteInfo(good, "site-1", where), good);
    const empty = { id: "site-1", name: "", devices: [] };
    assert.equal(validateSiteInfo(empty, "site-1", where), empty);
  });

  const bad: [string, unknown, string][] = [
    ["not an object", [], "expected a site-info object, got an array"],
    ["null", null, "expected a site-info object, got null"],
    ["a string", "site-1", "expected a site-info object, got a string"],
    ["missing id", { name: "n", devices: [] }, 'field "id": missing'],
    [
      "numeric id",
      { id: 1, name: "n", devices: [] },
      'field "id": expected a string, got a number',
    ],
    ["missing name", { id: "site-1", devices: [] }, 'field "name": missing'],
    [
      "null name",
      { id: "site-1", name: null, devices: [] },
      'field "name": expected a string, got null',
    ],
    [
      "another site's id",
      { ...good, id: "site-2" },
      'field "id": expected "site-1", got "site-2"',
    ],
    ["missing devices", { id: "site-1", name: "n" }, 'field "devices": missing'],
    [
      "devices not an array",
      { id: "site-1", name: "n", devices: {} },
      'field "devices": expected an array, got an object',
    ],
    [
      "a device that is not an object",
      { ...good, devices: [...good.devices, "d3"] },
      "device 2, expected an object, got a string",
    ],
    [
      "a device without id",
      { ...good, devices: [...good.devices, { name: "x" }] },
      'device 2, field "id": missing',
    ],
    [
      "a device with a numeric name",
      { ...good, devices: [...good.devices, { id: "d3", name: 3 }] },
      'device 2, field "name": expected a string, got a number',
    ],
    [
      "a null device",
      { ...good, devices: [null] },
      "device 0, expected an object, got null",
    ],
  ];
  for (const [label, body, problem] of bad) {
    await t.step(label, () => {
      throwsValidation(() => validateSiteInfo(body, "site-1", where), `${where}: ${problem}`);
    });
  }
});

Deno.test("enhancedOutageProblem and validatePayload", async (t) => {
  const good: EnhancedOutage = {
    id: "dev-1",
    name: "Battery 1",
    begin: "2022-02-01T00:00:00.000Z",
    end: "2022-03-01T00:00:00.000Z",
  };

  await t.step("a valid element has no problem", () => {
    assert.equal(enhancedOutageProblem(good), undefined);
    assert.equal(enhancedOutageProblem({ ...good, name: "" }), undefined);
    validatePayload([good, good], "POST /site-outages/s");
    validatePayload([], "POST /site-outages/s");
  });

  await t.step("an extra key", () => {
    assert.equal(
      enhancedOutageProblem({ ...good, extra: 1 }),
      "expected the keys id, name, begin, end, got id, name, begin, end, extra",
    );
  });

  await t.step("a missing key", () => {
    const { name: _name, ...rest } = good;
    assert.equal(
      enhancedOutageProblem(rest),
      "expected the keys id, name, begin, end, got id, begin, end",
    );
  });

  await t.step("a missing key replaced by another", () => {
    const { end: _end, ...rest } = good;
    assert.equal(enhancedOutageProblem({ ...rest, End: good.end }), 'field "end": missing');
  });

  await t.step("a non-string name, a bad timestamp, not an object", () => {
    assert.equal(
      enhancedOutageProblem({ ...good, name: null }),
      'field "name": expected a string, got null',
    );
    assert.equal(
      enhancedOutageProblem({ ...good, begin: "2022-02-01T00:00:00" }),
      'field "begin": not an RFC 3339 timestamp with offset: "2022-02-01T00:00:00"',
    );
    assert.equal(
      enhancedOutageProblem({ ...good, end: "2022-02-01T25:00:00Z" }),
      'field "end": hour out of range: "2022-02-01T25:00:00Z"',
    );
    assert.equal(enhancedOutageProblem([]), "expected an object, got an array");
  });

  await t.step("validatePayload names the item and says nothing was posted", () => {
    throwsValidation(
      () =>
        validatePayload(
          [good, { ...good, begin: "yesterday" }],
          "POST /site-outages/norwich-pear-tree",
        ),
      'POST /site-outages/norwich-pear-tree: payload item 1, field "begin": not an RFC 3339 timestamp with offset: "yesterday"; nothing was posted',
    );
    throwsValidation(
      () =>
        validatePayload(
          [{ ...good, extra: 1 } as EnhancedOutage],
          "POST /site-outages/s",
        ),
      "POST /site-outages/s: payload item 0, expected the keys id, name, begin, end, got id, name, begin, end, extra; nothing was posted",
    );
  });
});

/** Records close to valid outages and payload elements, and anything else. */
const recordArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      id: fc.oneof(fc.string(), fc.constant(7), fc.constant(null)),
      name: fc.oneof(fc.string(), fc.constant(undefined), fc.constant(1)),
      begin: fc.oneof(
        fc.constantFrom(
          "2022-02-01T00:00:00.000Z",
          "2022-02-29T00:00:00.000Z",
          "2024-02-29T23:59:60.999Z",
          "2022-02-01T00:00:00Z",
          "2022-02-01t00:00:00.000z",
          "2022-02-01T24:00:00.000Z",
          "2022-02-01T00:00:00.000+01:00",
          "2022-02-01T00:00:00.000",
        ),
        fc.string(),
        fc.constant(0),
      ),
      end: fc.oneof(
        fc.constantFrom("2022-03-01T00:00:00.000Z", "2022-13-01T00:00:00.000Z"),
        fc.string(),
      ),
      extra: fc.string(),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);

Deno.test("property: the fast paths of validation agree with the problem finders", async (t) => {
  await t.step("validateOutages flags a record iff outageProblem finds a problem", () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const { invalid } = validateOutages([record]);
        const problem = outageProblem(record);
        assert.deepEqual(invalid, problem === undefined ? [] : [{ index: 0, problem }]);
      }),
      { numRuns: 3000, seed: 1 },
    );
  });
  await t.step("validatePayload throws iff enhancedOutageProblem finds a problem", () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const problem = enhancedOutageProblem(record);
        try {
          validatePayload([record as EnhancedOutage], "POST /site-outages/s");
          assert.equal(problem, undefined);
        } catch (error) {
          assert.ok(error instanceof ValidationError);
          assert.notEqual(problem, undefined);
        }
      }),
      { numRuns: 3000, seed: 2 },
    );
  });
});

Deno.test("quote: JSON for what JSON can spell, words for what it cannot", () => {
  assert.equal(quote('a "b"\n'), '"a \\"b\\"\\n"');
  assert.equal(quote(undefined), "undefined");
  assert.equal(quote(null), "null");
  assert.equal(quote(12n), "12", "JSON.stringify throws on a BigInt");
  const loop: { self?: unknown } = {};
  loop.self = loop;
  assert.equal(quote(loop), "[object Object]");
});
