/**
 * Nothing about timestamps depends on the machine's time zone: the timestamp and retry-time tests
 * pass again in a zone far from UTC with an offset that is not a whole hour (Pacific/Chatham,
 * +12:45 in 1970, +13:45 in its summer). They run in a child `deno test`, as `TZ` is read for the
 * whole process and the other suites' workers share this one.
 */

import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const ZONE = "Pacific/Chatham";

Deno.test(`timestamp_test.ts and retry_policy_test.ts pass with TZ=${ZONE}`, async () => {
  const dir = await Deno.makeTempDir({ prefix: "outage-sync-zone-" });
  try {
    // One module for both files (a runtime each would cost a quarter of a second of CPU more), and
    // a test that fails unless the zone was really in effect.
    const module = `${dir}/zone.test.ts`;
    await Deno.writeTextFile(
      module,
      [
        `import "${new URL("tests/timestamp_test.ts", root)}";`,
        `import "${new URL("tests/retry_policy_test.ts", root)}";`,
        `Deno.test("the zone in effect is ${ZONE}", () => {`,
        `  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;`,
        `  if (zone !== "${ZONE}" || new Date(0).getTimezoneOffset() !== -765) {`,
        "    throw new Error(`zone ${zone}, offset ${new Date(0).getTimezoneOffset()}`);",
        "  }",
        "});",
        "",
      ].join("\n"),
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--frozen", "--no-check", "--config", "deno.json", module],
      cwd: root,
      env: { TZ: ZONE, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`the zone in effect is ${ZONE} \\.\\.\\. ok`), output);
    // Every test of both files ran, and the zone check: none filtered out, none ignored.
    const registered = ["timestamp_test.ts", "retry_policy_test.ts"].map((file) =>
      Deno.readTextFileSync(new URL(`tests/${file}`, root)).match(/^Deno\.test\(/gm)?.length ?? 0
    );
    const expected = registered[0] + registered[1] + 1;
    assert.match(output, new RegExp(`^ok \\| ${expected} passed[ (]`, "m"), output);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
