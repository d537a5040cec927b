import assert from "node:assert/strict";
import fc from "fast-check";
import { createRedactor, REDACTED, secretForms } from "../src/redact.ts";

const KEY = 'SENTINEL-k3y/+"&<>\\-0123456789';

/** Every 8-character window of `text`, to look for what is left of a key. */
function windows(text: string, size = 8): string[] {
  return Array.from(
    { length: Math.max(0, text.length - size + 1) },
    (_, i) => text.slice(i, i + size),
  );
}

Deno.test("createRedactor: every common encoding of the key is redacted", async (t) => {
  const redact = createRedactor([KEY]);
  const encoder = new TextEncoder();
  const b64 = (text: string) => btoa(String.fromCharCode(...encoder.encode(text)));
  const echoes: [string, string][] = [
    ["raw", KEY],
    ["JSON-escaped once", JSON.stringify(KEY).slice(1, -1)],
    ["JSON-escaped twice", JSON.stringify(JSON.stringify(KEY).slice(1, -1)).slice(1, -1)],
    ["encodeURIComponent", encodeURIComponent(KEY)],
    [
      "percent-encoded, upper case",
      Array.from(encoder.encode(KEY), (b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`)
        .join(""),
    ],
    [
      "HTML-escaped",
      KEY.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll(
        '"',
        "&quot;",
      ),
    ],
    ["HTML numeric entities", Array.from(KEY, (c) => `&#${c.charCodeAt(0)};`).join("")],
    ["HTML hex entities", Array.from(KEY, (c) => `&#x${c.charCodeAt(0).toString(16)};`).join("")],
  ];
  for (const [name, echo] of echoes) {
    await t.step(name, () => {
      const out = redact(`before ${echo} after`);
      assert.equal(out, `before ${REDACTED} after`);
    });
  }
  await t.step("base64, at every alignment inside a longer text", () => {
    for (const prefix of ["", "u", "us", "user:"]) {
      const encoded = b64(`${prefix}${KEY}!`);
      const out = redact(encoded);
      assert.ok(out.includes(REDACTED), `${prefix}: ${out}`);
      // At most a couple of base64 characters of the key may stay at either end.
      const left = out.replace(REDACTED, "");
      assert.ok(left.length <= b64(prefix).length + 8, `${prefix}: ${out}`);
    }
  });
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
  const forms = secretForms(KEY);
  assert.deepEqual(forms, [...forms].sort((a, b) => b.length - a.length));
  assert.ok(forms.includes(KEY));
});
