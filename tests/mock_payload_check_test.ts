/**
 * The check of `POST /site-outages/{siteId}`: through the handler (a 400 with the API's message,
 * the reason in the log only) and on its own.
 */

import assert from "node:assert/strict";
import type { EnhancedOutage, SiteInfo } from "../src/api_shapes.ts";
import { payloadProblem, prepareSiteCheck } from "../src/mock/payload_check.ts";
import {
  api,
  assertMessage,
  bodyOf,
  EXPECTED,
  lastEntry,
  MESSAGE_400,
  post,
  shuffle,
  STRUCTURAL,
} from "./mock_helpers.ts";

/** The element with its keys in another order: name, end, id, begin. */
function reorderKeys(o: EnhancedOutage): Record<string, string> {
  return { name: o.name, end: o.end, id: o.id, begin: o.begin };
}

const STRUCTURAL_PATH = `/site-outages/${encodeURIComponent("site one/é")}`;

Deno.test("mock payload check: POST /site-outages through the handler", async (t) => {
  const mock = api();
  const path = "/site-outages/norwich-pear-tree";

  await t.step("any element order and key order is accepted (a multiset)", async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const payload = shuffle(EXPECTED, seed).map(reorderKeys);
      const response = await mock.handle(post(path, payload));
      assert.equal(response.status, 200, `seed ${seed}`);
      assert.deepEqual(await bodyOf(response), {});
    }
  });

  await t.step("Content-Type parameters and case are accepted", async () => {
    for (
      const type of [
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        "application/json ; charset=utf-8",
      ]
    ) {
      const response = await mock.handle(post(path, EXPECTED, type));
      assert.equal(response.status, 200, type);
      await response.body?.cancel();
    }
  });

  const wrong: [string, unknown, string | null, RegExp][] = [
    [
      "one element missing",
      EXPECTED.slice(1),
      "application/json",
      /1 expected element\(s\) missing/,
    ],
    ["an element twice", [...EXPECTED, EXPECTED[0]], "application/json", /element \[10\]/],
    ["an empty list", [], "application/json", /10 expected element\(s\) missing/],
    [
      "a wrong name",
      EXPECTED.map((o, i) => i === 3 ? { ...o, name: "Battery 9" } : o),
      "application/json",
      /element \[3\]/,
    ],
    [
      "a begin in another (equal) notation",
      EXPECTED.map((o, i) => i === 1 ? { ...o, begin: "2022-01-01T00:00:00Z" } : o),
      "application/json",
      /element \[1\]/,
    ],
    [
      "an extra key",
      EXPECTED.map((o, i) => i === 0 ? { ...o, siteId: "norwich-pear-tree" } : o),
      "application/json",
      /element \[0\]/,
    ],
    [
      "an object instead of an array",
      { outages: EXPECTED },
      "application/json",
      /not a JSON array/,
    ],
    ["a body that is not JSON", '[{"id":', "application/json", /not JSON/],
    ["a text/plain body", EXPECTED, "text/plain", /Content-Type "text\/plain"/],
    ["no Content-Type", EXPECTED, null, /no Content-Type/],
  ];
  for (const [what, payload, type, note] of wrong) {
    await t.step(`${what} gets 400 with the reason in the log only`, async () => {
      const response = await mock.handle(post(path, payload, type));
      await assertMessage(response, 400, MESSAGE_400);
      const entry = lastEntry(mock);
      assert.equal(entry.status, 400);
      assert.match(entry.note ?? "", note);
    });
  }

  await t.step("the log keeps the parsed body, or the raw text when it is not JSON", () => {
    const log = mock.requests();
    const raw = log.find((e) => e.body === '[{"id":');
    assert.ok(raw !== undefined);
    assert.ok(log.some((e) => Array.isArray(e.body) && e.body.length === 10));
  });

  await t.step("without an expected list, each element is checked against the site", async () => {
    const custom = api({ dataset: STRUCTURAL });
    const ok = {
      id: "d1",
      name: "Alpha",
      begin: "2022-01-01T00:00:00Z",
      end: "2022-01-02T00:00:00Z",
    };
    const good: unknown[][] = [
      [],
      [{ ...ok, end: "2022-01-02T00:00:00.123456789+01:00" }],
      [ok, ok, { ...ok, name: "Alias" }, { ...ok, id: "d2", name: "" }],
      [{ begin: ok.begin, end: "2022-01-02T00:00:00z", name: "Alpha", id: "d1" }],
    ];
    for (const payload of good) {
      const response = await custom.handle(post(STRUCTURAL_PATH, payload));
      assert.equal(response.status, 200, JSON.stringify(payload) + " " + lastEntry(custom).note);
      await response.body?.cancel();
    }
    const bad: [unknown[], RegExp][] = [
      [[{ ...ok, name: "Beta" }], /not the name of device "d1"/],
      [[{ ...ok, id: "d3" }], /"d3" is not a device/],
      [[{ ...ok, id: "D1" }], /"D1" is not a device/],
      [[{ ...ok, id: "constructor" }], /is not a device/],
      [[{ ...ok, begin: "2022-01-01T00:00:00" }], /begin: not an RFC 3339 timestamp/],
      [[{ ...ok, end: "2022-02-30T00:00:00Z" }], /end: day of month out of range/],
      [[{ ...ok, extra: 1 }], /expected exactly id, name, begin, end/],
      [[{ id: "d1", name: "Alpha", begin: ok.begin }], /expected exactly/],
      [[{ ...ok, name: 7 }], /name is not a string/],
      [[ok, "d1"], /element \[1\] is not an object/],
      [[[ok]], /element \[0\] is not an object/],
    ];
    for (const [payload, note] of bad) {
      await assertMessage(await custom.handle(post(STRUCTURAL_PATH, payload)), 400, MESSAGE_400);
      assert.match(lastEntry(custom).note ?? "", note);
    }
  });
});

Deno.test("mock payload check: payloadProblem on its own", async (t) => {
  const site: SiteInfo = { id: "s", name: "S", devices: [{ id: "d1", name: "Alpha" }] };
  const element = {
    id: "d1",
    name: "Alpha",
    begin: "2022-01-01T00:00:00Z",
    end: "2022-01-02T00:00:00Z",
  };
  const json = (body: unknown) => ({ contentType: "application/json", body, isJson: true });

  await t.step("the Content-Type and the JSON are checked before the elements", () => {
    const check = prepareSiteCheck(site, undefined);
    assert.equal(
      payloadProblem(check, { contentType: null, body: [], isJson: true }),
      "no Content-Type header (expected application/json)",
    );
    assert.equal(
      payloadProblem(check, { contentType: "application/jsonp", body: [], isJson: true }),
      'Content-Type "application/jsonp" is not application/json',
    );
    assert.equal(
      payloadProblem(check, { contentType: "application/json", body: "[", isJson: false }),
      "the body is not JSON",
    );
    assert.equal(payloadProblem(check, json(null)), "the body is not a JSON array");
    assert.equal(payloadProblem(check, json([element])), undefined);
  });

  await t.step("an element expected twice must be posted exactly twice", () => {
    const check = prepareSiteCheck(site, [element, element]);
    assert.equal(payloadProblem(check, json([element, element])), undefined);
    assert.equal(
      payloadProblem(check, json([element])),
      "1 expected element(s) missing, e.g. " +
        '{"begin":"2022-01-01T00:00:00Z","end":"2022-01-02T00:00:00Z","id":"d1","name":"Alpha"}',
    );
    assert.match(
      payloadProblem(check, json([element, element, element])) ?? "",
      /^element \[2\] is not in the expected payload \(or appears too often\)/,
    );
  });

  await t.step("an expected list, even empty, replaces the structural check", () => {
    const check = prepareSiteCheck(site, []);
    assert.equal(payloadProblem(check, json([])), undefined);
    assert.match(payloadProblem(check, json([element])) ?? "", /^element \[0\] is not in/);
  });
});
