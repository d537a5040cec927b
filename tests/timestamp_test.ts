import assert from "node:assert/strict";
import fc from "fast-check";
import {
  canonicalProblem,
  isAtOrAfter,
  isRfc3339,
  parseSince,
  readCanonical,
  rfc3339Problem,
} from "../src/timestamp.ts";

const DEFAULT_SINCE = "2022-01-01T00:00:00.000Z";

function instantNs(text: string): bigint {
  return Temporal.Instant.from(text).epochNanoseconds;
}

Deno.test("rfc3339Problem and isRfc3339", async (t) => {
  const accepted = [
    "2022-01-01T00:00:00Z",
    "2022-01-01t00:00:00z",
    "2022-01-01T00:00:00z",
    "2022-01-01t00:00:00Z",
    "2022-01-01T00:00:00+01:00",
    "2022-01-01T00:00:00-05:30",
    "2022-01-01T00:00:00+23:59",
    "2022-01-01T00:00:00-00:00",
    "2022-01-01T00:00:00.1Z",
    "2022-01-01T00:00:00.123Z",
    "2022-01-01T00:00:00.123456Z",
    "2022-01-01T00:00:00.123456789Z",
    "2022-01-01T00:00:00.000000000+14:00",
    "2024-02-29T12:00:00Z",
    "2000-02-29T12:00:00Z",
    "0000-02-29T00:00:00Z",
    "9999-12-31T23:59:59.999999999Z",
    "2016-12-31T23:59:60Z",
    "2022-06-30T12:34:60.5+02:00",
    "2022-04-30T00:00:00Z",
  ];
  for (const text of accepted) {
    await t.step(`accepts ${text}`, () => {
      assert.equal(rfc3339Problem(text), undefined);
      assert.equal(isRfc3339(text), true);
    });
  }

  const rejected: [string, string][] = [
    ["2022-01-01T00:00:00.1234567890Z", "not an RFC 3339 timestamp with offset"],
    ["2022-01-01T00:00:00", "not an RFC 3339 timestamp with offset"],
    ["2022-06-01T00:00:00.000", "not an RFC 3339 timestamp with offset"],
    ["2022-01-01T00:00:00+0100", "not an RFC 3339 timestamp with offset"],
    ["2022-01-01T00:00:00+01", "not an RFC 3339 timestamp with offset"],
    ["2022-01-01T00:00:00+01:00:00", "not an RFC 3339 timestamp with offset"],
    ["2022-01-01 00:00:00Z", "not an RFC 3339 timestamp with offset"],
    ["2022-01-01T00:00Z", "not an RFC 3339 timestamp with offset"],
    ["2022-01-01T00:00:00.Z", "not an RFC 3339 timestamp with offset"],
    ["2022-01-01T00:00:00,5Z", "not an RFC 3339 timestamp with offset"],
    ["+002022-01-01T00:00:00Z", "not an RFC 3339 timestamp with offset"],
    ["2022-1-01T00:00:00Z", "not an RFC 3339 timestamp with offset"],
    ["2022-01-01", "not an RFC 3339 timestamp with offset"],
    ["", "not an RFC 3339 timestamp with offset"],
    [" 2022-01-01T00:00:00Z", "not an RFC 3339 timestamp with offset"],
    ["2022-01-01T00:00:00Z ", "not an RFC 3339 timestamp with offset"],
    ["2022-01-01T00:00:00Z\n", "not an RFC 3339 timestamp with offset"],
    ["２０２２-01-01T00:00:00Z", "not an RFC 3339 timestamp with offset"],
    ["2022-02-29T00:00:00Z", "day of month out of range"],
    ["1900-02-29T00:00:00Z", "day of month out of range"],
    ["2022-04-31T00:00:00Z", "day of month out of range"],
    ["2022-01-32T00:00:00Z", "day of month out of range"],
    ["2022-01-00T00:00:00Z", "day of month out of range"],
    ["2022-13-01T00:00:00Z", "month out of range"],
    ["2022-00-01T00:00:00Z", "month out of range"],
    ["2022-01-01T24:00:00Z", "hour out of range"],
    ["2022-01-01T00:60:00Z", "minute out of range"],
    ["2022-01-01T00:00:61Z", "second out of range"],
    ["2022-01-01T00:00:00+24:00", "offset out of range"],
    ["2022-01-01T00:00:00-24:00", "offset out of range"],
    ["2022-01-01T00:00:00+01:60", "offset out of range"],
  ];
  for (const [text, problem] of rejected) {
    await t.step(`rejects ${JSON.stringify(text)} (${problem})`, () => {
      assert.equal(rfc3339Problem(text), problem);
      assert.equal(isRfc3339(text), false);
    });
  }
});

Deno.test("parseSince", async (t) => {
  await t.step("keeps the text and the exact instant", () => {
    const since = parseSince("2022-01-01T01:00:00.000000001+01:00");
    assert.equal(since.text, "2022-01-01T01:00:00.000000001+01:00");
    assert.equal(since.epochNanoseconds, instantNs("2022-01-01T00:00:00Z") + 1n);
    assert.equal(since.millisecondPrefix, "2022-01-01T00:00:00.000");
    assert.equal(since.hasSubMillisecond, true);
  });

  await t.step("the default cut-off", () => {
    const since = parseSince(DEFAULT_SINCE);
    assert.equal(since.epochNanoseconds, 1640995200000000000n);
    assert.equal(since.millisecondPrefix, "2022-01-01T00:00:00.000");
    assert.equal(since.hasSubMillisecond, false);
  });

  // Text without a timestamp's shape gets no detail: "(not an RFC 3339 timestamp)" would repeat.
  const bad: [string, string | undefined][] = [
    ["2022-01-01", undefined],
    ["2022-01-01T00:00:00", undefined],
    ["2022-01-01T00:00:00+0100", undefined],
    ["yesterday", undefined],
    ["", undefined],
    ["2022-02-29T00:00:00Z", "day of month out of range"],
    ["2022-01-01T00:00:00+24:00", "offset out of range"],
  ];
  for (const [text, problem] of bad) {
    await t.step(`throws a RangeError for ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseSince(text), (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.equal(
          error.message,
          `expected an RFC 3339 timestamp with offset, got "${text}"` +
            (problem === undefined ? "" : ` (${problem})`),
        );
        return true;
      });
    });
  }

  await t.step("a cut-off whose UTC instant is outside years 0000-9999 has no fast path", () => {
    const late = parseSince("9999-12-31T23:30:00-01:00");
    assert.equal(late.millisecondPrefix, undefined);
    assert.equal(late.epochNanoseconds, instantNs("9999-12-31T23:30:00-01:00"));
    const early = parseSince("0000-01-01T00:30:00+01:00");
    assert.equal(early.millisecondPrefix, undefined);
    assert.equal(early.epochNanoseconds, instantNs("0000-01-01T00:30:00+01:00"));
  });
});

Deno.test("isAtOrAfter is exact", async (t) => {
  const cut = parseSince(DEFAULT_SINCE);
  const cases: [string, string, boolean][] = [
    [DEFAULT_SINCE, "the boundary instant itself", true],
    ["2022-01-01T00:00:00Z", "the boundary without fraction", true],
    ["2022-01-01T00:00:00.000000000Z", "the boundary with 9 digits", true],
    ["2022-01-01T00:00:00+00:00", "the boundary as +00:00", true],
    ["2022-01-01T00:00:00-00:00", "the boundary as -00:00", true],
    ["2022-01-01t00:00:00.000z", "the boundary in lowercase", true],
    ["2022-01-01T01:00:00+01:00", "the boundary at +01:00", true],
    ["2021-12-31T23:00:00-01:00", "the boundary at -01:00", true],
    ["2021-12-31T23:59:59.999999999Z", "1 ns before", false],
    ["2021-12-31T23:59:59.999Z", "1 ms before (canonical)", false],
    ["2021-12-31T23:59:59.999z", "1 ms before (lowercase z)", false],
    ["2022-01-01T00:00:00.000000001Z", "1 ns after", true],
    ["2022-01-01T00:00:00.001Z", "1 ms after (canonical)", true],
    ["2022-01-01T00:30:00+01:00", "half an hour before, at +01:00", false],
    ["2022-01-01T00:59:59.999999999+01:00", "1 ns before, at +01:00", false],
    ["2021-12-31T23:30:00-01:00", "half an hour after, at -01:00", true],
    ["2021-12-31T22:59:59.999999999-01:00", "1 ns before, at -01:00", false],
    ["2021-12-31T23:59:60Z", "a leap second read as :59", false],
    ["2022-06-01T00:00:00.000Z", "well after", true],
    ["1999-06-01T00:00:00.000Z", "well before", false],
    ["0000-01-01T00:00:00.000Z", "year 0000", false],
    ["9999-12-31T23:59:59.999Z", "year 9999", true],
  ];
  for (const [text, label, kept] of cases) {
    await t.step(`${label}: ${text} ${kept ? "kept" : "dropped"}`, () => {
      assert.equal(isAtOrAfter(text, cut), kept);
      assert.equal(instantNs(text) >= cut.epochNanoseconds, kept); // the table itself is right
    });
  }

  await t.step("a cut-off with sub-millisecond digits against canonical timestamps", () => {
    const since = parseSince("2022-01-01T00:00:00.000500Z");
    assert.equal(since.hasSubMillisecond, true);
    assert.equal(isAtOrAfter("2022-01-01T00:00:00.000Z", since), false);
    assert.equal(isAtOrAfter("2022-01-01T00:00:00.001Z", since), true);
    assert.equal(isAtOrAfter("2021-12-31T23:59:59.999Z", since), false);
    assert.equal(isAtOrAfter("2022-01-01T00:00:00.0005Z", since), true);
    assert.equal(isAtOrAfter("2022-01-01T00:00:00.000499999Z", since), false);
    const ns = parseSince("2022-01-01T00:00:00.000000001Z");
    assert.equal(isAtOrAfter("2022-01-01T00:00:00.000Z", ns), false);
    assert.equal(isAtOrAfter("2022-01-01T00:00:00.001Z", ns), true);
  });

  await t.step("a cut-off at an offset against canonical timestamps", () => {
    const since = parseSince("2022-01-01T05:30:00.250+05:30");
    assert.equal(since.millisecondPrefix, "2022-01-01T00:00:00.250");
    assert.equal(isAtOrAfter("2022-01-01T00:00:00.250Z", since), true);
    assert.equal(isAtOrAfter("2022-01-01T00:00:00.249Z", since), false);
    assert.equal(isAtOrAfter("2022-01-01T05:00:00.000Z", since), true);
  });

  await t.step("a cut-off after year 9999 UTC", () => {
    const since = parseSince("9999-12-31T23:30:00-01:00"); // 10000-01-01T00:30Z
    assert.equal(isAtOrAfter("9999-12-31T23:59:59.999Z", since), false);
    assert.equal(isAtOrAfter("9999-12-31T23:59:59.999999999Z", since), false);
    assert.equal(isAtOrAfter("9999-12-31T23:30:00-01:00", since), true);
    assert.equal(isAtOrAfter("9999-12-31T23:29:59.999999999-01:00", since), false);
    assert.equal(isAtOrAfter("9999-12-31T23:59:59-00:31", since), true);
  });

  await t.step("a cut-off before year 0000 UTC", () => {
    const since = parseSince("0000-01-01T00:30:00+01:00"); // -000001-12-31T23:30Z
    assert.equal(isAtOrAfter("0000-01-01T00:00:00.000Z", since), true);
    assert.equal(isAtOrAfter("0000-01-01T00:30:00+01:00", since), true);
    assert.equal(isAtOrAfter("0000-01-01T00:29:59.999999999+01:00", since), false);
    assert.equal(isAtOrAfter("0000-01-01T00:00:00+00:31", since), false);
  });
});

// ---- properties ----------------------------------------------------------------------------

function daysIn(year: number, month: number): number {
  return Temporal.PlainYearMonth.from({ year, month }).daysInMonth;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** An offset `Z`, `z` or `±hh:mm`. */
const offsetArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("Z", "z"),
  fc.tuple(
    fc.constantFrom("+", "-"),
    fc.integer({ min: 0, max: 23 }),
    fc.integer({
      min: 0,
      max: 59,
    }),
  ).map(([sign, h, m]) => `${sign}${pad(h)}:${pad(m)}`),
  fc.constantFrom("+00:00", "-00:00", "+01:00", "-01:00", "+23:59", "-23:59"),
);

const fractionArb: fc.Arbitrary<string> = fc.oneof(
  fc.constant(""),
  fc.integer({ min: 1, max: 9 }).chain((n) =>
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n })
      .map((digits) => "." + digits.join(""))
  ),
);

/** Any valid RFC 3339 timestamp with offset, years 0000–9999 (edges weighted). */
const rfc3339Arb: fc.Arbitrary<string> = fc.record({
  year: fc.oneof(
    fc.integer({ min: 0, max: 9999 }),
    fc.constantFrom(0, 1, 1970, 2021, 2022, 9998, 9999),
  ),
  month: fc.integer({ min: 1, max: 12 }),
  dayPick: fc.integer({ min: 1, max: 31 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 59 }) }, {
    weight: 1,
    arbitrary: fc.constant(60),
  }),
  fraction: fractionArb,
  t: fc.constantFrom("T", "t"),
  offset: offsetArb,
}).map(({ year, month, dayPick, hour, minute, second, fraction, t, offset }) => {
  const day = Math.min(dayPick, daysIn(year, month));
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}${t}${pad(hour)}:${pad(minute)}:${
    pad(second)
  }${fraction}${offset}`;
});

const nearDeltaArb: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(0n, 1n, -1n, 999_999n, -999_999n, 1_000_000n, -1_000_000n, 1_000_001n),
  fc.bigInt({ min: -3_000_000n, max: 3_000_000n }),
  fc.bigInt({ min: -5_000_000_000_000n, max: 5_000_000_000_000n }),
);

Deno.test("property: isAtOrAfter agrees exactly with Temporal", async (t) => {
  await t.step("the arbitrary builds only valid timestamps", () => {
    fc.assert(
      fc.property(rfc3339Arb, (text) => {
        assert.equal(rfc3339Problem(text), undefined, text);
        Temporal.Instant.from(text);
      }),
      { numRuns: 500, seed: 1 },
    );
  });

  await t.step("arbitrary timestamps against arbitrary cut-offs", () => {
    fc.assert(
      fc.property(rfc3339Arb, rfc3339Arb, (text, sinceText) => {
        const since = parseSince(sinceText);
        assert.equal(isAtOrAfter(text, since), instantNs(text) >= since.epochNanoseconds);
      }),
      { numRuns: 1500, seed: 2 },
    );
  });

  await t.step("timestamps near the cut-off, canonical and at offsets", () => {
    let canonical = 0;
    fc.assert(
      fc.property(
        rfc3339Arb,
        nearDeltaArb,
        fc.constantFrom("canonical", "canonical", "canonical", "offset"),
        offsetArb,
        (sinceText, delta, shape, offset) => {
          const since = parseSince(sinceText);
          let instant: Temporal.Instant;
          try {
            instant = Temporal.Instant.fromEpochNanoseconds(since.epochNanoseconds + delta);
          } catch {
            return; // beyond Temporal's range
          }
          let text: string;
          if (shape === "canonical") {
            text = instant.toString({ smallestUnit: "millisecond" });
            if (text.length !== 24) return; // a year beyond 0000-9999 has no RFC 3339 form
            canonical++;
          } else {
            const zone = offset.toUpperCase() === "Z" ? "+00:00" : offset;
            text = instant.toString({ timeZone: zone, smallestUnit: "nanosecond" });
            if (!isRfc3339(text)) return;
          }
          assert.equal(
            isAtOrAfter(text, since),
            instantNs(text) >= since.epochNanoseconds,
            `${text} vs ${sinceText}`,
          );
        },
      ),
      { numRuns: 2000, seed: 3 },
    );
    assert.ok(canonical > 1000, `only ${canonical} canonical timestamps were tried`);
  });
});

const STRICT = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

function temporalAccepts(text: string): boolean {
  try {
    Temporal.Instant.from(text);
    return true;
  } catch {
    return false;
  }
}

/** Strings close to RFC 3339: fields in and just out of range, odd widths, separators, offsets. */
const nearRfc3339Arb: fc.Arbitrary<string> = fc.record({
  year: fc.oneof(
    fc.integer({ min: 0, max: 9999 }).map((y) => pad(y, 4)),
    fc.constantFrom("0000", "2024", "2022", "1900", "2000", "202", "20220", "+002022"),
  ),
  month: fc.integer({ min: 0, max: 14 }),
  day: fc.integer({ min: 0, max: 32 }),
  hour: fc.integer({ min: 0, max: 25 }),
  minute: fc.integer({ min: 0, max: 61 }),
  second: fc.integer({ min: 0, max: 62 }),
  narrow: fc.constantFrom("", "", "", "", "month", "day", "hour", "second", "time"),
  sep: fc.constantFrom("T", "T", "t", " ", "_"),
  fraction: fc.oneof(
    fractionArb,
    fc.constantFrom(".", ",5", ".1234567890", ".12345678901"),
  ),
  offset: fc.oneof(
    offsetArb,
    fc.tuple(
      fc.constantFrom("+", "-"),
      fc.integer({ min: 0, max: 25 }),
      fc.integer({ min: 0, max: 61 }),
      fc.constantFrom(":", "", ":", ":"),
    ).map(([s, h, m, c]) => `${s}${pad(h)}${c}${pad(m)}`),
    fc.constantFrom("", "+01", "+01:00:00", "Z ", "UTC", "[UTC]", "Z[Europe/London]"),
  ),
}).map(({ year, month, day, hour, minute, second, narrow, sep, fraction, offset }) => {
  const p = (n: number, field: string) => (narrow === field ? String(n) : pad(n));
  const time = narrow === "time"
    ? `${pad(hour)}:${pad(minute)}`
    : `${p(hour, "hour")}:${pad(minute)}:${p(second, "second")}${fraction}`;
  return `${year}-${p(month, "month")}-${p(day, "day")}${sep}${time}${offset}`;
});

Deno.test("property: isRfc3339 is Temporal's acceptance plus the strict pattern", () => {
  let valid = 0;
  fc.assert(
    fc.property(fc.oneof(nearRfc3339Arb, rfc3339Arb), (text) => {
      const oracle = STRICT.test(text) && temporalAccepts(text);
      if (oracle) valid++;
      assert.equal(isRfc3339(text), oracle, text);
      assert.equal(rfc3339Problem(text) === undefined, oracle, text);
    }),
    { numRuns: 2000, seed: 4 },
  );
  assert.ok(valid > 200, `only ${valid} valid strings were tried`);
});

/** `rfc3339Problem` as it was before its canonical fast path: the pattern, then the ranges. */
function referenceRfc3339Problem(text: string): string | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/
      .exec(text);
  if (m === null) return "not an RFC 3339 timestamp with offset";
  const year = +m[1], month = +m[2], day = +m[3];
  if (month < 1 || month > 12) return "month out of range";
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (day < 1 || day > days) return "day of month out of range";
  if (+m[4] > 23) return "hour out of range";
  if (+m[5] > 59) return "minute out of range";
  if (+m[6] > 60) return "second out of range";
  if (m[9] !== undefined && (+m[9] > 23 || +m[10] > 59)) return "offset out of range";
  return undefined;
}

/**
 * Strings of the canonical shape `YYYY-MM-DDTHH:MM:SS.sssZ` with every two-digit field anywhere
 * in 00–99, some with one character replaced, dropped or added: the fast path's whole border.
 */
const canonicalShapeArb: fc.Arbitrary<string> = fc.record({
  year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 1900, 2000, 2023, 2024)),
  month: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 12 })),
  day: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 27, max: 32 })),
  hour: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 22, max: 25 })),
  minute: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 58, max: 61 })),
  second: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 58, max: 62 })),
  milli: fc.integer({ min: 0, max: 999 }),
  edit: fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constantFrom("replace", "drop", "insert"),
        at: fc.integer({ min: 0, max: 24 }),
        char: fc.constantFrom("0", "9", "-", ":", ".", "T", "t", "Z", "z", " ", "+", "/", "٣"),
      }),
    },
  ),
}).map(({ year, month, day, hour, minute, second, milli, edit }) => {
  const text = `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${
    pad(second)
  }.${pad(milli, 3)}Z`;
  if (edit === undefined) return text;
  const at = Math.min(edit.at, text.length);
  const rest = text.slice(at + (edit.kind === "insert" ? 0 : 1));
  return text.slice(0, at) + (edit.kind === "drop" ? "" : edit.char) + rest;
});

Deno.test("property: the canonical fast path changes no verdict and no message", () => {
  let valid = 0;
  fc.assert(
    fc.property(fc.oneof(canonicalShapeArb, nearRfc3339Arb, rfc3339Arb), (text) => {
      const expected = referenceRfc3339Problem(text);
      if (expected === undefined) valid++;
      assert.equal(rfc3339Problem(text), expected, text);
    }),
    { numRuns: 5000, seed: 5 },
  );
  assert.ok(valid > 500, `only ${valid} valid strings were tried`);
});

Deno.test("property: isAtOrAfter on canonical-shaped timestamps agrees with Temporal", () => {
  fc.assert(
    fc.property(canonicalShapeArb, rfc3339Arb, (text, sinceText) => {
      if (!isRfc3339(text)) return;
      const since = parseSince(sinceText);
      assert.equal(isAtOrAfter(text, since), instantNs(text) >= since.epochNanoseconds, text);
    }),
    { numRuns: 3000, seed: 6 },
  );
});

Deno.test("isAtOrAfter: a canonical leap second is read as :59, as Temporal reads it", () => {
  const since = parseSince("2016-12-31T23:59:59.700Z");
  assert.equal(isAtOrAfter("2016-12-31T23:59:60.500Z", since), false);
  assert.equal(isAtOrAfter("2016-12-31T23:59:60.700Z", since), true);
  assert.equal(isAtOrAfter("2016-12-31T23:59:59.699Z", since), false);
});

Deno.test("rfc3339Problem: one wrong character in the API's canonical shape is never accepted", () => {
  // A non-digit where a digit belongs (":" reads as the digit 10 to a careless check, which the
  // range checks of a ones digit would let through), a digit where a separator belongs, one
  // character too many or too few: each is a record the sync must refuse.
  const canonical = "2000-01-01T00:00:00.000Z";
  const broken = [...canonical].map((c, i) => {
    const replacement = c >= "0" && c <= "9" ? ":" : "0";
    return canonical.slice(0, i) + replacement + canonical.slice(i + 1);
  });
  broken.push(`${canonical}0`, canonical.slice(0, 23), `0${canonical}`);
  for (const text of broken) {
    assert.equal(rfc3339Problem(text), "not an RFC 3339 timestamp with offset", text);
    assert.equal(isRfc3339(text), false, text);
  }
});

Deno.test("isAtOrAfter: a lower-case t or z is compared as the instant it names", () => {
  const since = parseSince("2022-01-01T12:00:00.000Z");
  assert.equal(isAtOrAfter("2022-01-01t11:59:59.999Z", since), false);
  assert.equal(isAtOrAfter("2022-01-01t12:00:00.000z", since), true);
  assert.equal(isAtOrAfter("2022-01-01T11:59:59.999z", since), false);
});

Deno.test("rfc3339Problem: 24 characters in the canonical layout but not its characters", () => {
  // Not a field out of range: a text with no digit, or none of the separators, has no fields.
  const texts = [
    "////////////////////////", // nothing in its place
    "yyyy-mm-ddThh:mm:ss.sssZ", // every separator, no digit
    "2000/01/01 00.00.00,000z", // every digit, no separator
  ];
  for (const text of texts) {
    assert.equal(rfc3339Problem(text), "not an RFC 3339 timestamp with offset", text);
    assert.equal(isRfc3339(text), false, text);
  }
});

Deno.test("readCanonical reads a span in place: exactly its 24 characters, wherever it starts", () => {
  const text = `"begin":"2022-02-28T23:59:59.999Z","end":"2022-13-01T00:00:00.000Z"`;
  const begin = text.indexOf("2022-02-28"), end = text.indexOf("2022-13-01");
  assert.equal(readCanonical(text, begin, begin + 24), true);
  assert.equal(canonicalProblem(), undefined, "the digits read are the span's own");
  assert.equal(readCanonical(text, end, end + 24), true);
  assert.equal(canonicalProblem(), "month out of range");
  // One character short, one too many, or started a character early: not the canonical shape.
  assert.equal(readCanonical(text, begin, begin + 23), false);
  assert.equal(readCanonical(text, begin, begin + 25), false);
  assert.equal(readCanonical(text, begin - 1, begin + 23), false);
});
