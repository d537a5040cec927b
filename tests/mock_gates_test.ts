/**
 * The fail-rate and rate-limit gates: through the handler, as a client sees them, and on their own
 * with a fake clock.
 */

import assert from "node:assert/strict";
import { createFailRateGate, createRateLimitGate } from "../src/mock/gates.ts";
import type { MockApi } from "../src/mock/handler.ts";
import { api, assertMessage, get, lastEntry, MESSAGE_429 } from "./mock_helpers.ts";

Deno.test("mock gates: fail rate and rate limit through the handler", async (t) => {
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
});

Deno.test("mock gates: each gate on its own", async (t) => {
  await t.step("the rate limit counts per clock minute; reset() forgets the window", () => {
    let time = Date.parse("2024-03-01T10:00:59.000Z");
    const gate = createRateLimitGate(2, () => time);
    assert.equal(gate.refuse(), undefined);
    assert.equal(gate.refuse(), undefined);
    assert.deepEqual(gate.refuse(), {
      retryAfterSeconds: 1,
      note: "3 requests this minute, limit 2",
    });
    gate.reset();
    assert.equal(gate.refuse(), undefined);
    assert.equal(gate.refuse(), undefined);
    assert.equal(gate.refuse()?.note, "3 requests this minute, limit 2");
    time = Date.parse("2024-03-01T10:01:00.000Z");
    assert.equal(gate.refuse(), undefined);
  });

  await t.step("without a limit every request passes and the clock is never read", () => {
    const gate = createRateLimitGate(undefined, () => {
      throw new Error("the clock was read");
    });
    for (let i = 0; i < 1000; i++) assert.equal(gate.refuse(), undefined);
  });

  await t.step("the fail rate draws from its seed, and reset() replays the draws", () => {
    const draws = (gate: { fails(): boolean }) => Array.from({ length: 50 }, () => gate.fails());
    const gate = createFailRateGate(0.5, 7);
    const first = draws(gate);
    assert.ok(first.includes(true) && first.includes(false));
    gate.reset();
    assert.deepEqual(draws(gate), first);
    assert.deepEqual(draws(createFailRateGate(0.5, 7)), first);
    assert.ok(draws(createFailRateGate(1, 7)).every((fails) => fails));
    assert.ok(draws(createFailRateGate(0, 7)).every((fails) => !fails));
  });

  await t.step("values out of range are refused", () => {
    for (const rate of [-0.1, 1.5, Number.NaN]) {
      assert.throws(() => createFailRateGate(rate, 1), RangeError);
    }
    for (const limit of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => createRateLimitGate(limit, Date.now), RangeError);
    }
  });
});
