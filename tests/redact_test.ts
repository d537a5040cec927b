import assert from "node:assert/strict";
import fc from "fast-check";
import { createRedactor, REDACTED, secretPattern } from "../src/redact.ts";

const KEY = 'SENTINEL-k3y/+"&<>\\-0123456789';

/** Every 8-character window of `text`, to look for what is left of a key. */
function windows(text: string, size = 8): string[] {
  return Array.from(
    { length: Math.max(0, text.length - size + 1) },
    (_, i) => text.slice(i, i + size),
  );
}

/** A key whose base64 differs from its base64url at every alignment (`fn5+`, `Pz8/`). */
const B64_KEY = "SENTINEL-Mixed-Case~~~~~~~~~?????????";

/** Each of `key`'s characters that is not a letter or digit written by `escape`. */
function escapeSymbols(key: string, escape: (c: string) => string): string {
  return Array.from(key, (c) => (/[a-z0-9]/i.test(c) ? c : escape(c))).join("");
}

/** Each byte of `key`, percent-encoded with the platform's hex (lower case). */
function percentLower(key: string, prefix = "%"): string {
  return Array.from(new TextEncoder().encode(key), (b) => prefix + new Uint8Array([b]).toHex())
    .join("");
}

/** Base64 (or base64url) of `prefix + key + "!"`, by the platform's encoder. */
function base64Of(key: string, prefix: string, alphabet: "base64" | "base64url"): string {
  return new TextEncoder().encode(`${prefix}${key}!`).toBase64({ alphabet });
}

Deno.test("createRedactor: every common encoding of the key is redacted", async (t) => {
  const redact = createRedactor([KEY]);
  const encoder = new TextEncoder();
  const code = (c: string) => c.codePointAt(0)!;
  const echoes: [string, string][] = [
    ["raw", KEY],
    ["lower case", KEY.toLowerCase()],
    ["upper case", KEY.toUpperCase()],
    ["JSON-escaped once", JSON.stringify(KEY).slice(1, -1)],
    ["JSON-escaped twice", JSON.stringify(JSON.stringify(KEY).slice(1, -1)).slice(1, -1)],
    [
      "JSON \\u escapes (upper-case hex) and \\/",
      escapeSymbols(
        KEY,
        (c) => c === "/" ? "\\/" : `\\u${code(c).toString(16).toUpperCase().padStart(4, "0")}`,
      ),
    ],
    [
      "JSON \\u escapes, escaped again",
      escapeSymbols(KEY, (c) => `\\\\u${code(c).toString(16).padStart(4, "0")}`),
    ],
    ["encodeURIComponent", encodeURIComponent(KEY)],
    ["encodeURIComponent, lower-case hex", encodeURIComponent(KEY).toLowerCase()],
    ["encodeURIComponent, twice", encodeURIComponent(encodeURIComponent(KEY))],
    [
      "percent-encoded, upper case",
      Array.from(encoder.encode(KEY), (b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`)
        .join(""),
    ],
    ["percent-encoded, lower case", percentLower(KEY)],
    [
      "HTML-escaped",
      KEY.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll(
        '"',
        "&quot;",
      ),
    ],
    [
      "HTML named references",
      escapeSymbols(KEY, (c) =>
        ({
          "/": "&sol;",
          "+": "&plus;",
          '"': "&QUOT;",
          "&": "&amp;",
          "<": "&lt;",
          ">": "&GT;",
          "\\": "&bsol;",
        })[c] ?? c),
    ],
    ["HTML decimal references, symbols only", escapeSymbols(KEY, (c) => `&#${code(c)};`)],
    ["HTML decimal references, zero-padded", escapeSymbols(KEY, (c) => `&#00${code(c)};`)],
    ["HTML numeric entities", Array.from(KEY, (c) => `&#${code(c)};`).join("")],
    ["HTML hex entities", Array.from(KEY, (c) => `&#x${code(c).toString(16)};`).join("")],
    [
      "HTML hex references, symbols only, upper case",
      escapeSymbols(KEY, (c) => `&#X${code(c).toString(16).toUpperCase()};`),
    ],
    ["hex", encoder.encode(KEY).toHex()],
    ["hex, upper case", encoder.encode(KEY).toHex().toUpperCase()],
  ];
  for (const [name, echo] of echoes) {
    await t.step(name, () => {
      const out = redact(`before ${echo} after`);
      assert.equal(out, `before ${REDACTED} after`);
    });
  }
  await t.step("base64, at every alignment inside a longer text", () => {
    for (const prefix of ["", "u", "us", "user:"]) {
      const encoded = base64Of(KEY, prefix, "base64");
      const out = redact(encoded);
      assert.ok(out.includes(REDACTED), `${prefix}: ${out}`);
      // At most a couple of base64 characters of the key may stay at either end.
      const left = out.replace(REDACTED, "");
      assert.ok(left.length <= base64Of("", prefix, "base64").length + 8, `${prefix}: ${out}`);
    }
  });
  await t.step("base64url, and base64 case-folded, at every alignment", () => {
    const redactB64 = createRedactor([B64_KEY]);
    for (const prefix of ["", "u", "us"]) {
      const url = base64Of(B64_KEY, prefix, "base64url");
      assert.notEqual(url, base64Of(B64_KEY, prefix, "base64"), "the two alphabets differ");
      for (const echo of [url, base64Of(B64_KEY, prefix, "base64").toLowerCase()]) {
        const out = redactB64(echo);
        assert.ok(out.includes(REDACTED), `${prefix}: ${out}`);
        assert.ok(out.replace(REDACTED, "").length <= 12, `${prefix}: ${out}`);
      }
    }
  });
});

Deno.test("createRedactor: a key of backslashes and ampersands in its raw and escaped forms", () => {
  const key = "\\\\&&\\%%&\\x";
  const redact = createRedactor([key]);
  const once = JSON.stringify(key).slice(1, -1);
  for (const echo of [key, once, JSON.stringify(once).slice(1, -1), encodeURIComponent(key)]) {
    assert.equal(redact(`<${echo}>`), `<${REDACTED}>`, echo);
  }
  // A near miss is left alone, however many backslashes it holds.
  const near = "\\".repeat(5000) + "&&\\%%&\\y";
  assert.equal(redact(near), near);
});

Deno.test("createRedactor: redacting first, then cutting, never leaves part of a key", () => {
  const redact = createRedactor([KEY]);
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), fc.nat({ max: 400 }), (filler, cutAt) => {
      const text = `${filler}${KEY}${filler}`;
      const shown = redact(text).slice(0, cutAt);
      for (const window of windows(KEY)) assert.ok(!shown.includes(window), shown);
    }),
    { seed: 42, numRuns: 300 },
  );
});

Deno.test("createRedactor: nothing to redact, and longest forms first", () => {
  assert.equal(createRedactor([])("text"), "text");
  assert.equal(createRedactor([""])("text"), "text");
  assert.equal(createRedactor(["abcdefgh", "abcdefghijkl"])("xabcdefghijklx"), `x${REDACTED}x`);
  assert.ok(new RegExp(secretPattern(KEY), "i").test(KEY));
});

/** HTML's named character references for ASCII symbols, as the HTML standard spells them. */
const HTML_NAMES: [string, string][] = [
  ["!", "excl"],
  ['"', "quot"],
  ["#", "num"],
  ["$", "dollar"],
  ["%", "percnt"],
  ["&", "amp"],
  ["'", "apos"],
  ["(", "lpar"],
  [")", "rpar"],
  ["*", "ast"],
  ["*", "midast"],
  ["+", "plus"],
  [",", "comma"],
  [".", "period"],
  ["/", "sol"],
  [":", "colon"],
  [";", "semi"],
  ["<", "lt"],
  ["=", "equals"],
  [">", "gt"],
  ["?", "quest"],
  ["@", "commat"],
  ["[", "lsqb"],
  ["[", "lbrack"],
  ["\\", "bsol"],
  ["]", "rsqb"],
  ["]", "rbrack"],
  ["^", "Hat"],
  ["_", "lowbar"],
  ["_", "UnderBar"],
  ["`", "grave"],
  ["`", "DiacriticalGrave"],
  ["{", "lcub"],
  ["{", "lbrace"],
  ["|", "verbar"],
  ["|", "vert"],
  ["|", "VerticalLine"],
  ["}", "rcub"],
  ["}", "rbrace"],
];

Deno.test("createRedactor: a key whose symbol an HTML page writes as a named reference", async (t) => {
  for (const [symbol, name] of HTML_NAMES) {
    await t.step(`&${name}; for ${symbol}`, () => {
      const key = `SENTINEL-${symbol}-4d2f9`;
      const out = createRedactor([key])(`<p>SENTINEL-&${name};-4d2f9</p>`);
      assert.equal(out, "<p>[redacted]</p>");
    });
  }
});

Deno.test("createRedactor: the replacement is the word [redacted], for each of several keys", () => {
  const redact = createRedactor(["first-key-0a1b2c", "second-key-3d4e5f"]);
  assert.equal(redact("a first-key-0a1b2c b"), "a [redacted] b");
  assert.equal(redact("a second-key-3d4e5f b"), "a [redacted] b");
  assert.equal(
    redact(`${encodeURIComponent("second-key-3d4e5f")} first-key-0a1b2c`),
    "[redacted] [redacted]",
  );
});

Deno.test("createRedactor: a key beyond the BMP, JSON-escaped as surrogate pairs", () => {
  const key = "SENTINEL-\u{1F600}-k";
  const escaped = "SENTINEL-\\ud83d\\ude00-k";
  assert.equal(createRedactor([key])(`"${escaped}"`), '"[redacted]"');
});

Deno.test("createRedactor: base64 is only matched for six bytes or more, and text that is not the key is left alone", () => {
  // Six bytes of key in base64 are enough to recognise it...
  assert.equal(createRedactor(["abcdef"])("x YWJjZGVm x"), "x [redacted] x");
  // ...fewer are not: a short key's base64 is ordinary text, and nothing else is touched.
  assert.equal(createRedactor(["abc"])("x YWJj x"), "x YWJj x");
  assert.equal(createRedactor(["abcd"])("text without it"), "text without it");
  // A character replaced by a JSON escape of another is not the key.
  const key = "SENTINEL-ab12";
  assert.equal(createRedactor([key])("SENTINEL-\\/b12"), "SENTINEL-\\/b12");
});

Deno.test("createRedactor: a key with a character of several UTF-8 bytes, percent-encoded", () => {
  const key = "SENTINEL-clé-€-9";
  const redact = createRedactor([key]);
  assert.equal(redact(`?k=${encodeURIComponent(key)}&x=1`), "?k=[redacted]&x=1");
  assert.equal(redact(`?k=${encodeURIComponent(encodeURIComponent(key))}`), "?k=[redacted]");
});

Deno.test("createRedactor: with two keys, the shorter is redacted raw even when only its raw form matches", () => {
  // `"`, `%` and `&` are escaped in every layer but the raw one: only that layer matches.
  const short = 'k%&"ey-12';
  const redact = createRedactor(["a-much-longer-key-123456", short]);
  assert.equal(redact(`<${short}>`), "<[redacted]>");
  assert.equal(redact("<a-much-longer-key-123456>"), "<[redacted]>");
});
