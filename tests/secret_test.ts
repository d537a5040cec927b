/** The API key's holder never prints its value, however it is rendered. */

import assert from "node:assert/strict";
import { inspect } from "node:util";
import { Secret } from "../src/secret.ts";

Deno.test("Secret never shows its value", async (t) => {
  const value = "SENTINEL-secret-value-9";
  const secret = new Secret(value);

  const renderings: [string, () => string][] = [
    ["String()", () => String(secret)],
    ["template literal", () => `${secret}`],
    ["concatenation", () => "" + secret],
    ["JSON.stringify of an object", () => JSON.stringify({ k: secret })],
    ["JSON.stringify", () => JSON.stringify(secret)],
    ["Deno.inspect", () => Deno.inspect(secret)],
    ["Deno.inspect nested", () => Deno.inspect({ config: { apiKey: secret } }, { depth: 10 })],
    ["Deno.inspect with showHidden", () => Deno.inspect(secret, { showHidden: true })],
    ["node:util inspect", () => inspect({ apiKey: secret })],
    ["Object.entries", () => JSON.stringify(Object.entries(secret))],
    ["structured keys", () => Object.keys(secret).join(",")],
  ];
  for (const [label, render] of renderings) {
    await t.step(label, () => {
      const text = render();
      assert.ok(!text.includes(value), `${label} leaked: ${text}`);
    });
  }

  await t.step("the redacted forms", () => {
    assert.equal(String(secret), "[redacted]");
    assert.equal(JSON.stringify({ k: secret }), '{"k":"[redacted]"}');
    assert.ok(Deno.inspect(secret).includes("[redacted]"));
    assert.equal(inspect(secret), "Secret([redacted])");
  });

  await t.step("reveal() gives the value", () => {
    assert.equal(secret.reveal(), value);
  });
});
