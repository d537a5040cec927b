import assert from "node:assert/strict";
import fc from "fast-check";
import { JsonSyntaxError } from "../src/json_scan.ts";
import {
  feedFromRecords,
  INVALID_SAMPLES,
  MAX_INVALID_IDS,
  NotAnArrayError,
  type OutageFeed,
  parseOutageFeed,
} from "../src/outage_feed.ts";
import { isRfc3339Span, OutageTable } from "../src/outage_table.ts";
import { isRfc3339 } from "../src/timestamp.ts";
import { realOutages } from "./helpers.ts";

/** A feed with its compact table as plain objects, to compare feeds however they were built. */
function plain(feed: OutageFeed) {
  return { ...feed, outages: feed.outages.toArray() };
}

const timestampArb = fc.oneof(
  fc.constantFrom(
    "2022-01-01T00:00:00.000Z",
    "2021-06-23T19:06:04.220Z",
    "2022-01-01T01:00:00+01:00",
  ),
  fc.constantFrom("2022-13-01T00:00:00Z", "2022-01-01", "", "2022-01-01T00:00:00.000z"),
);
const stringArb = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('é"\\\n\u2028', "\ud800"));
const valueArb = fc.oneof(
  stringArb,
  timestampArb,
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.constant([1]),
  fc.constant({ a: 1 }),
);
const recordArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ id: stringArb, begin: timestampArb, end: timestampArb }) },
  {
    weight: 2,
    arbitrary: fc.dictionary(
      fc.constantFrom("id", "begin", "end", "name", "extra", "__proto__"),
      valueArb,
    ),
  },
  { weight: 1, arbitrary: valueArb },
);

Deno.test("parseOutageFeed reads a body as JSON.parse and the record rules would", async (t) => {
  await t.step("property: same outages, counts and samples for any records, any layout", () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { maxLength: 30 }),
        fc.constantFrom(undefined, 1, "\t"),
        (records, indent) => {
          const text = JSON.stringify(records, null, indent);
          assert.deepEqual(plain(parseOutageFeed(text)), plain(feedFromRecords(JSON.parse(text))));
        },
      ),
      { seed: 20261201, numRuns: 500 },
    );
  });

  await t.step("the real capture: 108 outages, all valid, extra members dropped", () => {
    const feed = parseOutageFeed(JSON.stringify(realOutages));
    assert.equal(feed.total, 108);
    assert.equal(feed.invalidCount, 0);
    assert.deepEqual(feed.outages.toArray(), realOutages);
    const withExtra = parseOutageFeed(
      '[{"id":"a","begin":"2022-01-01T00:00:00Z","end":"2022-01-02T00:00:00Z","x":[1,{"y":2}]}]',
    );
    assert.deepEqual(withExtra.outages.toArray(), [{
      id: "a",
      begin: "2022-01-01T00:00:00Z",
      end: "2022-01-02T00:00:00Z",
    }]);
  });

  await t.step(
    "escapes are decoded and duplicate keys resolve as JSON.parse does (last wins)",
    () => {
      const text =
        '[{"id":"Batt\\u00e9ry","begin":"x","end":"2022-01-02T00:00:00Z","begin":"2022-01-01T00:00:00Z"}]';
      assert.deepEqual(parseOutageFeed(text).outages.toArray(), [
        { id: "Battéry", begin: "2022-01-01T00:00:00Z", end: "2022-01-02T00:00:00Z" },
      ]);
    },
  );

  await t.step(
    "invalid records are counted, and only the first ones kept with their problem",
    () => {
      const records = Array.from(
        { length: 250 },
        (_, i) => (i % 2 === 0 ? i : { id: "d", begin: "b", end: "e" }),
      );
      const feed = parseOutageFeed(JSON.stringify(records));
      assert.equal(feed.total, 250);
      assert.equal(feed.invalidCount, 250);
      assert.equal(feed.invalidSamples.length, INVALID_SAMPLES);
      assert.deepEqual(feed.invalidSamples.slice(0, 2), [
        { index: 0, problem: "expected an object, got a number" },
        { index: 1, problem: 'field "begin": not an RFC 3339 timestamp with offset: "b"' },
      ]);
    },
  );

  await t.step("invalid records are counted per device id, when the id is a string", () => {
    const records = [
      { id: "d1", begin: "b", end: "2022-01-01T00:00:00Z" },
      { id: "d1", begin: "2022-01-01T00:00:00Z", end: 5, extra: [1] },
      { id: "d2", begin: "2022-01-01T00:00:00Z", end: "2022-01-01T00:00:00Z" },
      { id: "__proto__", begin: null, end: null },
      { id: 7, begin: "b", end: "e" },
      ["d1"],
      "d1",
    ];
    const text = JSON.stringify(records);
    for (const feed of [parseOutageFeed(text), feedFromRecords(records)]) {
      assert.equal(feed.invalidCount, 6);
      assert.deepEqual([...feed.invalidByDevice], [["d1", 2], ["__proto__", 1]]);
      assert.equal(feed.invalidUnattributed, 0);
    }
  });

  await t.step("the per-device counts are bounded: past MAX_INVALID_IDS ids, a count", () => {
    const records = Array.from(
      { length: MAX_INVALID_IDS + 3 },
      (_, i) => ({ id: `d${i}`, begin: "bad", end: "bad" }),
    );
    // An id already counted still counts under its name once the map is full.
    records.push({ id: "d0", begin: "bad", end: "bad" });
    for (const feed of [parseOutageFeed(JSON.stringify(records)), feedFromRecords(records)]) {
      assert.equal(feed.invalidCount, MAX_INVALID_IDS + 4);
      assert.equal(feed.invalidByDevice.size, MAX_INVALID_IDS);
      assert.equal(feed.invalidByDevice.get("d0"), 2);
      assert.equal(feed.invalidByDevice.get(`d${MAX_INVALID_IDS}`), undefined);
      assert.equal(feed.invalidUnattributed, 3);
    }
  });

  await t.step("half a million zeros: counted, none kept, nothing built", () => {
    const text = "[" + "0,".repeat(499_999) + "0]";
    const feed = parseOutageFeed(text);
    assert.equal(feed.total, 500_000);
    assert.equal(feed.invalidCount, 500_000);
    assert.equal(feed.outages.length, 0);
  });

  await t.step("not JSON: the offset where it stops; JSON but not an array: what it is", () => {
    for (
      const [text, offset] of [
        ['[{"id":"a","begin":"b","end":"c"', 32],
        ['[{"id":"a"},]', 12],
        ["[1,2] 3", 6],
        ["", 0],
        ['[{"id":"a","begin":"\u0001","end":"c"}]', 20],
      ] as const
    ) {
      assert.throws(() => parseOutageFeed(text), (error: unknown) => {
        assert.ok(error instanceof JsonSyntaxError, `${text}: ${error}`);
        assert.equal(error.offset, offset, text);
        return true;
      });
    }
    for (
      const [text, what] of [
        ['{"message":"Internal server error"}', "an object"],
        ["null", "null"],
        ['"[]"', "a string"],
        ["42", "a number"],
      ]
    ) {
      assert.throws(
        () => parseOutageFeed(text),
        (error: unknown) =>
          error instanceof NotAnArrayError &&
          String(error) === `NotAnArrayError: expected a JSON array of outages, got ${what}`,
      );
    }
  });
});

Deno.test("isRfc3339Span says what isRfc3339 of the slice says, in place", () => {
  const digits = fc.string({ minLength: 1, maxLength: 2, unit: fc.constantFrom(..."0123456789") });
  const canonicalLike = fc.tuple(
    fc.constantFrom("2022", "2024", "1900", "2000", "0000", "9999"),
    digits,
    digits,
    digits,
    digits,
    digits,
    fc.constantFrom(".000Z", ".999Z", ".5Z", "Z", ".000z", "+01:00", ".000+00:00"),
    fc.constantFrom("T", "t", " "),
  ).map(([y, mo, d, h, mi, s, tail, t]) =>
    `${y}-${mo.padStart(2, "0")}-${d.padStart(2, "0")}${t}${h.padStart(2, "0")}:${
      mi.padStart(2, "0")
    }:${s.padStart(2, "0")}${tail}`
  );
  fc.assert(
    fc.property(
      fc.oneof(canonicalLike, fc.string({ maxLength: 30 })),
      fc.string({ maxLength: 3 }),
      fc.string({ maxLength: 3 }),
      (timestamp, before, after) => {
        const text = before + timestamp + after;
        const start = before.length, end = start + timestamp.length;
        assert.equal(isRfc3339Span(text, start, end), isRfc3339(timestamp), timestamp);
      },
    ),
    { seed: 2112, numRuns: 5000 },
  );
  // The span, not the text around it: a canonical timestamp cut short or run on is not one.
  const body = '"2022-01-01T00:00:00.000Z",';
  assert.equal(isRfc3339Span(body, 1, 25), true);
  assert.equal(isRfc3339Span(body, 1, 24), false, "cut short");
  assert.equal(isRfc3339Span(body, 1, 26), false, "with its quote");
  assert.equal(isRfc3339Span(body, 0, 24), false, "from the quote");
  assert.equal(isRfc3339Span(`xx${body}`, 3, 23), false, "cut short by more");
  assert.equal(isRfc3339Span('"2022-02-29T00:00:00.000Z"', 1, 25), false, "no 29 February");
});

Deno.test("OutageTable: spans of the body and decoded records read back as the same outages", () => {
  const text = "[" + [
    '{"id":"a","begin":"2022-01-01T00:00:00.000Z","end":"2022-01-02T00:00:00.000Z"}',
    '{"id":"Batt\\u00e9ry","begin":"2024-02-29T00:00:00Z","end":"2024-03-01T00:00:00+01:00"}',
    '{"id":"b","begin":"2022-02-29T00:00:00.000Z","end":"2022-03-01T00:00:00.000Z"}',
    '{"id":"","begin":"2024-02-29T00:00:00.000Z","end":"2024-03-01T00:00:00.000Z"}',
  ].join(",") + "]";
  const feed = parseOutageFeed(text);
  const expected = [
    { id: "a", begin: "2022-01-01T00:00:00.000Z", end: "2022-01-02T00:00:00.000Z" },
    { id: "Battéry", begin: "2024-02-29T00:00:00Z", end: "2024-03-01T00:00:00+01:00" },
    { id: "", begin: "2024-02-29T00:00:00.000Z", end: "2024-03-01T00:00:00.000Z" },
  ];
  assert.deepEqual(feed.outages.toArray(), expected, "2022-02-29 does not exist: invalid");
  assert.equal(feed.invalidCount, 1);
  assert.deepEqual(OutageTable.from(expected).toArray(), expected);
  assert.equal(feed.outages.idIs(0, "a"), true);
  assert.equal(feed.outages.idIs(0, "ab"), false);
  assert.equal(feed.outages.idIs(1, "Battéry"), true, "a decoded id, in the second text");
  assert.equal(feed.outages.idIs(2, ""), true);
  assert.equal(feed.outages.idIs(0, ""), false, "a prefix of the id is not the id");
  assert.equal(feed.outages.idIs(2, "a"), false, "nor is a longer id");
  // Where the index and the filter hash an id: in the body, or in the decoded text.
  const ids = expected.map((_, i) => {
    const { outages } = feed;
    return [
      outages.textOf(i) === text,
      outages.textOf(i).slice(outages.idStart(i), outages.idEnd(i)),
    ];
  });
  assert.deepEqual(ids, [[true, "a"], [false, "Battéry"], [true, ""]]);
});

Deno.test("OutageTable grows past its first guess, spans and decoded records interleaved", () => {
  // Short records: many more than the body's length predicts for the API's 114-character ones.
  const records = Array.from({ length: 2000 }, (_, i) => ({
    id: i % 3 === 0 ? `d\u00e9${i}` : `${i}`,
    begin: "2022-01-01T00:00:00Z",
    end: "2022-01-02T00:00:00Z",
  }));
  const text = JSON.stringify(records).replaceAll("\u00e9", "\\u00e9");
  const feed = parseOutageFeed(text);
  assert.deepEqual(feed.outages.toArray(), records);
  assert.deepEqual(plain(feed), plain(feedFromRecords(records)));
});

Deno.test("OutageTable grows past its first guess with spans alone, or decoded records alone", () => {
  const records = Array.from({ length: 2000 }, (_, i) => ({
    id: `${i}`,
    begin: "2022-01-01T00:00:00.000Z",
    end: "2022-01-02T00:00:00.000Z",
  }));
  assert.deepEqual(parseOutageFeed(JSON.stringify(records)).outages.toArray(), records);
  assert.deepEqual(OutageTable.from(records).toArray(), records);
});

Deno.test("parseOutageFeed: the message says what was expected, and where", () => {
  // These messages reach the operator (GET /outages: the body is not JSON: …), so their words
  // matter as much as the offset.
  for (
    const [text, message] of [
      ['[{"id" 1}]', 'expected ":" at offset 7'],
      ['[{"id":"a" "b"}]', 'expected "," or "}" at offset 11'],
      ['[{"id":"a"', "unexpected end at offset 10"],
      ["[1 2]", 'expected "," or "]" at offset 3'],
      ["[1", "unexpected end at offset 2"],
      ['[{"id":"a","begin":"b","end":"c"} x]', 'expected "," or "]" at offset 34'],
      ['[{"id":"a","begin":"b","end":"c"}', "unexpected end at offset 33"],
      ["[1,2] 3", "unexpected data after the array at offset 6"],
      ['{"a":1} x', "unexpected data after the value at offset 8"],
    ]
  ) {
    assert.throws(() => parseOutageFeed(text), (error: unknown) => {
      assert.ok(error instanceof JsonSyntaxError, text);
      assert.equal(error.message, message, text);
      return true;
    });
  }
});

Deno.test("parseOutageFeed: records that are not objects are named by their kind", () => {
  const feed = parseOutageFeed('[true, false, null, "s", [], {}, -1, {"x":{}, "id":"a"}]');
  assert.deepEqual(feed.invalidSamples.map((sample) => sample.problem), [
    "expected an object, got a boolean",
    "expected an object, got a boolean",
    "expected an object, got null",
    "expected an object, got a string",
    "expected an object, got an array",
    'field "id": missing',
    "expected an object, got a number",
    'field "begin": missing',
  ]);
  assert.deepEqual([...feed.invalidByDevice], [["a", 1]]);
  assert.equal(parseOutageFeed("[ ]").total, 0);
});
