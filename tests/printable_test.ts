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
