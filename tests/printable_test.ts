import assert from "node:assert/strict";
import { cut, escapeControls, escapeJsonText } from "../src/printable.ts";

Deno.test("escapeControls: nothing a terminal would interpret survives", () => {
  assert.equal(escapeControls("a\nb\r\tc"), "a\\nb\\r\\tc");
  assert.equal(escapeControls("\x1b[2K\x1b]0;title\x07"), "\\x1b[2K\\x1b]0;title\\x07");
  assert.equal(escapeControls("\x7f\x85\x9b"), "\\x7f\\x85\\x9b");
  assert.equal(
    escapeControls("abc\u202edef\u2066\u200b\ufeff"),
    "abc\\u202edef\\u2066\\u200b\\ufeff",
  );
  assert.equal(escapeControls("Battéry ⚡ 6 – ok"), "Battéry ⚡ 6 – ok");
  for (let code = 0; code < 0x20; code++) {
    const shown = escapeControls(String.fromCharCode(code));
    assert.ok([...shown].every((c) => c.charCodeAt(0) >= 0x20), `${code}`);
  }
});

Deno.test("cut: long text says how much was left out, and never splits a surrogate pair", () => {
  assert.equal(cut("short", 10), "short");
  assert.equal(cut("x".repeat(12), 10), "xxxxxxxxxx… (2 more characters)");
  const emoji = "ab😀cd"; // the emoji is two UTF-16 units, at 2 and 3
  assert.equal(cut(emoji, 3), "ab… (4 more characters)");
});

Deno.test("escapeJsonText: the same JSON value, with nothing a terminal would interpret", () => {
  const value = { message: "a\u202eb\x9bc\u2028d\x1be" };
  const json = escapeJsonText(JSON.stringify(value));
  assert.deepEqual(JSON.parse(json), value);
  const raw = [...json].filter((c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x202e;
  });
  assert.deepEqual(raw, [], json);
});

/** Every unsafe range, first and last character; then characters just outside that must stay. */
const UNSAFE_RANGES: [number, number][] = [
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0xad, 0xad],
  [0x61c, 0x61c],
  [0x180e, 0x180e],
  [0x200b, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x2064],
  [0x2066, 0x206f],
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffb],
];
const SAFE_NEIGHBOURS = [
  0x20,
  0x7e,
  0xa0,
  0xac,
  0xae,
  0x61b,
  0x61d,
  0x180d,
  0x180f,
  0x200a,
  0x2010,
  0x2027,
  0x202f,
  0x205f,
  0x2065,
  0x2070,
  0xfefe,
  0xff00,
  0xfff8,
  0xfffc,
];
const hex = (code: number, width: number) => code.toString(16).padStart(width, "0");

Deno.test("escapeControls: each unsafe range is escaped to its edges, and its neighbours are printed", () => {
  const special: Record<number, string> = { 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t" };
  for (const [first, last] of UNSAFE_RANGES) {
    for (const code of [first, last]) {
      const expected = special[code] ??
        (code < 0x100 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`);
      assert.equal(escapeControls(`<${String.fromCharCode(code)}>`), `<${expected}>`, hex(code, 4));
    }
  }
  for (const code of SAFE_NEIGHBOURS) {
    const text = `<${String.fromCharCode(code)}>`;
    assert.equal(escapeControls(text), text, hex(code, 4));
  }
});

Deno.test("escapeJsonText: each range JSON leaves raw is escaped to its edges, and only those", () => {
  for (const [first, last] of UNSAFE_RANGES.slice(1)) {
    for (const code of [first, last]) {
      const json = JSON.stringify(`<${String.fromCharCode(code)}>`);
      assert.equal(escapeJsonText(json), `"<\\u${hex(code, 4)}>"`, hex(code, 4));
    }
  }
  for (const code of SAFE_NEIGHBOURS) {
    const json = JSON.stringify(`<${String.fromCharCode(code)}>`);
    assert.equal(escapeJsonText(json), json, hex(code, 4));
  }
  assert.equal(escapeJsonText('"\\u001b"'), '"\\u001b"', "JSON's own escapes are left alone");
});

Deno.test("cut: text of exactly `max` characters is whole; only a high surrogate moves the cut", () => {
  assert.equal(cut("x".repeat(10), 10), "x".repeat(10));
  assert.equal(cut("x".repeat(11), 10), "xxxxxxxxxx… (1 more characters)");
  for (const [unit, kept] of [[0xd7ff, 3], [0xd800, 2], [0xdbff, 2], [0xdc00, 3]] as const) {
    const text = `ab${String.fromCharCode(unit)}cd`;
    assert.equal(
      cut(text, 3),
      `${text.slice(0, kept)}… (${5 - kept} more characters)`,
      hex(unit, 4),
    );
  }
});
