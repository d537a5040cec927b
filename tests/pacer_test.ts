import assert from "node:assert/strict";
import { type PaceChange, Pacer } from "../src/pacer.ts";

function fakeClock() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms: number) => void (now += ms),
    clock: {
      now: () => now,
      sleep: (ms: number) => {
        sleeps.push(ms);
        now += ms;
        return Promise.resolve();
      },
    },
  };
}

Deno.test("Pacer: at most `window` sites in flight; a release lets the next one in", async () => {
  const { clock } = fakeClock();
  const pacer = new Pacer(2, clock);
  const first = await pacer.acquire();
  await pacer.acquire();
  let third = false;
  const waiting = pacer.acquire().then((release) => {
    third = true;
    return release;
  });
  await Promise.resolve();
  assert.equal(third, false, "a third site waits while two are in flight");
  first();
  first(); // releasing twice frees one slot only
  (await waiting)();
  assert.equal(third, true);
});

Deno.test("Pacer: a 429 halves the window and holds every request back; successes grow it back", async () => {
  const { clock, sleeps } = fakeClock();
  const changes: PaceChange[] = [];
  const pacer = new Pacer(16, clock, (change) => changes.push(change));
  pacer.rateLimited(2000);
  assert.equal(pacer.window, 8);
  assert.equal(pacer.holdMs(), 2000);
  pacer.rateLimited(500); // a shorter hold never shortens the one in force
  assert.equal(pacer.window, 4);
  assert.equal(pacer.holdMs(), 2000);
  await pacer.beforeRequest();
  assert.deepEqual(sleeps, [2000]);
  assert.equal(pacer.holdMs(), 0);
  await pacer.beforeRequest();
  assert.deepEqual(sleeps, [2000], "no hold: no wait");
  for (let i = 0; i < 3; i++) pacer.succeeded();
  assert.equal(pacer.window, 4, "not yet");
  for (let i = 0; i < 2; i++) pacer.succeeded();
  assert.equal(pacer.window, 5, "one more site after about a window's worth of successes");
  for (let i = 0; i < 200; i++) pacer.succeeded();
  assert.equal(pacer.window, 16, "never above the maximum");
  assert.deepEqual(changes.slice(0, 2), [{ window: 8, holdMs: 2000 }, { window: 4, holdMs: 2000 }]);
  for (let i = 0; i < 10; i++) pacer.rateLimited(0);
  assert.equal(pacer.window, 1, "never below one site");
});

Deno.test("Pacer: a pace change is reported once per step, not on every success", () => {
  const { clock, advance } = fakeClock();
  const changes: PaceChange[] = [];
  const pacer = new Pacer(4, clock, (change) => changes.push(change));
  for (let i = 0; i < 10; i++) pacer.succeeded();
  assert.deepEqual(changes, [], "at full pace, successes change nothing");
  pacer.rateLimited(1000);
  pacer.rateLimited(1000);
  advance(400);
  for (let i = 0; i < 3; i++) pacer.succeeded();
  advance(1000);
  for (let i = 0; i < 20; i++) pacer.succeeded();
  assert.deepEqual(changes, [
    { window: 2, holdMs: 1000 },
    { window: 1, holdMs: 1000 },
    { window: 2, holdMs: 600 },
    { window: 3, holdMs: 0 },
    { window: 4, holdMs: 0 },
  ]);
});

Deno.test("Pacer: when the window grows back, a waiting site starts at once", async () => {
  const { clock } = fakeClock();
  const pacer = new Pacer(2, clock);
  pacer.rateLimited(0);
  assert.equal(pacer.window, 1);
  await pacer.acquire();
  let started = false;
  const waiting = pacer.acquire().then((release) => (started = true, release));
  await Promise.resolve();
  assert.equal(started, false, "one site in flight at a time after the 429");
  pacer.succeeded();
  assert.equal(pacer.window, 2);
  (await waiting)();
  assert.equal(started, true);
});

Deno.test("Pacer: a site released twice frees its slot once", async () => {
  const { clock } = fakeClock();
  const pacer = new Pacer(2, clock);
  const first = await pacer.acquire();
  await pacer.acquire();
  first();
  first();
  await pacer.acquire();
  let fourth = false;
  pacer.acquire().then(() => (fourth = true));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(fourth, false, "two sites in flight: the fourth waits");
});
