/**
 * Nothing about timestamps depends on the machine's time zone: the RFC 3339 checks, the cut-off
 * comparison and `Retry-After` dates give the same answers in UTC and in zones whose offsets are
 * not whole hours, one of them across its summer-time changes (Pacific/Chatham, +12:45/+13:45).
 * A child process runs them zone after zone (`TZ` set in it as it goes): `TZ` is read for the whole
 * process, and the other suites' workers share this one.
 */

import assert from "node:assert/strict";
import { parseRetryAfter } from "../src/retry_policy.ts";
import { isAtOrAfter, parseSince, rfc3339Problem } from "../src/timestamp.ts";

const ZONES = [
  "UTC",
  "Pacific/Chatham",
  "America/St_Johns",
  "Asia/Kathmandu",
  "Pacific/Kiritimati",
  "America/Los_Angeles",
];

/** What is asked of the code in every zone. */
const INPUT = {
  timestamps: [
    "2022-01-01T00:00:00.000Z",
    "2022-01-01T00:00:00Z",
    "2021-12-31T23:59:59.999Z",
    "2022-01-01T12:45:00+12:45",
    "2022-01-01T12:44:59.999999999+12:45",
    "2021-12-31T20:30:00-03:30",
    "2026-04-05T02:45:00+13:45",
    "2026-04-05T03:15:00+12:45",
    "2026-09-27T02:45:00+12:45",
    "2024-02-29T12:00:00Z",
    "2023-02-29T12:00:00Z",
    "2022-06-30T12:34:60.5+02:00",
    "1970-01-01T00:00:00Z",
    "2022-01-01T00:00:00",
    "2022-01-01 00:00:00Z",
    "not a date",
  ],
  sinces: ["2022-01-01T00:00:00.000Z", "2022-01-01T12:45:00+12:45", "2026-04-05T00:00:00+13:45"],
  retryAfter: [
    "0",
    "120",
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
    "Sun, 05 Apr 2026 13:30:00 GMT",
    "Sun Apr  5 14:15:00 2026",
    "Sat, 26 Sep 2026 14:00:00 GMT",
    "tomorrow",
    "",
  ],
  now: Date.UTC(1994, 10, 6, 8, 49, 0),
  /** Instants whose local offset shows the zone took effect (Chatham's summer-time edges). */
  instants: [
    0,
    Date.UTC(2026, 3, 4, 13, 0),
    Date.UTC(2026, 3, 4, 15, 0),
    Date.UTC(2026, 8, 26, 14),
  ],
};

type Input = typeof INPUT;

/** The answers of the code under test to {@link INPUT}: run here, and in the child in each zone. */
function answers(input: Input) {
  return {
    problems: input.timestamps.map((text) => rfc3339Problem(text) ?? "valid"),
    after: input.sinces.map((since) =>
      input.timestamps.filter((text) => rfc3339Problem(text) === undefined)
        .map((text) => isAtOrAfter(text, parseSince(since)))
    ),
    retry: input.retryAfter.map((value) => parseRetryAfter(value, input.now) ?? "none"),
  };
}

Deno.test("timestamps, the cut-off and Retry-After dates give the same answers in every time zone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "outage-sync-zone-" });
  try {
    const child = `${dir}/zones.ts`;
    await Deno.writeTextFile(
      child,
      [
        `import { parseRetryAfter } from "${new URL("../src/retry_policy.ts", import.meta.url)}";`,
        `import { isAtOrAfter, parseSince, rfc3339Problem } from "${new URL(
          "../src/timestamp.ts",
          import.meta.url,
        )}";`,
        `const answers = ${answers.toString()};`,
        "const input = JSON.parse(Deno.args[0]);",
        "const results = {};",
        "for (const zone of input.zones) {",
        '  Deno.env.set("TZ", zone);',
        "  results[zone] = {",
        "    zone: Intl.DateTimeFormat().resolvedOptions().timeZone,",
        "    offsets: input.instants.map((ms) => new Date(ms).getTimezoneOffset()),",
        "    ...answers(input),",
        "  };",
        "}",
        "console.log(JSON.stringify(results));",
        "",
      ].join("\n"),
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-lock",
        "--no-config",
        "--allow-env=TZ",
        child,
        JSON.stringify({ ...INPUT, zones: ZONES }),
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const results = JSON.parse(new TextDecoder().decode(stdout));
    // Each zone took effect: Chatham is +12:45 in 1970, +13:45 then +12:45 across 5 April 2026's
    // change, and +13:45 again after 27 September's.
    // (ICU may name a zone by an older alias, e.g. Asia/Katmandu: the offsets are what matter.)
    assert.deepEqual(results["UTC"].offsets, [0, 0, 0, 0]);
    for (const zone of ZONES.slice(1)) assert.notEqual(results[zone].offsets[0], 0, zone);
    assert.deepEqual(results["Pacific/Chatham"].offsets, [-765, -825, -765, -825]);
    const expected = answers(INPUT);
    for (const zone of ZONES) {
      const { problems, after, retry } = results[zone];
      assert.deepEqual({ problems, after, retry }, expected, zone);
    }
    // And the answers say something: valid and invalid timestamps, both sides of each cut-off,
    // dates of each HTTP form read.
    assert.ok(
      expected.problems.includes("valid") &&
        expected.problems.includes("not an RFC 3339 timestamp with offset"),
    );
    assert.ok(expected.after.flat().includes(true) && expected.after.flat().includes(false));
    assert.deepEqual(expected.retry.slice(0, 5), [0, 120_000, 37_000, 37_000, 37_000]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
