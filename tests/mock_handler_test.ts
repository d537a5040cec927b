/**
 * The emulator's pure parts, with no socket: the handler fed `Request` objects, the dataset loader
 * and the synthetic generator (checked against a straightforward reading of SPEC §3).
 */

import assert from "node:assert/strict";
import type { EnhancedOutage, Outage, SiteInfo } from "../src/types.ts";
import {
  API_PREFIX,
  createMockApi,
  type MockApi,
  type MockApiOptions,
  MockConnectionDrop,
  type RequestLogEntry,
} from "../src/mock/handler.ts";
import {
  type Dataset,
  DatasetError,
  DEFAULT_SITE_ID,
  defaultDataset,
  parseDataset,
} from "../src/mock/dataset.ts";
import {
  canonicalTimestamp,
  SYNTHETIC_SINCE,
  syntheticDataset,
  syntheticSiteId,
} from "../src/mock/synthetic.ts";
import { createRandom } from "../src/mock/random.ts";

const KEY = "test-key-5f1c";
const ORIGIN = "http://127.0.0.1:9"; // never connected to: the handler has no socket
const JSON_TYPE = "application/json; charset=utf-8";
const MESSAGE_400 = "We cannot process your request because it doesn't match the required format.";
const MESSAGE_403 = "You do not have the required permissions to make this request.";
const MESSAGE_404 = "You have requested a resource that does not exist.";
const MESSAGE_429 = "You've exceeded your limit for your API key.";
const DATA = new URL("../src/mock/data/", import.meta.url);
const OUTAGES_BYTES = await Deno.readFile(new URL("outages.json", DATA));
const SITE_BYTES = await Deno.readFile(new URL("site-info-norwich-pear-tree.json", DATA));
const EXPECTED: EnhancedOutage[] = JSON.parse(
  await Deno.readTextFile(new URL("expected-site-outages-norwich-pear-tree.json", DATA)),
);
const SITE: SiteInfo = JSON.parse(new TextDecoder().decode(SITE_BYTES));
const OUTAGES: Outage[] = JSON.parse(new TextDecoder().decode(OUTAGES_BYTES));

function api(options: Partial<MockApiOptions> = {}): MockApi {
  return createMockApi({ apiKey: KEY, ...options });
}

function get(path: string, init: RequestInit = {}, key: string | null = KEY): Request {
  const headers = new Headers(init.headers);
  if (key !== null) headers.set("x-api-key", key);
  return new Request(ORIGIN + path, { ...init, headers });
}

function post(
  path: string,
  body: unknown,
  contentType: string | null = "application/json",
  key: string | null = KEY,
): Request {
  const headers = new Headers();
  if (key !== null) headers.set("x-api-key", key);
  if (contentType !== null) headers.set("content-type", contentType);
  // A Uint8Array body leaves Content-Type unset unless we set it.
  const bytes = new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body));
  return new Request(ORIGIN + path, { method: "POST", headers, body: bytes });
}

async function bodyOf(response: Response): Promise<unknown> {
  assert.equal(response.headers.get("content-type"), JSON_TYPE);
  return JSON.parse(await response.text());
}

async function assertMessage(response: Response, status: number, message: string): Promise<void> {
  assert.equal(response.status, status);
  assert.deepEqual(await bodyOf(response), { message });
}

function lastEntry(mock: MockApi): RequestLogEntry {
  const entry = mock.requests().at(-1);
  assert.ok(entry !== undefined, "the request was logged");
  return entry;
}

/** Reads a body to its end or its failure: the bytes that arrived and the error, if any. */
async function drain(response: Response): Promise<{ bytes: number; error: unknown }> {
  assert.ok(response.body !== null);
  const reader = response.body.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes, error: undefined };
      bytes += value.length;
    }
  } catch (error) {
    return { bytes, error };
  }
}

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const random = createRandom(seed);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** The element with its keys in another order: name, end, id, begin. */
function reorderKeys(o: EnhancedOutage): Record<string, string> {
  return { name: o.name, end: o.end, id: o.id, begin: o.begin };
}

/** SPEC §3 read literally: device in the site, `begin` instant >= the cut-off, input order. */
function referencePayload(outages: readonly Outage[], site: SiteInfo, since: string) {
  const names = new Map(site.devices.map((d) => [d.id, d.name]));
  const cutOff = Temporal.Instant.from(since);
  return outages
    .filter((o) =>
      names.has(o.id) && Temporal.Instant.compare(Temporal.Instant.from(o.begin), cutOff) >= 0
    )
    .map((o) => ({ id: o.id, name: names.get(o.id) as string, begin: o.begin, end: o.end }));
}

/** A dataset without an expected list, to exercise the structural POST check. */
const STRUCTURAL: Dataset = {
  outages: [{ id: "d1", begin: "2022-01-01T00:00:00Z", end: "2022-01-02T00:00:00Z" }],
  sites: [{
    id: "site one/é",
    name: "Site One",
    devices: [{ id: "d1", name: "Alpha" }, { id: "d2", name: "" }, { id: "d1", name: "Alias" }],
  }],
};
const STRUCTURAL_PATH = `/site-outages/${encodeURIComponent("site one/é")}`;

Deno.test("mock handler: endpoints, keys and paths", async (t) => {
  const mock = api();

  for (const prefix of ["", API_PREFIX]) {
    await t.step(`GET ${prefix}/outages answers the capture byte for byte`, async () => {
      const response = await mock.handle(get(`${prefix}/outages`));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), JSON_TYPE);
      assert.deepEqual(new Uint8Array(await response.arrayBuffer()), OUTAGES_BYTES);
    });

    await t.step(`GET ${prefix}/site-info/norwich-pear-tree answers the capture`, async () => {
      const response = await mock.handle(get(`${prefix}/site-info/norwich-pear-tree`));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), JSON_TYPE);
      assert.deepEqual(new Uint8Array(await response.arrayBuffer()), SITE_BYTES);
    });

    await t.step(`POST ${prefix}/site-outages accepts the real expected payload`, async () => {
      const response = await mock.handle(
        post(`${prefix}/site-outages/norwich-pear-tree`, EXPECTED),
      );
      assert.equal(response.status, 200);
      assert.deepEqual(await bodyOf(response), {});
    });
  }

  await t.step("a GET body is served again identically (the buffer is not consumed)", async () => {
    for (let i = 0; i < 2; i++) {
      const response = await mock.handle(get("/outages"));
      assert.equal((await response.arrayBuffer()).byteLength, OUTAGES_BYTES.length);
    }
  });

  await t.step("a missing or wrong key gets 403 on every route, before a 404", async () => {
    const requests = [
      get("/outages", {}, null),
      get("/outages", {}, "wrong"),
      get("/outages", {}, ""),
      get(`${API_PREFIX}/site-info/norwich-pear-tree`, {}, "wrong"),
      get("/site-info/no-such-site", {}, null),
      get("/no/such/path", {}, "wrong"),
      post("/site-outages/norwich-pear-tree", EXPECTED, "application/json", null),
      post("/site-outages/norwich-pear-tree", EXPECTED, "application/json", KEY.toUpperCase()),
    ];
    for (const request of requests) {
      await assertMessage(await mock.handle(request), 403, MESSAGE_403);
      assert.equal(lastEntry(mock).status, 403);
    }
  });

  await t.step("unknown sites and paths get 404", async () => {
    const paths = [
      "/site-info/no-such-site",
      "/site-info/Norwich-Pear-Tree",
      "/site-info/",
      "/site-info/norwich-pear-tree/devices",
      "/outages/",
      "/",
      "/interview-tests-mock-api/v2/outages",
      `${API_PREFIX}`,
      "/site-info/%E0%A4%A", // not valid percent-encoding
      "/__mock/nothing",
    ];
    for (const path of paths) {
      await assertMessage(await mock.handle(get(path)), 404, MESSAGE_404);
    }
    await assertMessage(
      await mock.handle(post("/site-outages/no-such-site", [])),
      404,
      MESSAGE_404,
    );
    assert.equal(lastEntry(mock).note, 'unknown site "no-such-site"');
  });

  await t.step("a wrong method on an endpoint gets 405 with Allow", async () => {
    const cases: [Request, string][] = [
      [get("/outages", { method: "POST", body: "[]" }), "GET"],
      [get("/outages", { method: "DELETE" }), "GET"],
      [get(`${API_PREFIX}/site-info/norwich-pear-tree`, { method: "PUT", body: "{}" }), "GET"],
      [get("/site-outages/norwich-pear-tree"), "POST"],
    ];
    for (const [request, allow] of cases) {
      const response = await mock.handle(request);
      await assertMessage(response, 405, "The method is not allowed for the requested resource.");
      assert.equal(response.headers.get("allow"), allow);
    }
  });

  await t.step("site ids are URL-decoded", async () => {
    const custom = api({ dataset: STRUCTURAL });
    const response = await custom.handle(get(`/site-info/${encodeURIComponent("site one/é")}`));
    assert.equal(response.status, 200);
    assert.equal((await bodyOf(response) as SiteInfo).name, "Site One");
  });

  await t.step("the log records every request without the key", () => {
    const log = mock.requests();
    assert.ok(log.length > 20);
    const serialised = JSON.stringify(log);
    assert.ok(!serialised.includes(KEY), "the key never appears in the log");
    assert.ok(log.some((e) => !e.keyPresent) && log.some((e) => e.keyPresent));
    for (const entry of log) {
      assert.ok(!Number.isNaN(Date.parse(entry.time)));
      assert.ok(entry.status === null || typeof entry.status === "number");
    }
    const posted = log.find((e) => e.method === "POST" && e.status === 200);
    assert.deepEqual(posted?.body, EXPECTED);
  });
});

Deno.test("mock handler: POST /site-outages validation", async (t) => {
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

Deno.test("mock handler: fail rate, latency and rate limit", async (t) => {
  async function statuses(mock: MockApi, count: number): Promise<number[]> {
    const result: number[] = [];
    for (let i = 0; i < count; i++) {
      const response = await mock.handle(get("/outages"));
      await response.body?.cancel();
      result.push(response.status);
    }
    return result;
  }

  await t.step("the fail rate is reproducible from the seed", async () => {
    const first = await statuses(api({ failRate: 0.3, seed: 42 }), 300);
    const again = await statuses(api({ failRate: 0.3, seed: 42 }), 300);
    const other = await statuses(api({ failRate: 0.3, seed: 43 }), 300);
    assert.deepEqual(again, first);
    assert.notDeepEqual(other, first);
    const failures = first.filter((s) => s === 500).length;
    assert.ok(failures > 60 && failures < 120, `${failures} failures of 300 at P = 0.3`);
    assert.ok(first.every((s) => s === 200 || s === 500));
  });

  await t.step("reset() replays the same faults", async () => {
    const mock = api({ failRate: 0.5, seed: 7 });
    const first = await statuses(mock, 50);
    mock.reset();
    assert.deepEqual(await statuses(mock, 50), first);
  });

  await t.step("a fail-rate 500 carries a message and is logged as a fault", async () => {
    const mock = api({ failRate: 1 });
    await assertMessage(await mock.handle(get("/outages")), 500, "Internal server error");
    assert.equal(lastEntry(mock).fault, "fail-rate");
    assert.deepEqual(await statuses(api({ failRate: 0 }), 50), new Array(50).fill(200));
  });

  await t.step("latency waits before every answer, through the injected sleep", async () => {
    const waits: number[] = [];
    const mock = api({
      latencyMs: 250,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    assert.equal((await mock.handle(get("/outages"))).status, 200);
    assert.equal((await mock.handle(get("/outages", {}, null))).status, 403);
    assert.deepEqual(waits, [250, 250]);
  });

  await t.step("the rate limit uses fixed clock minutes and sends Retry-After", async () => {
    let time = Date.parse("2024-03-01T10:00:15.000Z");
    const mock = api({ rateLimitPerMinute: 3, now: () => time });
    assert.deepEqual(await statuses(mock, 3), [200, 200, 200]);
    // Requests with a wrong key are refused before they count.
    assert.equal((await mock.handle(get("/outages", {}, "wrong"))).status, 403);
    let response = await mock.handle(get("/outages"));
    await assertMessage(response, 429, MESSAGE_429);
    assert.equal(response.headers.get("retry-after"), "45");
    assert.equal(lastEntry(mock).fault, "rate-limit");
    time = Date.parse("2024-03-01T10:00:59.500Z");
    response = await mock.handle(get("/site-info/norwich-pear-tree"));
    assert.equal(response.status, 429);
    assert.equal(response.headers.get("retry-after"), "1");
    await response.body?.cancel();
    time = Date.parse("2024-03-01T10:01:00.000Z");
    assert.deepEqual(await statuses(mock, 4), [200, 200, 200, 429]);
    assert.equal(lastEntry(mock).time, "2024-03-01T10:01:00.000Z");
  });

  await t.step("options out of range are refused", () => {
    assert.throws(() => api({ failRate: 1.5 }), RangeError);
    assert.throws(() => api({ latencyMs: -1 }), RangeError);
    assert.throws(() => api({ rateLimitPerMinute: 0 }), RangeError);
    assert.throws(() => api({ apiKey: "" }), TypeError);
  });
});

Deno.test("mock handler: scripted responses", async (t) => {
  await t.step("statuses are consumed in order, then normal answers resume", async () => {
    const mock = api();
    mock.script("GET /outages", [500, 503, {
      kind: "status",
      status: 429,
      headers: { "retry-after": "2" },
    }]);
    await assertMessage(await mock.handle(get("/outages")), 500, "Internal server error");
    await assertMessage(
      await mock.handle(get(`${API_PREFIX}/outages`)),
      503,
      "Scripted status 503.",
    );
    const limited = await mock.handle(get("/outages"));
    await assertMessage(limited, 429, MESSAGE_429);
    assert.equal(limited.headers.get("retry-after"), "2");
    // The site-info route has no script of its own.
    assert.equal((await mock.handle(get("/site-info/norwich-pear-tree"))).status, 200);
    assert.equal((await mock.handle(get("/outages"))).status, 200);
    assert.deepEqual(mock.requests().map((e) => e.fault), [
      "script:status",
      "script:status",
      "script:status",
      undefined,
      undefined,
    ]);
  });

  await t.step(
    "a scripted body is sent as is (string) or as JSON, with extra headers",
    async () => {
      const mock = api();
      mock.script("GET /site-info", [
        { kind: "status", status: 200, body: '{"id":"x"', headers: { "x-test": "1" } },
        {
          kind: "status",
          status: 502,
          body: "<html>Bad gateway</html>",
          headers: { "content-type": "text/html" },
        },
        { kind: "status", status: 200, body: { id: "other", name: "Other", devices: [] } },
        { kind: "status", status: 204 },
      ]);
      let response = await mock.handle(get("/site-info/anything"));
      assert.equal(await response.text(), '{"id":"x"');
      assert.equal(response.headers.get("x-test"), "1");
      response = await mock.handle(get("/site-info/anything"));
      assert.equal(response.status, 502);
      assert.equal(response.headers.get("content-type"), "text/html");
      assert.equal(await response.text(), "<html>Bad gateway</html>");
      response = await mock.handle(get("/site-info/anything"));
      assert.deepEqual(await bodyOf(response), { id: "other", name: "Other", devices: [] });
      response = await mock.handle(get("/site-info/anything"));
      assert.equal(response.status, 204);
      assert.equal(response.body, null);
    },
  );

  await t.step('scripts apply whatever the key; "normal" still checks it', async () => {
    const mock = api();
    mock.script("POST /site-outages", [200, "normal"]);
    let response = await mock.handle(post("/site-outages/norwich-pear-tree", [], undefined, null));
    assert.equal(response.status, 200);
    await response.body?.cancel();
    response = await mock.handle(
      post("/site-outages/norwich-pear-tree", EXPECTED, undefined, null),
    );
    await assertMessage(response, 403, MESSAGE_403);
    assert.equal(lastEntry(mock).fault, "script:normal");
  });

  await t.step("a delay waits through the injected sleep, then answers", async () => {
    const waits: number[] = [];
    const mock = api({
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    mock.script("GET /outages", [{ kind: "normal", delayMs: 1500 }, {
      kind: "status",
      status: 500,
      delayMs: 20,
    }]);
    assert.equal((await mock.handle(get("/outages"))).status, 200);
    assert.equal((await mock.handle(get("/outages"))).status, 500);
    assert.deepEqual(waits, [1500, 20]);
  });

  await t.step("a delay ends when the client aborts, leaving no timer", async () => {
    const mock = api();
    mock.script("GET /outages", [{ kind: "status", status: 200, delayMs: 60_000 }]);
    const controller = new AbortController();
    const answer = mock.handle(get("/outages", { signal: controller.signal }));
    setTimeout(() => controller.abort(), 5);
    const response = await answer;
    assert.ok((await drain(response)).error instanceof MockConnectionDrop);
    const entry = lastEntry(mock);
    assert.equal(entry.status, null);
    assert.equal(entry.note, "the client went away during the scripted delay");
  });

  await t.step("reset: the body fails at once", async () => {
    const mock = api();
    mock.script("GET /outages", ["reset"]);
    const response = await mock.handle(get("/outages"));
    const { bytes, error } = await drain(response);
    assert.equal(bytes, 0);
    assert.ok(error instanceof MockConnectionDrop);
    const entry = lastEntry(mock);
    assert.equal(entry.status, null);
    assert.equal(entry.fault, "script:reset");
  });

  await t.step("truncate: the full Content-Length, half the body, then a failure", async () => {
    const mock = api();
    mock.script("GET /outages", ["truncate", { kind: "truncate", body: "[1,2,3]", bytes: 2 }]);
    let response = await mock.handle(get("/outages"));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-length"), String(OUTAGES_BYTES.length));
    let result = await drain(response);
    assert.equal(result.bytes, Math.floor(OUTAGES_BYTES.length / 2));
    assert.ok(result.error instanceof MockConnectionDrop);
    response = await mock.handle(get("/outages"));
    assert.equal(response.headers.get("content-length"), "7");
    result = await drain(response);
    assert.equal(result.bytes, 2);
    assert.ok(result.error instanceof MockConnectionDrop);
    assert.equal(lastEntry(mock).status, 200);
    assert.equal(lastEntry(mock).fault, "script:truncate");
  });

  await t.step("malformed: 200 JSON that does not parse", async () => {
    const mock = api();
    mock.script("GET /site-info", ["malformed", { kind: "malformed", body: "{" }]);
    let response = await mock.handle(get("/site-info/norwich-pear-tree"));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), JSON_TYPE);
    const text = await response.text();
    assert.equal(text, '[{"id":');
    assert.throws(() => JSON.parse(text), SyntaxError);
    response = await mock.handle(get("/site-info/norwich-pear-tree"));
    assert.equal(await response.text(), "{");
  });

  await t.step("redirect: a 3xx to another origin", async () => {
    const mock = api();
    mock.script("POST /site-outages", [
      { kind: "redirect", location: "https://attacker.example/steal" },
      { kind: "redirect", location: "http://127.0.0.2:8080/x", status: 308 },
    ]);
    let response = await mock.handle(post("/site-outages/norwich-pear-tree", EXPECTED));
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "https://attacker.example/steal");
    response = await mock.handle(post("/site-outages/norwich-pear-tree", EXPECTED));
    assert.equal(response.status, 308);
    assert.equal(lastEntry(mock).status, 308);
    assert.deepEqual(lastEntry(mock).body, EXPECTED);
  });

  await t.step("hang: no answer until the client aborts", async () => {
    const mock = api();
    mock.script("GET /outages", ["hang"]);
    const controller = new AbortController();
    let settled = false;
    const answer = mock.handle(get("/outages", { signal: controller.signal })).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(settled, false);
    assert.equal(lastEntry(mock).status, null);
    controller.abort();
    const response = await answer;
    assert.ok((await drain(response)).error instanceof MockConnectionDrop);
    assert.equal(lastEntry(mock).note, "the client went away while the request hung");
  });

  await t.step("hang: close() ends it, and later requests are dropped", async () => {
    const mock = api();
    mock.script("GET /site-info", ["hang"]);
    const answer = mock.handle(get("/site-info/norwich-pear-tree"));
    mock.close();
    assert.ok((await drain(await answer)).error instanceof MockConnectionDrop);
    assert.equal(lastEntry(mock).note, "the emulator closed while the request hung");
    const late = await mock.handle(get("/outages"));
    assert.ok((await drain(late)).error instanceof MockConnectionDrop);
    assert.equal(lastEntry(mock).status, null);
  });

  await t.step("bad scripts are refused with a message naming the entry", () => {
    const mock = api();
    assert.throws(() => mock.script("GET /outages", [99]), /\[0\]: status must be an integer/);
    assert.throws(
      () => mock.script("GET /outages", ["normal", { kind: "redirect", location: "/relative" }]),
      /\[1\]: "location" must be an absolute URL/,
    );
    assert.throws(
      () => mock.script("GET /outages", [{ kind: "normal", delayMs: -5 }]),
      /"delayMs" must be a number >= 0/,
    );
    assert.throws(
      // @ts-expect-error: an unknown route, as a JavaScript caller could pass
      () => mock.script("GET /site-outages", [200]),
      /Invalid route/,
    );
    assert.throws(
      // @ts-expect-error: an unknown kind
      () => mock.script("GET /outages", ["explode"]),
      /unknown kind "explode"/,
    );
  });
});

Deno.test("mock handler: the request log and its control routes", async (t) => {
  const time = Date.parse("2024-05-06T07:08:09.010Z");
  const mock = api({ now: () => time });
  mock.script("GET /outages", [500]);

  await t.step("GET /__mock/requests returns the log without needing the key", async () => {
    await (await mock.handle(get("/outages?x=1"))).body?.cancel();
    await (await mock.handle(post("/site-outages/norwich-pear-tree", [], "application/json"))).body
      ?.cancel();
    const response = await mock.handle(new Request(`${ORIGIN}/__mock/requests`));
    assert.equal(response.status, 200);
    const log = await bodyOf(response) as RequestLogEntry[];
    assert.deepEqual(log, [
      {
        method: "GET",
        path: "/outages?x=1",
        status: 500,
        time: "2024-05-06T07:08:09.010Z",
        keyPresent: true,
        fault: "script:status",
      },
      {
        method: "POST",
        path: "/site-outages/norwich-pear-tree",
        status: 400,
        time: "2024-05-06T07:08:09.010Z",
        keyPresent: true,
        body: [],
        note: "10 expected element(s) missing, e.g. " +
          '{"begin":"2022-02-15T11:28:26.735Z","end":"2022-08-28T03:37:48.568Z",' +
          '"id":"0e4d59ba-43c7-4451-a8ac-ca628bcde417","name":"Battery 6"}',
      },
    ]);
    assert.deepEqual(mock.requests(), log);
  });

  await t.step("requests() returns copies", () => {
    const copy = mock.requests();
    copy[0].status = 999;
    assert.equal(mock.requests()[0].status, 500);
  });

  await t.step("POST /__mock/reset clears the log and the scripts", async () => {
    mock.script("GET /outages", [500]);
    const response = await mock.handle(new Request(`${ORIGIN}/__mock/reset`, { method: "POST" }));
    assert.deepEqual(await bodyOf(response), {});
    assert.deepEqual(mock.requests(), []);
    assert.equal((await mock.handle(get("/outages"))).status, 200);
  });

  await t.step("control routes refuse other methods", async () => {
    const a = await mock.handle(new Request(`${ORIGIN}/__mock/reset`));
    assert.equal(a.status, 405);
    await a.body?.cancel();
    const b = await mock.handle(new Request(`${ORIGIN}/__mock/requests`, { method: "DELETE" }));
    assert.equal(b.status, 405);
    await b.body?.cancel();
    assert.equal(mock.requests().length, 1, "control requests are not logged");
  });
});

Deno.test("mock dataset: the embedded captures and --data files", async (t) => {
  await t.step("the default dataset serialises to the capture files byte for byte", () => {
    const dataset = defaultDataset();
    const encoder = new TextEncoder();
    assert.deepEqual(encoder.encode(JSON.stringify(dataset.outages)), OUTAGES_BYTES);
    assert.equal(dataset.sites.length, 1);
    assert.deepEqual(encoder.encode(JSON.stringify(dataset.sites[0])), SITE_BYTES);
    assert.deepEqual(dataset.expected?.[DEFAULT_SITE_ID], EXPECTED);
  });

  await t.step("the reference rule reproduces the captured expected payload", () => {
    assert.deepEqual(referencePayload(OUTAGES, SITE, "2022-01-01T00:00:00.000Z"), EXPECTED);
  });

  await t.step("a valid file loads and is served", async () => {
    const text = JSON.stringify({
      outages: [{
        id: "d1",
        begin: "2022-03-01T00:00:00+01:00",
        end: "2022-03-02T00:00:00Z",
        x: 1,
      }],
      sites: [{ id: "s", name: "S", devices: [{ id: "d1", name: "One" }] }],
      expected: {
        s: [{
          id: "d1",
          name: "One",
          begin: "2022-03-01T00:00:00+01:00",
          end: "2022-03-02T00:00:00Z",
        }],
      },
    });
    const dataset = parseDataset(text, "data.json");
    const mock = api({ dataset });
    assert.equal(
      await (await mock.handle(get("/outages"))).text(),
      JSON.stringify(dataset.outages),
    );
    const response = await mock.handle(post("/site-outages/s", dataset.expected?.s));
    assert.equal(response.status, 200);
    await response.body?.cancel();
    const refused = await mock.handle(post("/site-outages/s", []));
    assert.equal(refused.status, 400);
    await refused.body?.cancel();
  });

  const site = (devices: unknown) => ({ id: "s", name: "S", devices });
  const cases: [string, unknown, string][] = [
    ["an array", [], 'data.json: expected an object with "outages" and "sites", got an array'],
    ["no outages", { sites: [] }, "data.json: outages: missing"],
    ["no sites", { outages: [] }, "data.json: sites: missing"],
    [
      "an unknown key",
      { outages: [], sites: [], expect: {} },
      'data.json: unknown key "expect" (expected "outages", "sites" and "expected")',
    ],
    [
      "outages not an array",
      { outages: {}, sites: [] },
      "data.json: outages: expected an array, got an object",
    ],
    [
      "an outage not an object",
      { outages: [5], sites: [] },
      "data.json: outages[0]: expected an object, got number 5",
    ],
    [
      "an outage id not a string",
      {
        outages: [{ id: 1, begin: "2022-01-01T00:00:00Z", end: "2022-01-01T00:00:00Z" }],
        sites: [],
      },
      "data.json: outages[0].id: expected a string, got number 1",
    ],
    [
      "a begin without offset",
      {
        outages: [
          { id: "a", begin: "2022-01-01T00:00:00Z", end: "2022-01-01T00:00:00Z" },
          { id: "b", begin: "2022-06-01T00:00:00", end: "2022-07-01T00:00:00Z" },
        ],
        sites: [],
      },
      'data.json: outages[1].begin: not an RFC 3339 timestamp with offset: "2022-06-01T00:00:00"',
    ],
    [
      "an end out of range",
      {
        outages: [{ id: "a", begin: "2022-01-01T00:00:00Z", end: "2022-13-01T00:00:00Z" }],
        sites: [],
      },
      'data.json: outages[0].end: month out of range: "2022-13-01T00:00:00Z"',
    ],
    [
      "a missing end",
      { outages: [{ id: "a", begin: "2022-01-01T00:00:00Z" }], sites: [] },
      "data.json: outages[0].end: missing",
    ],
    [
      "a device name not a string",
      {
        outages: [],
        sites: [site([]), { ...site([]), id: "t" }, {
          ...site([{ id: "d", name: 7 }]),
          id: "u",
        }],
      },
      "data.json: sites[2].devices[0].name: expected a string, got number 7",
    ],
    [
      "devices missing",
      { outages: [], sites: [{ id: "s", name: "S" }] },
      "data.json: sites[0].devices: missing",
    ],
    [
      "a site name null",
      { outages: [], sites: [{ id: "s", name: null, devices: [] }] },
      "data.json: sites[0].name: expected a string, got null",
    ],
    [
      "a duplicate site",
      { outages: [], sites: [site([]), site([])] },
      'data.json: sites[1].id: duplicate site id "s"',
    ],
    [
      "expected for an unknown site",
      { outages: [], sites: [site([])], expected: { other: [] } },
      'data.json: expected["other"]: no site in "sites" has this id',
    ],
    [
      "expected not an object",
      { outages: [], sites: [site([])], expected: [] },
      "data.json: expected: expected an object, got an array",
    ],
    [
      "an expected element with an extra key",
      {
        outages: [],
        sites: [site([])],
        expected: {
          s: [{
            id: "d",
            name: "D",
            begin: "2022-01-01T00:00:00Z",
            end: "2022-01-01T00:00:00Z",
            x: 1,
          }],
        },
      },
      'data.json: expected["s"][0]: unexpected key "x" (expected id, name, begin, end)',
    ],
    [
      "an expected element with a bad begin",
      {
        outages: [],
        sites: [site([])],
        expected: { s: [{ id: "d", name: "D", begin: "yesterday", end: "2022-01-01T00:00:00Z" }] },
      },
      'data.json: expected["s"][0].begin: not an RFC 3339 timestamp with offset: "yesterday"',
    ],
  ];
  for (const [what, value, message] of cases) {
    await t.step(`a file with ${what} is refused`, () => {
      assert.throws(() => parseDataset(JSON.stringify(value), "data.json"), (error) => {
        assert.ok(error instanceof DatasetError);
        assert.equal(error.message, message);
        return true;
      });
    });
  }

  await t.step("a file that is not JSON is refused naming the file", () => {
    assert.throws(
      () => parseDataset("{outages: []}", "dir/my data.json"),
      (error) =>
        error instanceof DatasetError &&
        error.message.startsWith("dir/my data.json: not valid JSON ("),
    );
  });

  await t.step("prototype keys are ordinary site ids", () => {
    const text =
      '{"outages":[],"sites":[{"id":"__proto__","name":"P","devices":[]}],"expected":{"__proto__":[]}}';
    const dataset = parseDataset(text, "data.json");
    assert.deepEqual(Object.keys(dataset.expected ?? {}), ["__proto__"]);
  });
});

Deno.test("mock synthetic: generated datasets", async (t) => {
  const canonical = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

  await t.step("the same options give the same dataset; another seed another one", () => {
    const a = syntheticDataset({ outages: 5000, seed: 11 });
    const b = syntheticDataset({ outages: 5000, seed: 11 });
    const c = syntheticDataset({ outages: 5000, seed: 12 });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.notEqual(JSON.stringify(a.outages), JSON.stringify(c.outages));
  });

  await t.step("its shape: sizes, ids, canonical timestamps", () => {
    const dataset = syntheticDataset({ outages: 20_000, seed: 3, devicesPerSite: 50 });
    assert.equal(dataset.outages.length, 20_000);
    assert.deepEqual(dataset.sites.map((s) => s.id), ["synthetic-site-1"]);
    assert.equal(dataset.sites[0].devices.length, 50);
    assert.equal(new Set(dataset.sites[0].devices.map((d) => d.id)).size, 50);
    for (const outage of dataset.outages) {
      assert.ok(canonical.test(outage.begin) && canonical.test(outage.end), outage.begin);
      assert.ok(outage.end > outage.begin);
    }
  });

  await t.step("about 10% of outages are the site's, about half of those kept", () => {
    const dataset = syntheticDataset({ outages: 20_000, seed: 5 });
    const ids = new Set(dataset.sites[0].devices.map((d) => d.id));
    const ofSite = dataset.outages.filter((o) => ids.has(o.id));
    assert.ok(ofSite.length > 1600 && ofSite.length < 2400, `${ofSite.length} of 20000`);
    const kept = dataset.expected?.[syntheticSiteId(1)] ?? [];
    assert.ok(kept.length > ofSite.length * 0.4 && kept.length < ofSite.length * 0.6);
    assert.ok(ofSite.some((o) => o.begin === SYNTHETIC_SINCE), "one begins at the cut-off");
    assert.ok(ofSite.some((o) => o.begin === "2021-12-31T23:59:59.999Z"), "one 1 ms before");
  });

  for (
    const options of [{ outages: 20_000, seed: 9 }, {
      outages: 30_000,
      seed: 10,
      sites: 3,
      devicesPerSite: 20,
    }]
  ) {
    await t.step(`the expected payloads follow SPEC §3 (${JSON.stringify(options)})`, () => {
      const dataset = syntheticDataset(options);
      assert.deepEqual(
        dataset.sites.map((s) => s.id),
        Array.from({ length: options.sites ?? 1 }, (_, i) => `synthetic-site-${i + 1}`),
      );
      for (const site of dataset.sites) {
        const expected = dataset.expected?.[site.id];
        assert.ok(expected !== undefined && expected.length > 0);
        assert.deepEqual(expected, referencePayload(dataset.outages, site, SYNTHETIC_SINCE));
      }
    });
  }

  await t.step("tiny and empty datasets", () => {
    const empty = syntheticDataset({ outages: 0 });
    assert.deepEqual(empty.outages, []);
    assert.deepEqual(empty.expected, { "synthetic-site-1": [] });
    assert.throws(() => syntheticDataset({ outages: -1 }), RangeError);
    assert.throws(() => syntheticDataset({ outages: 10, sites: 0 }), RangeError);
  });

  await t.step("the emulator accepts the generated expected payload", async () => {
    const dataset = syntheticDataset({ outages: 10_000, seed: 2, sites: 2 });
    const mock = api({ dataset });
    for (const site of dataset.sites) {
      const payload = shuffle(dataset.expected?.[site.id] ?? [], 1);
      const response = await mock.handle(post(`/site-outages/${site.id}`, payload));
      assert.equal(response.status, 200, lastEntry(mock).note);
      await response.body?.cancel();
    }
    const response = await mock.handle(get("/outages"));
    assert.deepEqual(JSON.parse(await response.text()), dataset.outages);
  });

  await t.step("canonicalTimestamp agrees with Date.prototype.toISOString", () => {
    const random = createRandom(99);
    const samples = [
      0,
      -1,
      86_399_999,
      Date.parse("2000-02-29T23:59:59.999Z"),
      Date.parse("9999-12-31T23:59:59.999Z"),
    ];
    for (let i = 0; i < 20_000; i++) samples.push(Math.floor((random.float() - 0.3) * 4e12));
    for (const ms of samples) {
      assert.equal(canonicalTimestamp(ms), new Date(ms).toISOString(), String(ms));
    }
    assert.throws(() => canonicalTimestamp(Date.parse("+010000-01-01T00:00:00Z")), RangeError);
  });

  await t.step("a million outages generate and serialise in seconds", () => {
    const start = performance.now();
    const dataset = syntheticDataset({ outages: 1_000_000, seed: 1 });
    const bytes = JSON.stringify(dataset.outages).length;
    const seconds = (performance.now() - start) / 1000;
    assert.equal(dataset.outages.length, 1_000_000);
    assert.ok(bytes > 100e6 && bytes < 125e6, `${bytes} bytes`);
    const kept = dataset.expected?.[syntheticSiteId(1)]?.length ?? 0;
    assert.ok(kept > 45_000 && kept < 55_000, `${kept} kept`);
    // Measured at about 1.5 s; the bound leaves room for slow CI machines.
    assert.ok(seconds < 15, `${seconds.toFixed(1)} s`);
  });
});
