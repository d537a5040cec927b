/**
 * The captures' noise: fresh in every `GET /outages` with the statistics of the captures,
 * reproducible from a seed, and the captured bytes on request.
 */

import assert from "node:assert/strict";
import type { Outage } from "../src/api_shapes.ts";
import { defaultDataset } from "../src/mock/dataset.ts";
import { CAPTURED_NOISE, createNoisyOutages } from "../src/mock/noise.ts";
import {
  api,
  bytesEqual,
  CAPTURED,
  drain,
  EXPECTED,
  get,
  OUTAGES,
  OUTAGES_BYTES,
  post,
  SITE,
} from "./mock_helpers.ts";

const DEVICES = new Set(SITE.devices.map((device) => device.id));
const REAL = OUTAGES.filter((outage) => DEVICES.has(outage.id));
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function outagesOf(response: Response): Promise<Outage[]> {
  assert.equal(response.status, 200);
  return JSON.parse(await response.text());
}

Deno.test("mock noise: the generator", async (t) => {
  await t.step("90 v4 UUIDs of no device, 2021–2022, end after begin, merged in id order", () => {
    const noisy = createNoisyOutages(CAPTURED_NOISE, { outages: REAL, excluded: DEVICES, seed: 5 });
    for (let round = 0; round < 20; round++) {
      const all = noisy.next();
      assert.equal(all.length, 108);
      const ids = all.map((outage) => outage.id);
      assert.deepEqual(ids, [...ids].sort());
      assert.deepEqual(all.filter((outage) => DEVICES.has(outage.id)), REAL, "real ones, in order");
      const noise = all.filter((outage) => !DEVICES.has(outage.id));
      assert.equal(new Set(noise.map((outage) => outage.id)).size, 90);
      for (const { id, begin, end } of noise) {
        assert.match(id, UUID_V4);
        assert.match(begin, CANONICAL);
        assert.match(end, CANONICAL);
        assert.ok(begin >= "2021-01-01T00:00:00.000Z" && begin < end, `${begin} ${end}`);
        assert.ok(end <= "2022-12-31T23:59:59.999Z", end);
      }
    }
  });

  await t.step("spread as the captures are: begins over both years, ends mostly after", () => {
    const noise = Array.from({ length: 40 }, () => 0).flatMap((_, seed) =>
      createNoisyOutages(CAPTURED_NOISE, { outages: [], excluded: DEVICES, seed }).next()
    );
    const begins2022 = noise.filter((outage) => outage.begin >= "2022").length / noise.length;
    const ends2022 = noise.filter((outage) => outage.end >= "2022").length / noise.length;
    assert.ok(begins2022 > 0.45 && begins2022 < 0.55, String(begins2022));
    // Uniform after a uniform begin: 7/8 of the ends fall in the second year.
    assert.ok(ends2022 > 0.82 && ends2022 < 0.92, String(ends2022));
  });

  await t.step("the same seed gives the same lists; reset() starts them again", () => {
    const a = createNoisyOutages(CAPTURED_NOISE, { outages: REAL, excluded: DEVICES, seed: 9 });
    const b = createNoisyOutages(CAPTURED_NOISE, { outages: REAL, excluded: DEVICES, seed: 9 });
    const first = [a.next(), a.next()];
    assert.deepEqual([b.next(), b.next()], first);
    assert.notDeepEqual(first[0], first[1]);
    a.reset();
    assert.deepEqual(a.next(), first[0]);
    assert.notDeepEqual(
      createNoisyOutages(CAPTURED_NOISE, { outages: REAL, excluded: DEVICES, seed: 10 }).next(),
      first[0],
    );
  });

  await t.step("a noise spec out of range is refused", () => {
    assert.throws(
      () =>
        createNoisyOutages({ ...CAPTURED_NOISE, count: -1 }, {
          outages: [],
          excluded: DEVICES,
          seed: 1,
        }),
      RangeError,
    );
    assert.throws(
      () =>
        createNoisyOutages({ ...CAPTURED_NOISE, until: CAPTURED_NOISE.from }, {
          outages: [],
          excluded: DEVICES,
          seed: 1,
        }),
      RangeError,
    );
  });
});

Deno.test("mock noise: through the handler", async (t) => {
  await t.step("every GET /outages has new noise and the same real outages", async () => {
    const mock = api();
    const first = await outagesOf(await mock.handle(get("/outages")));
    const second = await outagesOf(await mock.handle(get("/outages")));
    assert.notDeepEqual(first, second);
    for (const list of [first, second]) {
      assert.equal(list.length, 108);
      assert.deepEqual(list.filter((outage) => DEVICES.has(outage.id)), REAL);
    }
  });

  await t.step("the expected payload is unchanged: the captured POST is accepted", async () => {
    const response = await api().handle(post("/site-outages/norwich-pear-tree", EXPECTED));
    assert.equal(response.status, 200);
    await response.body?.cancel();
  });

  await t.step("noiseSeed makes it reproducible; reset() replays it", async () => {
    const a = api({ noiseSeed: 3 });
    const b = api({ noiseSeed: 3 });
    const first = await (await a.handle(get("/outages"))).text();
    assert.equal(await (await b.handle(get("/outages"))).text(), first);
    assert.notEqual(await (await a.handle(get("/outages"))).text(), first);
    a.reset();
    assert.equal(await (await a.handle(get("/outages"))).text(), first);
  });

  await t.step("without a seed, two emulators draw different noise", async () => {
    const a = await (await api().handle(get("/outages"))).text();
    const b = await (await api().handle(get("/outages"))).text();
    assert.notEqual(a, b);
  });

  await t.step("a truncated answer cuts fresh noise of the same length", async () => {
    const mock = api();
    mock.script("GET /outages", [{ kind: "truncate", bytes: 0 }]);
    const response = await mock.handle(get("/outages"));
    assert.equal(response.headers.get("content-length"), String(OUTAGES_BYTES.length));
    assert.equal((await drain(response)).bytes, 0);
  });

  await t.step("captured noise: the capture byte for byte, every time", async () => {
    const mock = api({ dataset: CAPTURED });
    for (let i = 0; i < 2; i++) {
      const bytes = new Uint8Array(await (await mock.handle(get("/outages"))).arrayBuffer());
      assert.ok(bytesEqual(bytes, OUTAGES_BYTES));
    }
    assert.deepEqual(defaultDataset("captured").outages, OUTAGES);
  });
});
