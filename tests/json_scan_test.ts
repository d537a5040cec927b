import assert from "node:assert/strict";
import fc from "fast-check";
import {
  JsonLimitError,
  JsonSyntaxError,
  parseJsonBounded,
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
