import assert from "node:assert/strict";
import fc from "fast-check";
import type { EnhancedOutage } from "../src/api_shapes.ts";
import { renderTextReport, type RunReport } from "../src/report.ts";
import {
  FUTURE_SKEW_MS,
  parseState,
  payloadChanges,
  payloadDigest,
  renderState,
  type SiteState,
  STATE_FORMAT,
  stateFileName,
  verdict,
} from "../src/state.ts";

const A: EnhancedOutage = {
  id: "a",
  name: "A",
  begin: "2022-02-01T00:00:00Z",
  end: "2022-02-02T00:00:00Z",
};
const B: EnhancedOutage = {
  id: "b",
  name: "B",
  begin: "2022-03-01T00:00:00Z",
  end: "2022-03-02T00:00:00Z",
};
const C: EnhancedOutage = {
  id: "c",
  name: "C",
  begin: "2022-04-01T00:00:00Z",
  end: "2022-04-02T00:00:00Z",
};

async function state(
  payload: EnhancedOutage[],
  overrides: Partial<SiteState> = {},
): Promise<SiteState> {
  return {
    format: STATE_FORMAT,
    baseUrl: "https://api.example.com/v1",
    siteId: "site",
    since: "2022-01-01T00:00:00.000Z",
    sinceInstant: "1640995200000000000",
    digest: await payloadDigest(payload),
    count: payload.length,
    postedAt: "2026-12-01T10:00:00.000Z",
    changedAt: "2026-11-30T10:00:00.000Z",
    payload,
    ...overrides,
  };
}

/** A candidate run identical to `previous`: same base URL, cut-off and payload. */
function sameAs(previous: { baseUrl: string; sinceInstant: string; digest: string }) {
  return {
    baseUrl: previous.baseUrl,
    sinceInstant: previous.sinceInstant,
    digest: previous.digest,
  };
}

Deno.test("stateFileName: a safe, distinct file name for any id", async () => {
  const ids = [
    "norwich-pear-tree",
    "../../etc/passwd",
    "a/b",
    "A/B",
    "",
    ".",
    "..",
    "é 😀",
    "x".repeat(500),
    "a\u0000b",
  ];
  const names = await Promise.all(ids.map(stateFileName));
  assert.equal(new Set(names).size, ids.length);
  for (const name of names) {
    assert.match(name, /^site-[A-Za-z0-9._-]*[0-9a-f]{16}\.json$/);
    assert.ok(name.length < 80, name);
  }
  assert.match(names[0], /^site-norwich-pear-tree-[0-9a-f]{16}\.json$/);
});

Deno.test("payloadDigest and payloadChanges: multisets, whatever the order of elements or keys", async () => {
  const reordered = { end: A.end, begin: A.begin, name: A.name, id: A.id };
  assert.equal(await payloadDigest([A, B]), await payloadDigest([B, reordered]));
  assert.notEqual(await payloadDigest([A, B]), await payloadDigest([A, B, B]));
  assert.deepEqual(payloadChanges([A, B, B], [B, C, A]), { added: [C], removed: [B] });
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(A, B, C)),
      fc.array(fc.constantFrom(A, B, C)),
      (before, after) => {
        const { added, removed } = payloadChanges(before, after);
        // before − removed + added is after, as multisets.
        const rebuilt = [...before];
        for (const gone of removed) rebuilt.splice(rebuilt.indexOf(gone), 1);
        rebuilt.push(...added);
        const key = (list: EnhancedOutage[]) => list.map((o) => o.id).sort().join();
        assert.equal(key(rebuilt), key(after));
        assert.ok(added.length + removed.length <= before.length + after.length);
      },
    ),
    { seed: 14, numRuns: 200 },
  );
});

Deno.test("verdict: only an identical, recent payload for the same base URL and cut-off is skipped", async () => {
  const previous = await state([A, B]);
  const candidate = sameAs(previous);
  const now = Date.parse(previous.postedAt) + 3_600_000; // an hour later
  const options = { now, repostAfterMs: 86_400_000, force: false };
  assert.equal(verdict(undefined, candidate, options), "first");
  assert.equal(verdict(previous, candidate, options), "unchanged");
  assert.equal(verdict(previous, { ...candidate, digest: "sha256:other" }, options), "changed");
  assert.equal(
    verdict(previous, { ...candidate, baseUrl: "http://127.0.0.1:1" }, options),
    "other-base-url",
  );
  assert.equal(verdict(previous, { ...candidate, sinceInstant: "0" }, options), "other-cut-off");
  assert.equal(verdict(previous, candidate, { ...options, force: true }), "forced");
  assert.equal(verdict(previous, candidate, { ...options, repostAfterMs: 3_600_000 }), "stale");
  assert.equal(verdict(previous, candidate, { ...options, repostAfterMs: 0 }), "stale");
});

Deno.test("parseState: what it wrote reads back; anything else is a problem named, never a throw", async () => {
  const good = await state([A, B]);
  const text = renderState(good);
  assert.deepEqual(await parseState(text, "site"), { state: good });
  assert.ok(text.indexOf('"payload"') > text.indexOf('"changedAt"'), "the payload comes last");
  const problems: [string, string, RegExp][] = [
    ["cut short", text.slice(0, text.length / 2), /not JSON/],
    [
      "another format",
      text.replace(STATE_FORMAT, "outage-sync-state/9"),
      /format "outage-sync-state\/9"/,
    ],
    ["another site", text, /it is the state of site "site"/],
    [
      "edited payload",
      text.replace('"name":"A"', '"name":"Z"'),
      /does not match its recorded count and digest/,
    ],
    ["a field missing", text.replace('"count": 2,', ""), /field "count" missing/],
    ["not an object", "[]", /not a state object/],
  ];
  for (const [what, input, problem] of problems) {
    const parsed = await parseState(input, what === "another site" ? "other" : "site");
    assert.ok("problem" in parsed, what);
    assert.match(parsed.problem, problem, what);
  }
});

Deno.test("verdict: a postedAt beyond the allowed skew in the future counts as too old", async () => {
  const previous = await state([A]);
  const candidate = sameAs(previous);
  const posted = Date.parse(previous.postedAt);
  const options = { repostAfterMs: 86_400_000, force: false };
  // A clock that moved back a little since (NTP): still recent.
  assert.equal(verdict(previous, candidate, { ...options, now: posted - 60_000 }), "unchanged");
  assert.equal(
    verdict(previous, candidate, { ...options, now: posted - FUTURE_SKEW_MS }),
    "unchanged",
  );
  // Written by a clock that ran ahead (or by hand): its negative age would skip every later run.
  assert.equal(
    verdict(previous, candidate, { ...options, now: posted - FUTURE_SKEW_MS - 1 }),
    "stale",
  );
  assert.equal(verdict(previous, candidate, { ...options, now: posted - 3_600_000 }), "stale");
});

Deno.test("parseState: every field is checked to the shape it is written in; times are RFC 3339", async () => {
  const good = JSON.parse(renderState(await state([A, B])));
  const hostile = "Sat Dec 05 2026 00:00:00 GMT (\x1b]0;pwned\x07\r\x1b[2Kposted)";
  const problems: [Record<string, unknown>, RegExp][] = [
    [{ postedAt: hostile }, /field "postedAt" is not a time: not an RFC 3339 timestamp/],
    [{ postedAt: "2026-12-01 10:00:00" }, /field "postedAt" is not a time/],
    [{ postedAt: "2026-02-30T10:00:00Z" }, /field "postedAt" is not a time: day of month/],
    [{ changedAt: "yesterday (\x1b[2J)" }, /field "changedAt" is not a time/],
    [{ since: "2022" }, /field "since" is not a time/],
    [{ sinceInstant: "1e18" }, /field "sinceInstant" is not an instant in nanoseconds/],
    [{ digest: "sha256:\x1b[2J" }, /field "digest" is not a sha256 digest/],
    [{ count: -1 }, /field "count" missing or not a count/],
    [{ count: 1.5 }, /field "count" missing or not a count/],
    [{ baseUrl: 7 }, /field "baseUrl" missing or not a string/],
  ];
  for (const [change, problem] of problems) {
    const parsed = await parseState(JSON.stringify({ ...good, ...change }), "site");
    assert.ok("problem" in parsed, JSON.stringify(change));
    assert.match(parsed.problem, problem);
  }
  const offset = { ...good, postedAt: "2026-12-01T11:00:00.123456789+01:00" };
  assert.ok("state" in await parseState(JSON.stringify(offset), "site"), "any RFC 3339 instant");
});

Deno.test("the unchanged line prints the last POST's time through the report's escaping", () => {
  const report = {
    since: "2022-01-01T00:00:00.000Z",
    sites: [{
      siteId: "s",
      siteName: null,
      status: "unchanged",
      kept: 1,
      droppedBeforeSince: 0,
      droppedUnknownDevice: 0,
      changes: { added: 0, removed: 0, since: "x\x1b]0;t\x07\r\nOK: forged" },
    }],
  } as unknown as RunReport;
  const text = renderTextReport(report);
  // deno-lint-ignore no-control-regex -- control characters are what must not be printed.
  assert.doesNotMatch(text, /[\x00-\x1f]OK|\x1b|\x07|\r/);
  assert.ok(text.includes("as accepted at x\\x1b]0;t\\x07\\r\\nOK: forged: not posted again"));
});

Deno.test("stateFileName: the readable part of the id, then the start of its SHA-256", async () => {
  // printf '../../etc/passwd' | sha256sum
  assert.equal(await stateFileName("../../etc/passwd"), "site-etc_passwd-3754d6cb3a38e118.json");
  // The SHA-256 of nothing: no readable part, and no dash before the digest.
  assert.equal(await stateFileName(""), "site-e3b0c44298fc1c14.json");
  assert.equal(await stateFileName("é 😀"), "site-e02a2dea95a65290.json");
  assert.equal(await stateFileName("._-a b"), "site--a_b-c8f33142707da0a5.json");
  assert.equal(
    await stateFileName("x".repeat(50)),
    `site-${"x".repeat(40)}-77cf12060d47183e.json`,
  );
});

Deno.test("payloadDigest: the digest state files hold, unchanged since they were first written", async () => {
  // A file written by an earlier version must still read as the same payload, or every site is
  // posted again after an upgrade. The digest is SHA-256 of the outages' canonical lines, sorted:
  // printf '1:a1:A20:2022-02-01T00:00:00Z20:2022-02-02T00:00:00Z\n1:b1:B20:2022-03-01T00:00:00Z20:2022-03-02T00:00:00Z' | sha256sum
  const expected = "sha256:aa8cfe79f161319c6a3be07174e8d57387d78f1e2c175cbb5bd863f3d0678070";
  assert.equal(await payloadDigest([A, B]), expected);
  assert.equal(await payloadDigest([B, A]), expected);
  assert.equal(
    await payloadDigest([]),
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  // Fields that run into each other are still told apart.
  const one = { id: "a1", name: ":b", begin: A.begin, end: A.end };
  const other = { id: "a", name: "1:b", begin: A.begin, end: A.end };
  assert.notEqual(await payloadDigest([one]), await payloadDigest([other]));
});

Deno.test("payloadChanges: added in the new order, removed in the old, duplicates counted", () => {
  const A2 = { ...A };
  assert.deepEqual(payloadChanges([], [C, A, B]), { added: [C, A, B], removed: [] });
  assert.deepEqual(payloadChanges([C, A, B], []), { added: [], removed: [C, A, B] });
  assert.deepEqual(payloadChanges([A, A, B], [A2, C]), { added: [C], removed: [A, B] });
  assert.deepEqual(payloadChanges([A], [A2, A2]), { added: [A2], removed: [] });
  assert.deepEqual(payloadChanges([B, A], [A2, B]), { added: [], removed: [] });
});

Deno.test("verdict: reposted once exactly --repost-after has passed", async () => {
  const previous = await state([A]);
  const candidate = sameAs(previous);
  const posted = Date.parse(previous.postedAt);
  const options = { repostAfterMs: 60_000, force: false };
  assert.equal(verdict(previous, candidate, { ...options, now: posted + 59_999 }), "unchanged");
  assert.equal(verdict(previous, candidate, { ...options, now: posted + 60_000 }), "stale");
  // Every difference wins over force and over age.
  const forced = { ...options, now: posted, force: true };
  assert.equal(verdict(previous, { ...candidate, digest: "sha256:x" }, forced), "changed");
  assert.equal(verdict(previous, { ...candidate, sinceInstant: "1" }, forced), "other-cut-off");
  assert.equal(verdict(previous, { ...candidate, baseUrl: "x" }, forced), "other-base-url");
  assert.equal(verdict(undefined, candidate, forced), "first");
});

Deno.test("renderState: the file's exact text, head first, one outage a line", async () => {
  const rendered = renderState(await state([A, B]));
  assert.equal(
    rendered,
    `{
  "format": "outage-sync-state/1",
  "baseUrl": "https://api.example.com/v1",
  "siteId": "site",
  "since": "2022-01-01T00:00:00.000Z",
  "sinceInstant": "1640995200000000000",
  "digest": "${await payloadDigest([A, B])}",
  "count": 2,
  "postedAt": "2026-12-01T10:00:00.000Z",
  "changedAt": "2026-11-30T10:00:00.000Z",
  "payload": [
    {"id":"a","name":"A","begin":"2022-02-01T00:00:00Z","end":"2022-02-02T00:00:00Z"},
    {"id":"b","name":"B","begin":"2022-03-01T00:00:00Z","end":"2022-03-02T00:00:00Z"}
  ]
}
`,
  );
  const empty = renderState(await state([]));
  assert.ok(empty.endsWith(`"changedAt": "2026-11-30T10:00:00.000Z",\n  "payload": []\n}\n`));
  const parsed = await parseState(empty, "site");
  assert.ok("state" in parsed, "an empty payload with a count of 0 reads back");
  assert.deepEqual(parsed.state.payload, []);
});

Deno.test("parseState: each problem named as the warning prints it", async () => {
  const good = JSON.parse(renderState(await state([A, B])));
  const cases: [string, string][] = [
    ["null", "not a state object"],
    ['"text"', "not a state object"],
    ["7", "not a state object"],
    ["{}", 'format undefined, not "outage-sync-state/1"'],
    [JSON.stringify({ ...good, count: "2" }), 'field "count" missing or not a count'],
    [JSON.stringify({ ...good, payload: {} }), 'field "payload" missing or not an array'],
    [JSON.stringify({ ...good, siteId: null }), 'field "siteId" missing or not a string'],
    [JSON.stringify({ ...good, since: 1 }), 'field "since" missing or not a string'],
    [
      JSON.stringify({ ...good, sinceInstant: "01" }),
      'field "sinceInstant" is not an instant in nanoseconds',
    ],
    [
      JSON.stringify({ ...good, sinceInstant: "5x" }),
      'field "sinceInstant" is not an instant in nanoseconds',
    ],
    [
      JSON.stringify({ ...good, digest: good.digest.toUpperCase().replace("SHA256", "sha256") }),
      'field "digest" is not a sha256 digest',
    ],
    [
      JSON.stringify({ ...good, digest: `${good.digest}0` }),
      'field "digest" is not a sha256 digest',
    ],
    [
      JSON.stringify({ ...good, digest: `x${good.digest}` }),
      'field "digest" is not a sha256 digest',
    ],
    [
      JSON.stringify({ ...good, count: 3 }),
      "its payload does not match its recorded count and digest",
    ],
    [
      JSON.stringify({ ...good, payload: [A, { ...B, end: "soon" }] }),
      "payload item 1: ",
    ],
  ];
  for (const [text, problem] of cases) {
    const parsed = await parseState(text, "site");
    assert.ok("problem" in parsed, text);
    assert.ok(parsed.problem.startsWith(problem), `${parsed.problem} for ${text}`);
  }
  for (const sinceInstant of ["-1640995200000000000", "0"]) {
    const parsed = await parseState(JSON.stringify({ ...good, sinceInstant }), "site");
    assert.ok("state" in parsed, sinceInstant);
  }
});

Deno.test("stateFileName: a run of unsafe characters is one underscore; only leading dots go", async () => {
  const name = await stateFileName("a  b/ c.d");
  assert.match(name, /^site-a_b_c\.d-[0-9a-f]{16}\.json$/);
  assert.match(await stateFileName("a.b_c"), /^site-a\.b_c-[0-9a-f]{16}\.json$/);
});

Deno.test("verdict: --repost-after 0 reposts even a payload whose postedAt is a little ahead", async () => {
  const previous = await state([A]);
  const candidate = sameAs(previous);
  const now = Date.parse(previous.postedAt) - 60_000; // the clock moved back a minute
  assert.equal(verdict(previous, candidate, { now, repostAfterMs: 0, force: false }), "stale");
});
