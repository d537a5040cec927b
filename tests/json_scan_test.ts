import assert from "node:assert/strict";
import fc from "fast-check";
import {
  JsonLimitError,
  JsonSyntaxError,
  parseJsonBounded,
  scanString,
  scanValue,
  skipWhitespace,
} from "../src/json_scan.ts";

/** Whether the whole text is one JSON value by our scanner. */
function scans(text: string): boolean {
  try {
    return skipWhitespace(text, scanValue(text, 0)) === text.length;
  } catch (error) {
    if (error instanceof JsonSyntaxError) return false;
    throw error;
  }
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

Deno.test("scanValue agrees with JSON.parse", async (t) => {
  await t.step("on values JSON.stringify writes, pretty or not", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2, "\t"), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        assert.equal(scanValue(text, 0), text.length);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  await t.step("on texts cut short or mutated by one character", () => {
    const mutated = fc.tuple(
      fc.jsonValue(),
      fc.nat(),
      fc.constantFrom(...'{}[]",:0-.eE\\ tnuflx\u0001'),
    ).map(
      ([value, at, c]) => {
        const text = JSON.stringify(value);
        const i = at % (text.length + 1);
        return text.slice(0, i) + c + text.slice(i + 1);
      },
    );
    const cut = fc.tuple(fc.jsonValue(), fc.nat()).map(([value, at]) => {
      const text = JSON.stringify(value);
      return text.slice(0, at % (text.length + 1));
    });
    fc.assert(
      fc.property(fc.oneof(mutated, cut), (text) => {
        assert.equal(scans(text), parses(text), JSON.stringify(text));
      }),
      { seed: 11, numRuns: 2000 },
    );
  });

  await t.step("on the grammar's corners", () => {
    const cases = [
      "0",
      "-0",
      "-0.5e+10",
      "1E5",
      "01",
      "1.",
      ".5",
      "-",
      "+1",
      "1e",
      "0x10",
      "NaN",
      "Infinity",
      '"\\u00e9"',
      '"\\u00G9"',
      '"\\x41"',
      '"a\tb"',
      '"\\/"',
      "[1,]",
      "[,1]",
      "{,}",
      '{"a":1,}',
      '{"a" 1}',
      "{a:1}",
      "[1 2]",
      "tru",
      "nulll",
      "[]",
      "{}",
      " [ ] ",
      "[[[[]]]]",
      '"',
    ];
    for (const text of cases) assert.equal(scans(text), parses(text), text);
  });

  await t.step("any depth, without recursion", () => {
    const depth = 200_000;
    const text = "[".repeat(depth) + "]".repeat(depth);
    assert.equal(scanValue(text, 0), text.length);
  });

  await t.step("the error says where the text stopped being JSON", () => {
    assert.throws(() => scanValue('[1,2,{"a":x}]', 0), (error: unknown) => {
      assert.ok(error instanceof JsonSyntaxError);
      assert.equal(error.offset, 10);
      assert.equal(error.message, "expected a value at offset 10");
      return true;
    });
    assert.throws(() => scanValue("[1,2", 0), /unexpected end at offset 4/);
  });
});

Deno.test("parseJsonBounded refuses more values than allowed, before building any", () => {
  assert.deepEqual(parseJsonBounded('{"a":[1,2]}', 4), { a: [1, 2] });
  assert.throws(
    () => parseJsonBounded('{"a":[1,2,3]}', 4),
    (error: unknown) =>
      error instanceof JsonLimitError && /holds 5 JSON values/.test(error.message),
  );
  assert.throws(() => parseJsonBounded("[1] x", 10), /unexpected data after the value at offset 4/);
  // A body of two million zeros is refused quickly and without building an array.
  const zeros = "[" + "0,".repeat(1_999_999) + "0]";
  assert.throws(() => parseJsonBounded(zeros, 1_000_000), JsonLimitError);
});

Deno.test("scanValue: each syntax error says what was wrong, and where", () => {
  // The message is what the operator reads ("the body is not JSON: …"): words and offset both.
  for (
    const [text, message] of [
      ['"\\u12G4"', "bad \\u escape in a string at offset 1"],
      ['"\\u"', "bad \\u escape in a string at offset 1"],
      ['"\\q"', "bad escape in a string at offset 1"],
      ['"\\', "bad escape in a string at offset 1"],
      ['"abc', "unterminated string at offset 4"],
      ['"a\u0001"', "control character in a string at offset 2"],
      ["1.", "expected a digit at offset 2"],
      ["1e+", "expected a digit at offset 3"],
      ["-", "expected a digit at offset 1"],
      ["{1:2}", "expected a member name at offset 1"],
      ['{"a":1,}', "expected a member name at offset 7"],
      ['{"a" 1}', 'expected ":" at offset 5'],
      ['{"a":1 2}', 'expected "," or "}" at offset 7'],
      ["[1 2]", 'expected "," or "]" at offset 3'],
      ["[1", "unexpected end at offset 2"],
      ['{"a":1', "unexpected end at offset 6"],
      ["  ", "unexpected end at offset 2"],
      ["x", "expected a value at offset 0"],
      ["+1", "expected a value at offset 0"],
      ["[.5]", "expected a value at offset 1"],
      ["[1,]", "expected a value at offset 3"],
    ]
  ) {
    assert.throws(() => scanValue(text, 0), (error: unknown) => {
      assert.ok(error instanceof JsonSyntaxError, text);
      assert.equal(error.message, message, text);
      return true;
    });
  }
  assert.throws(() => scanString("x", 0), /^JsonSyntaxError: expected a string at offset 0$/);
  // Where a valid value ends, whitespace inside it included and after it not.
  for (
    const [text, end] of [
      ["-01", 2],
      ["1.5e-3", 6],
      ['"\\u00e9\\n\\/"', 12],
      ["  [ ] ", 5],
      ["[1 , 2 ]", 8],
      ['{ "a" : 1 , "b" : [ ] }', 23],
    ] as const
  ) {
    assert.equal(scanValue(text, 0), end, text);
  }
});

Deno.test("parseJsonBounded: the count in its refusal, and the scanner's words for bad JSON", () => {
  assert.deepEqual(parseJsonBounded("[1,2,3]", 4), [1, 2, 3]);
  assert.deepEqual(parseJsonBounded("[[[[]]]]", 4), [[[[]]]]);
  assert.deepEqual(parseJsonBounded("  [1] ", 2), [1]);
  for (
    const [text, max, values] of [["[1,2,3]", 3, 4], ["[[[[]]]]", 3, 4], [
      '{"a":[1,{}]}',
      2,
      4,
    ]] as const
  ) {
    assert.throws(() => parseJsonBounded(text, max), (error: unknown) => {
      assert.ok(error instanceof JsonLimitError, text);
      assert.equal(
        String(error),
        `JsonLimitError: it holds ${values} JSON values, more than the ${max} this request may build`,
      );
      return true;
    });
  }
  // Short texts go to JSON.parse first; its error (which quotes the text) is never the one thrown.
  for (const [text, max] of [["[1,2", 10], ["[1,2", 1]] as const) {
    assert.throws(() => parseJsonBounded(text, max), (error: unknown) => {
      assert.ok(error instanceof JsonSyntaxError, text);
      assert.equal(error.message, "unexpected end at offset 4");
      return true;
    });
  }
  assert.throws(
    () => parseJsonBounded("[1,2] x", 10),
    /^JsonSyntaxError: unexpected data after the value at offset 6$/,
  );
});

Deno.test("scanValue: all four whitespace characters, and \\u escapes at the edges of hex", () => {
  for (const space of [" ", "\t", "\n", "\r"]) {
    const text =
      `${space}[${space}1${space},${space}{${space}"a"${space}:${space}2${space}}${space}]${space}`;
    assert.equal(skipWhitespace(text, scanValue(text, 0)), text.length, JSON.stringify(space));
    assert.equal(scanValue(text, 0), text.length - 1, JSON.stringify(space));
  }
  for (const escape of ["\\b", "\\f", "\\n", "\\r", "\\t", "\\/", '\\"', "\\\\"]) {
    assert.ok(scans(`"a${escape}b"`), escape);
  }
  for (const hex of ["09AF", "af0F", "FFFF", "a0b9", "CDEc"]) {
    assert.ok(scans(`"\\u${hex}"`), hex);
  }
  // The characters on either side of 0-9, A-F and a-f are not hex digits.
  for (const bad of ["/", ":", "@", "G", "`", "g"]) {
    assert.equal(scans(`"\\u0${bad}00"`), false, bad);
  }
});
