import assert from "node:assert/strict";
import { createHttpApi } from "../src/http/client.ts";
import { type PaceChange, Pacer } from "../src/pacer.ts";
import { Secret } from "../src/secret.ts";
import { runSync } from "../src/sync.ts";
import { parseSince } from "../src/timestamp.ts";
import { memoryLogger } from "./helpers.ts";

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

/**
 * Virtual time for a whole run: `sleep` registers a timer, and {@link VirtualTime.run} moves the
 * clock to the earliest timer only once every task is waiting, so concurrent lanes see one clock.
 */
class VirtualTime {
  now = 0;
  readonly #timers: { at: number; resolve: () => void }[] = [];
  readonly clock = {
    now: () => this.now,
    random: () => 0.5,
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        this.#timers.push({ at: this.now + Math.max(0, ms), resolve });
      }),
  };

  async run<T>(task: Promise<T>): Promise<T> {
    let done = false;
    task.then(() => done = true, () => done = true);
    for (;;) {
      // A macrotask boundary: every microtask (stream reads included) has run.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (done) return task;
      if (this.#timers.length === 0) continue;
      this.#timers.sort((a, b) => a.at - b.at);
      const at = this.#timers[0].at;
      this.now = Math.max(this.now, at);
      while (this.#timers.length > 0 && this.#timers[0].at <= at) this.#timers.shift()?.resolve();
    }
  }
}

Deno.test("a 429 window: after the first wave, at most the shrunken window reaches the API per Retry-After", async () => {
  const time = new VirtualTime();
  const WINDOW_MS = 5000;
  const limitedAt: number[] = [];
  const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });
  // Every request takes 20 ms of virtual time; the API answers 429 to all of them for 5 s.
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    await time.clock.sleep(20);
    if (time.now < WINDOW_MS) {
      limitedAt.push(time.now);
      return json({ message: "Too Many Requests" }, 429, { "retry-after": "1" });
    }
    if (url.pathname === "/outages") return json([]);
    if (init?.method === "POST") return json({});
    return json({
      id: decodeURIComponent(url.pathname.split("/").pop() ?? ""),
      name: "S",
      devices: [],
    });
  };
  const sites = Array.from({ length: 300 }, (_, i) => `site-${i}`);
  const pacer = new Pacer(20, time.clock);
  const api = createHttpApi({
    baseUrl: new URL("http://127.0.0.1:9/"),
    apiKey: new Secret("SENTINEL-pacer-key"),
    timeoutMs: 600_000,
    maxResponseBytes: 1 << 20,
    maxAttempts: 100,
    deadline: 3_600_000,
    clock: time.clock,
    logger: memoryLogger(),
    version: "test",
    fetch: fakeFetch as typeof fetch,
    pacer,
  });
  const report = await time.run(runSync({
    sites,
    since: parseSince("2022-01-01T00:00:00Z"),
    baseUrl: "http://127.0.0.1:9",
    mode: "sync",
    skipInvalid: false,
    postEmpty: true,
    concurrency: 20,
  }, { api, logger: memoryLogger(), now: time.clock.now, pacer }));
  assert.equal(report.sites.filter((site) => site.status === "posted").length, 300);
  const perSecond = [0, 1, 2, 3, 4].map((s) =>
    limitedAt.filter((at) => at >= s * 1000 && at < (s + 1) * 1000).length
  );
  assert.ok(limitedAt.length <= 40, `${limitedAt.length} answers 429 (per second: ${perSecond})`);
  for (const count of perSecond.slice(1)) {
    assert.ok(
      count <= 10,
      `after the first wave, a second drew more than half of it: ${perSecond}`,
    );
  }
});

Deno.test("Pacer.onWire: unbounded at full pace; once slowed, at most `window` attempts are out", async () => {
  const { clock } = fakeClock();
  const pacer = new Pacer(2, clock);
  const gates = Array.from({ length: 4 }, () => Promise.withResolvers<void>());
  const started: number[] = [];
  const attempt = (i: number) => pacer.onWire(() => (started.push(i), gates[i].promise));
  const full = [attempt(0), attempt(1), attempt(2)];
  await Promise.resolve();
  assert.deepEqual(started, [0, 1, 2], "at full pace the admitted sites are the only bound");
  pacer.rateLimited(0); // window 1
  const slowed = attempt(3);
  await Promise.resolve();
  assert.deepEqual(started, [0, 1, 2], "three out, window 1: the fourth waits");
  for (const i of [0, 1]) gates[i].resolve();
  await Promise.all(full.slice(0, 2));
  assert.deepEqual(started, [0, 1, 2], "still one out");
  gates[2].resolve();
  await full[2];
  await Promise.resolve();
  assert.deepEqual(started, [0, 1, 2, 3]);
  gates[3].resolve();
  await slowed;
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
