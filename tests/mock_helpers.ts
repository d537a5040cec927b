/**
 * What the emulator's in-process tests share: the capture files read from disk (not through the
 * emulator's own loader), request builders for the handler, and assertions on its answers and log.
 * @module
 */

import assert from "node:assert/strict";
import type { EnhancedOutage, Outage, SiteInfo } from "../src/api_shapes.ts";
import {
  createMockApi,
  type MockApi,
  type MockApiOptions,
  type RequestLogEntry,
} from "../src/mock/handler.ts";
import { type Dataset, defaultDataset } from "../src/mock/dataset.ts";
import { createRandom } from "../src/mock/random.ts";

/** The key the test emulators expect. */
export const KEY = "test-key-5f1c";
/** The origin of every test request: never connected to, the handler has no socket. */
export const ORIGIN = "http://127.0.0.1:9";
/** The `Content-Type` of the API's JSON answers, written out independently of the emulator. */
export const JSON_TYPE = "application/json";
/** The API's 400 message, word for word. */
export const MESSAGE_400 =
  "We cannot process your request because it doesn't match the required format.";
/** The API's 403 message, word for word. */
export const MESSAGE_403 = "You do not have the required permissions to make this request.";
/** The API's 404 message, word for word. */
export const MESSAGE_404 = "You have requested a resource that does not exist.";
/** The API's 429 message, word for word. */
export const MESSAGE_429 = "You've exceeded your limit for your API key.";
const DATA = new URL("../src/mock/data/", import.meta.url);
/** The outages capture file, byte for byte. */
export const OUTAGES_BYTES: Uint8Array = await Deno.readFile(new URL("outages.json", DATA));
/** The site capture file, byte for byte. */
export const SITE_BYTES: Uint8Array = await Deno.readFile(
  new URL("site-info-norwich-pear-tree.json", DATA),
);
/** The captured expected payload for the site. */
export const EXPECTED: EnhancedOutage[] = JSON.parse(
  await Deno.readTextFile(new URL("expected-site-outages-norwich-pear-tree.json", DATA)),
);
/** The captured site. */
export const SITE: SiteInfo = JSON.parse(new TextDecoder().decode(SITE_BYTES));
/** The captured outages. */
export const OUTAGES: Outage[] = JSON.parse(new TextDecoder().decode(OUTAGES_BYTES));

/** The captures with their captured noise: `GET /outages` is the capture file byte for byte. */
export const CAPTURED: Dataset = defaultDataset("captured");

/** Whether two byte arrays are equal (without `assert.deepEqual`'s slow diff when they are not). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** An emulator expecting {@link KEY}, with `options` on top. */
export function api(options: Partial<MockApiOptions> = {}): MockApi {
  return createMockApi({ apiKey: KEY, ...options });
}

/** A request for `path` carrying `key` (none when `null`); `init` may change the method. */
export function get(path: string, init: RequestInit = {}, key: string | null = KEY): Request {
  const headers = new Headers(init.headers);
  if (key !== null) headers.set("x-api-key", key);
  return new Request(ORIGIN + path, { ...init, headers });
}

/** A POST of `body` (a string as is, anything else as JSON) with that `Content-Type` and key. */
export function post(
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

/** The parsed JSON body of an answer, after checking its `Content-Type`. */
export async function bodyOf(response: Response): Promise<unknown> {
  assert.equal(response.headers.get("content-type"), JSON_TYPE);
  return JSON.parse(await response.text());
}

/** Asserts that the answer is `status` with the API's `{"message": message}` body. */
export async function assertMessage(
  response: Response,
  status: number,
  message: string,
): Promise<void> {
  assert.equal(response.status, status);
  assert.deepEqual(await bodyOf(response), { message });
}

/** The latest request log entry, which must exist. */
export function lastEntry(mock: MockApi): RequestLogEntry {
  const entry = mock.requests().at(-1);
  assert.ok(entry !== undefined, "the request was logged");
  return entry;
}

/** Reads a body to its end or its failure: the bytes that arrived and the error, if any. */
export async function drain(response: Response): Promise<{ bytes: number; error: unknown }> {
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

/** `items` in an order drawn from `seed`. */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  const random = createRandom(seed);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** docs/spec.md §3 read literally: device in the site, `begin` instant >= the cut-off, input order. */
export function referencePayload(
  outages: readonly Outage[],
  site: SiteInfo,
  since: string,
): EnhancedOutage[] {
  const names = new Map(site.devices.map((d) => [d.id, d.name]));
  const cutOff = Temporal.Instant.from(since);
  return outages
    .filter((o) =>
      names.has(o.id) && Temporal.Instant.compare(Temporal.Instant.from(o.begin), cutOff) >= 0
    )
    .map((o) => ({ id: o.id, name: names.get(o.id) as string, begin: o.begin, end: o.end }));
}

/** A dataset without an expected list, to exercise the structural POST check. */
export const STRUCTURAL: Dataset = {
  outages: [{ id: "d1", begin: "2022-01-01T00:00:00Z", end: "2022-01-02T00:00:00Z" }],
  sites: [{
    id: "site one/é",
    name: "Site One",
    devices: [{ id: "d1", name: "Alpha" }, { id: "d2", name: "" }, { id: "d1", name: "Alias" }],
  }],
};
