/** The retry policy on a fake clock: no test waits real seconds. */

import assert from "node:assert/strict";
import fc from "fast-check";
import { ApiError, type ApiErrorKind } from "../src/errors.ts";
import {
  backoffDelay,
  BASE_DELAY_MS,
  isRetryable,
  MAX_DELAY_MS,
  MIN_DELAY_MS,
  parseRetryAfter,
  realClock,
  RETRIED_STATUSES,
  type RetryClock,
  type RetryInfo,
  type RetryOptions,
  withRetries,
} from "../src/retry_policy.ts";

const ENDPOINT = "GET /outages";
const START = Date.UTC(2024, 0, 1, 12, 0, 0);

/** A clock that never waits: sleeps are recorded and move `now` forward. */
function fakeClock(randoms: number[] = [0.5]) {
  let now = START;
  let randomCalls = 0;
  const sleeps: number[] = [];
  const clock: RetryClock = {
    now: () => now,
    random: () => randoms[Math.min(randomCalls++, randoms.length - 1)],
    sleep: (ms, signal) => {
      sleeps.push(ms);
      if (signal?.aborted) return Promise.reject(signal.reason);
      now += ms;
      return Promise.resolve();
    },
  };
  return {
    clock,
    sleeps,
    get randomCalls() {
      return randomCalls;
    },
    get now() {
      return now;
    },
  };
}

function statusError(status: number, retryAfter?: string): ApiError {
  return new ApiError(
    "http",
    ENDPOINT,
    `${ENDPOINT}: the API answered ${status}`,
    { status, retryAfter },
  );
}

/** An attempt function failing with `errors` in turn, then answering "done". */
function scripted(errors: unknown[]) {
  const calls: number[] = [];
  const attempt = (n: number): Promise<string> => {
    calls.push(n);
    const error = errors[calls.length - 1];
    return error === undefined ? Promise.resolve("done") : Promise.reject(error);
  };
  return { attempt, calls };
}

function options(clock: RetryClock, extra: Partial<RetryOptions> = {}): RetryOptions {
  return { endpoint: ENDPOINT, maxAttempts: 5, deadline: START + 600_000, clock, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new assert.AssertionError({ message: "expected a rejection" });
}

/** The ApiError a promise rejects with. */
async function apiRejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await rejection(promise);
  assert.ok(error instanceof ApiError, `expected an ApiError, got ${error}`);
  return error;
}

Deno.test("backoffDelay", async (t) => {
  await t.step("the ceiling doubles from 250 ms up to 8 s; jitter in [0, ceiling)", () => {
    const ceilings = [250, 500, 1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000];
    for (const [i, ceiling] of ceilings.entries()) {
      const n = i + 1;
      assert.equal(ceiling, Math.min(8000, 250 * 2 ** (n - 1)));
      assert.equal(backoffDelay(n, 0), 0, `attempt ${n}, random 0`);
      assert.equal(backoffDelay(n, 0.999999), ceiling - 1, `attempt ${n}, random 0.999999`);
      assert.equal(backoffDelay(n, 0.5), ceiling / 2, `attempt ${n}, random 0.5`);
    }
    assert.equal(BASE_DELAY_MS, 250);
    assert.equal(MAX_DELAY_MS, 8000);
  });

  await t.step("very many attempts stay at the cap", () => {
    assert.equal(backoffDelay(100, 0.999999), 7999);
    assert.equal(backoffDelay(5000, 0.999999), 7999);
  });

  await t.step("custom base and cap", () => {
    const shape = { baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(backoffDelay(1, 0.999999, shape), 99);
    assert.equal(backoffDelay(4, 0.999999, shape), 799);
    assert.equal(backoffDelay(5, 0.999999, shape), 999);
    assert.equal(backoffDelay(3, 0.999999, { maxDelayMs: 600 }), 599);
  });

  await t.step("property: a whole number in [0, min(8000, 250·2^(n−1)))", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, random) => {
          const delay = backoffDelay(n, random);
          const ceiling = Math.min(8000, 250 * 2 ** (n - 1));
          assert.ok(Number.isInteger(delay));
          assert.ok(delay >= 0 && delay < ceiling, `${delay} for attempt ${n}`);
        },
      ),
      { numRuns: 300, seed: 0x5eed },
    );
  });
});

Deno.test("isRetryable: docs/spec.md §7's list, and nothing that is not an ApiError", () => {
  assert.deepEqual([...RETRIED_STATUSES].sort(), [408, 429, 500, 502, 503, 504]);
  for (const status of [408, 429, 500, 502, 503, 504]) {
    assert.equal(isRetryable(statusError(status)), true, String(status));
  }
  for (const status of [400, 401, 403, 404, 409, 413, 501, 505]) {
    assert.equal(isRetryable(statusError(status)), false, String(status));
  }
  for (const kind of ["network", "timeout", "body"] as const) {
    assert.equal(isRetryable(new ApiError(kind, ENDPOINT, "x")), true, kind);
  }
  for (const kind of ["redirect", "too-large", "deadline", "interrupted"] as const) {
    assert.equal(isRetryable(new ApiError(kind, ENDPOINT, "x", { status: 503 })), false, kind);
  }
  assert.equal(isRetryable(new ApiError("http", ENDPOINT, "no status")), false);
  assert.equal(isRetryable(new TypeError("a bug")), false);
  assert.equal(isRetryable("503"), false);
});

Deno.test("parseRetryAfter", async (t) => {
  await t.step("delay-seconds", () => {
    assert.equal(parseRetryAfter("0", START), 0);
    assert.equal(parseRetryAfter("5", START), 5000);
    assert.equal(parseRetryAfter(" 7 ", START), 7000);
    assert.equal(parseRetryAfter("120", START), 120_000);
  });

  await t.step("an HTTP date, relative to now; a past date means no wait", () => {
    const now = Date.UTC(2015, 9, 21, 7, 27, 30);
    assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now), 30_000);
    assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:27:30 GMT", now), 0);
    assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), 0);
  });

  await t.step("the obsolete HTTP date forms RFC 9110 requires, read as GMT", () => {
    const now = Date.UTC(1994, 10, 6, 8, 49, 0);
    assert.equal(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now), 37_000);
    // asctime has no zone but is GMT by definition: it must not depend on the local zone.
    assert.equal(parseRetryAfter("Sun Nov  6 08:49:37 1994", now), 37_000);
  });

  await t.step("absent or unreadable: undefined", () => {
    for (const value of [null, undefined, "", " ", "soon", "1.5", "-5", "+5", "5s", "0x10"]) {
      assert.equal(parseRetryAfter(value, START), undefined, JSON.stringify(value));
    }
  });

  await t.step("garbage that merely contains a number is not a date", () => {
    const values = ["abc 5", "retry 3000", "later 1"];
    assert.deepEqual(
      Object.fromEntries(values.map((value) => [value, parseRetryAfter(value, START)])),
      Object.fromEntries(values.map((value) => [value, undefined])),
    );
  });
});

Deno.test("withRetries", async (t) => {
  await t.step("success at once: one attempt, no sleep", async () => {
    const fake = fakeClock();
    const { attempt, calls } = scripted([]);
    assert.equal(await withRetries(attempt, options(fake.clock)), "done");
    assert.deepEqual(calls, [1]);
    assert.deepEqual(fake.sleeps, []);
  });

  await t.step("success after retries, counting attempts, with backoff and jitter", async () => {
    const fake = fakeClock([0.5, 0.999999]);
    const infos: RetryInfo[] = [];
    const errors = [statusError(503), new ApiError("network", ENDPOINT, "reset")];
    const { attempt, calls } = scripted(errors);
    const result = await withRetries(
      attempt,
      options(fake.clock, { onRetry: (info) => infos.push(info) }),
    );
    assert.equal(result, "done");
    assert.deepEqual(calls, [1, 2, 3]);
    assert.deepEqual(fake.sleeps, [125, 499]);
    assert.equal(fake.now, START + 125 + 499);
    assert.deepEqual(
      infos.map((i) => [i.endpoint, i.attempt, i.delayMs, i.serverDelay, i.error]),
      [[ENDPOINT, 1, 125, false, errors[0]], [ENDPOINT, 2, 499, false, errors[1]]],
    );
  });

  const retried: [ApiErrorKind, number | undefined][] = [
    ["network", undefined],
    ["timeout", undefined],
    ["body", undefined],
    ["http", 408],
    ["http", 429],
    ["http", 500],
    ["http", 502],
    ["http", 503],
    ["http", 504],
  ];
  for (const [kind, status] of retried) {
    await t.step(`${kind}${status === undefined ? "" : ` ${status}`} is retried`, async () => {
      const fake = fakeClock();
      const { attempt, calls } = scripted([new ApiError(kind, ENDPOINT, "x", { status })]);
      assert.equal(await withRetries(attempt, options(fake.clock)), "done");
      assert.deepEqual(calls, [1, 2]);
      assert.equal(fake.sleeps.length, 1);
    });
  }

  const final: [ApiErrorKind, number | undefined][] = [
    ["http", 400],
    ["http", 403],
    ["http", 404],
    ["http", 409],
    ["http", 501],
    ["redirect", 301],
    ["too-large", undefined],
    ["deadline", undefined],
    ["interrupted", undefined],
  ];
  for (const [kind, status] of final) {
    await t.step(`${kind}${status === undefined ? "" : ` ${status}`} is not retried`, async () => {
      const fake = fakeClock();
      const error = new ApiError(kind, ENDPOINT, `${ENDPOINT}: failed`, { status });
      const { attempt, calls } = scripted([error, error]);
      const thrown = await rejection(withRetries(attempt, options(fake.clock)));
      assert.equal(thrown, error);
      assert.equal(error.message, `${ENDPOINT}: failed`);
      assert.equal(error.attempts, 1);
      assert.deepEqual(calls, [1]);
      assert.deepEqual(fake.sleeps, []);
    });
  }

  await t.step("a final error after retries says how many attempts were made", async () => {
    const fake = fakeClock();
    const last = statusError(404);
    const { attempt, calls } = scripted([statusError(500), last]);
    const thrown = await apiRejection(withRetries(attempt, options(fake.clock)));
    assert.equal(thrown.attempts, 2);
    assert.equal(thrown.message, `${ENDPOINT}: the API answered 404 (after 2 attempts)`);
    assert.equal(thrown.status, 404);
    // The attempt's own error is left as it was made: it may be shared.
    assert.equal(last.message, `${ENDPOINT}: the API answered 404`);
    assert.equal(last.attempts, 1);
    assert.deepEqual(calls, [1, 2]);
  });

  await t.step(
    "another request's error (the abort reason of a shared failure) is passed on as it is",
    async () => {
      const fake = fakeClock();
      const shared = new ApiError("http", "GET /outages", "GET /outages: the API answered 400", {
        status: 400,
      });
      const endpoint = "GET /site-info/a";
      const own = new ApiError("http", endpoint, `${endpoint}: the API answered 500`, {
        status: 500,
      });
      const { attempt, calls } = scripted([own, own, shared]);
      const thrown = await rejection(withRetries(attempt, options(fake.clock, { endpoint })));
      assert.equal(thrown, shared);
      assert.equal(shared.message, "GET /outages: the API answered 400");
      assert.equal(shared.attempts, 1);
      assert.deepEqual(calls, [1, 2, 3]);
    },
  );

  await t.step("an error that is not an ApiError is rethrown at once", async () => {
    const fake = fakeClock();
    const bug = new TypeError("a bug");
    const { attempt, calls } = scripted([bug]);
    assert.equal(await rejection(withRetries(attempt, options(fake.clock))), bug);
    assert.deepEqual(calls, [1]);
    assert.deepEqual(fake.sleeps, []);
  });

  await t.step("429 with Retry-After waits exactly the server's delay, no jitter", async () => {
    const fake = fakeClock();
    const infos: RetryInfo[] = [];
    const { attempt, calls } = scripted([statusError(429, "3"), statusError(429, "20")]);
    await withRetries(
      attempt,
      options(fake.clock, { onRetry: (info) => infos.push(info) }),
    );
    assert.deepEqual(calls, [1, 2, 3]);
    assert.deepEqual(fake.sleeps, [3000, 20_000]);
    assert.equal(fake.randomCalls, 0);
    assert.deepEqual(infos.map((i) => i.serverDelay), [true, true]);
  });

  await t.step("Retry-After as an HTTP date", async () => {
    const fake = fakeClock();
    const date = new Date(START + 4500).toUTCString(); // whole seconds: START + 4000
    const { attempt } = scripted([statusError(503, date)]);
    await withRetries(attempt, options(fake.clock));
    assert.deepEqual(fake.sleeps, [4000]);
    assert.equal(fake.randomCalls, 0);
  });

  await t.step("an unreadable Retry-After falls back to the computed backoff", async () => {
    const fake = fakeClock([0.5]);
    const { attempt } = scripted([statusError(429, "soon")]);
    await withRetries(attempt, options(fake.clock));
    assert.deepEqual(fake.sleeps, [125]);
    assert.equal(fake.randomCalls, 1);
  });

  await t.step("maxAttempts is respected: gave up after N attempts", async () => {
    const fake = fakeClock([0.5]);
    const errors = [statusError(500), statusError(500), statusError(502), statusError(500)];
    const { attempt, calls } = scripted(errors);
    const thrown = await apiRejection(
      withRetries(attempt, options(fake.clock, { maxAttempts: 3 })),
    );
    assert.equal(thrown.attempts, 3);
    assert.equal(thrown.status, 502);
    assert.equal(thrown.message, `${ENDPOINT}: the API answered 502 (gave up after 3 attempts)`);
    assert.deepEqual(calls, [1, 2, 3]);
    assert.deepEqual(fake.sleeps, [125, 250]);
  });

  await t.step("the backoff's base and cap can be set per request", async () => {
    const fake = fakeClock([0.5]);
    const { attempt } = scripted([statusError(500), statusError(500), statusError(500)]);
    await withRetries(attempt, options(fake.clock, { baseDelayMs: 100, maxDelayMs: 300 }));
    assert.deepEqual(fake.sleeps, [50, 100, 150]);
  });

  await t.step("no wait is shorter than MIN_DELAY_MS, however small the jitter", async () => {
    const fake = fakeClock([0]);
    const { attempt } = scripted([statusError(500), statusError(500)]);
    await withRetries(attempt, options(fake.clock));
    assert.deepEqual(fake.sleeps, [MIN_DELAY_MS, MIN_DELAY_MS]);
  });

  await t.step("maxAttempts 1: no retry at all", async () => {
    const fake = fakeClock();
    const error = statusError(503);
    const { attempt, calls } = scripted([error]);
    const thrown = await apiRejection(
      withRetries(attempt, options(fake.clock, { maxAttempts: 1 })),
    );
    assert.match(thrown.message, /\(not retried: --max-attempts is 1\)$/);
    assert.deepEqual(calls, [1]);
    assert.deepEqual(fake.sleeps, []);
  });

  await t.step("a server wait past the deadline fails at once, without sleeping", async () => {
    const fake = fakeClock();
    const error = statusError(429, "5");
    const { attempt, calls } = scripted([error]);
    const thrown = await apiRejection(
      withRetries(attempt, options(fake.clock, { deadline: START + 4999 })),
    );
    assert.equal(thrown.retryAfter, "5");
    assert.match(thrown.message, /deadline/);
    assert.match(thrown.message, /5\.0 s/);
    assert.match(thrown.message, /Retry-After/);
    assert.deepEqual(calls, [1]);
    assert.deepEqual(fake.sleeps, []);
  });

  await t.step("a computed wait past the deadline fails at once, without sleeping", async () => {
    const fake = fakeClock([0.5, 0.999999]);
    const errors = [statusError(500), statusError(500)];
    const { attempt, calls } = scripted(errors);
    // 125 ms fits in the 400 ms left, the next 499 ms does not.
    const thrown = await apiRejection(
      withRetries(attempt, options(fake.clock, { deadline: START + 400 })),
    );
    assert.match(thrown.message, /after 2 attempts.*deadline/);
    assert.ok(!thrown.message.includes("Retry-After"));
    assert.deepEqual(calls, [1, 2]);
    assert.deepEqual(fake.sleeps, [125]);
  });

  await t.step("a wait ending exactly at the deadline is allowed", async () => {
    const fake = fakeClock([0.5]);
    const { attempt, calls } = scripted([statusError(500)]);
    await withRetries(attempt, options(fake.clock, { deadline: START + 125 }));
    assert.deepEqual(calls, [1, 2]);
    assert.deepEqual(fake.sleeps, [125]);
  });

  await t.step("a deadline already passed: no wait at all", async () => {
    const fake = fakeClock([0]);
    const error = statusError(500);
    const { attempt } = scripted([error]);
    const thrown = await apiRejection(
      withRetries(attempt, options(fake.clock, { deadline: START - 1 })),
    );
    assert.match(thrown.message, /deadline/);
    assert.deepEqual(fake.sleeps, []);
  });

  await t.step("an abort during the sleep ends with an 'interrupted' ApiError", async () => {
    const controller = new AbortController();
    const sleeps: number[] = [];
    const clock: RetryClock = {
      now: () => START,
      random: () => 0.5,
      sleep: (ms, signal) => {
        sleeps.push(ms);
        return new Promise<void>((_resolve, reject) => {
          signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
          queueMicrotask(() => controller.abort(new Error("SIGINT received")));
        });
      },
    };
    const { attempt, calls } = scripted([statusError(503), statusError(503)]);
    const thrown = await rejection(
      withRetries(attempt, options(clock, { signal: controller.signal })),
    );
    assert.ok(thrown instanceof ApiError);
    assert.equal(thrown.kind, "interrupted");
    assert.equal(thrown.endpoint, ENDPOINT);
    assert.match(thrown.message, /interrupted/);
    assert.match(thrown.message, /SIGINT received/);
    assert.deepEqual(calls, [1]);
    assert.deepEqual(sleeps, [125]);
  });

  await t.step("a signal aborted before the retry: the attempt's error, no sleep", async () => {
    const fake = fakeClock();
    const controller = new AbortController();
    const error = statusError(503);
    const attempt = () => {
      controller.abort();
      return Promise.reject(error);
    };
    const thrown = await rejection(
      withRetries(attempt, options(fake.clock, { signal: controller.signal })),
    );
    assert.equal(thrown, error);
    assert.deepEqual(fake.sleeps, []);
  });
});

Deno.test("realClock", async (t) => {
  await t.step(
    "sleep resolves after the time asked, and a later abort changes nothing",
    async () => {
      const controller = new AbortController();
      const started = performance.now();
      assert.equal(await realClock.sleep(20, controller.signal), undefined);
      assert.ok(performance.now() - started >= 15, `${performance.now() - started} ms`);
      controller.abort(new Error("too late"));
    },
  );

  await t.step("sleep rejects with the signal's reason on abort, clearing its timer", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    const pending = realClock.sleep(60_000, controller.signal);
    controller.abort(reason);
    assert.equal(await rejection(pending), reason);
  });

  await t.step("sleep on an aborted signal rejects at once", async () => {
    const reason = new Error("already");
    assert.equal(await rejection(realClock.sleep(60_000, AbortSignal.abort(reason))), reason);
  });

  await t.step("random is in [0, 1), now is the time", () => {
    const r = realClock.random();
    assert.ok(r >= 0 && r < 1);
    assert.ok(Math.abs(realClock.now() - Date.now()) < 1000);
  });
});

Deno.test("withRetries: `Retry-After: 0` or a past date waits the computed backoff, not the floor", async () => {
  const past = new Date(START - 60_000).toUTCString();
  const fake = fakeClock([0.5, 0.75, 0.5]);
  const infos: RetryInfo[] = [];
  const errors = [statusError(429, "0"), statusError(503, past), statusError(429, " 0 ")];
  const { attempt, calls } = scripted(errors);
  await withRetries(attempt, options(fake.clock, { onRetry: (info) => infos.push(info) }));
  assert.deepEqual(calls, [1, 2, 3, 4]);
  // Full jitter over 250, 500 and 1000 ms: a server answering 0 every time still backs off.
  assert.deepEqual(fake.sleeps, [125, 375, 500]);
  assert.deepEqual(infos.map((i) => i.serverDelay), [false, false, false]);
});

Deno.test("isRetryable: an error that only looks like an ApiError is not retried", () => {
  const lookalike = Object.assign(new Error("reset"), { kind: "network", endpoint: ENDPOINT });
  assert.equal(isRetryable(lookalike), false);
  assert.equal(isRetryable({ kind: "timeout" }), false);
});

/** A network error that deserves at most `attemptLimit` attempts (TLS: 1, DNS: 2). */
function limitedError(attemptLimit: number): ApiError {
  return new ApiError("network", ENDPOINT, `${ENDPOINT}: network error: x`, { attemptLimit });
}

Deno.test("withRetries: a failure that cannot succeed again is not retried, whatever --max-attempts allows", async (t) => {
  await t.step("attempt limit 1: one attempt, and the message says why", async () => {
    const fake = fakeClock();
    const { attempt, calls } = scripted([limitedError(1), limitedError(1)]);
    const thrown = await apiRejection(withRetries(attempt, options(fake.clock)));
    assert.equal(
      thrown.message,
      `${ENDPOINT}: network error: x (not retried: it cannot succeed on another attempt)`,
    );
    assert.equal(thrown.attempts, 1);
    assert.equal(thrown.attemptLimit, 1);
    assert.deepEqual(calls, [1]);
    assert.deepEqual(fake.sleeps, []);
  });

  await t.step("attempt limit 2: retried once, then given up, saying why", async () => {
    const fake = fakeClock();
    const errors = [limitedError(2), limitedError(2), limitedError(2)];
    const { attempt, calls } = scripted(errors);
    const thrown = await apiRejection(withRetries(attempt, options(fake.clock)));
    assert.equal(
      thrown.message,
      `${ENDPOINT}: network error: x (gave up after 2 attempts: it is unlikely to succeed on another)`,
    );
    assert.equal(thrown.attempts, 2);
    assert.deepEqual(calls, [1, 2]);
    assert.deepEqual(fake.sleeps, [125]);
  });

  await t.step("attempt limit 3: the third attempt is made", async () => {
    const fake = fakeClock();
    const { attempt, calls } = scripted([limitedError(3), limitedError(3)]);
    assert.equal(await withRetries(attempt, options(fake.clock)), "done");
    assert.deepEqual(calls, [1, 2, 3]);
  });

  await t.step("the limit reached with --max-attempts: --max-attempts is the reason", async () => {
    for (
      const [limit, maxAttempts, note] of [
        [2, 2, " (gave up after 2 attempts)"],
        [1, 1, " (not retried: --max-attempts is 1)"],
        [5, 2, " (gave up after 2 attempts)"],
      ] as const
    ) {
      const fake = fakeClock();
      const { attempt } = scripted([limitedError(limit), limitedError(limit), limitedError(limit)]);
      const thrown = await apiRejection(withRetries(attempt, options(fake.clock, { maxAttempts })));
      assert.equal(
        thrown.message,
        `${ENDPOINT}: network error: x${note}`,
        `${limit}, ${maxAttempts}`,
      );
    }
  });
});

Deno.test("withRetries: the deadline messages, word for word", async () => {
  const fake = fakeClock([0.5]);
  const { attempt } = scripted([statusError(500)]);
  const thrown = await apiRejection(
    withRetries(attempt, options(fake.clock, { deadline: START + 100 })),
  );
  assert.equal(
    thrown.message,
    `${ENDPOINT}: the API answered 500 (after 1 attempt; not retried: waiting 0.1 s would pass ` +
      "the run's deadline)",
  );
  assert.equal(thrown.attempts, 1);
  const server = scripted([statusError(429, "30")]);
  const asked = await apiRejection(
    withRetries(server.attempt, options(fakeClock().clock, { deadline: START + 1000 })),
  );
  assert.equal(
    asked.message,
    `${ENDPOINT}: the API answered 429 (after 1 attempt; not retried: waiting 30.0 s as ` +
      "Retry-After asks would pass the run's deadline)",
  );
});

Deno.test("withRetries: an interrupted wait keeps what interrupted it as its cause", async () => {
  const reason = new Error("SIGTERM received");
  const clock: RetryClock = {
    now: () => START,
    random: () => 0.5,
    sleep: () => Promise.reject(reason),
  };
  const { attempt } = scripted([statusError(503)]);
  const thrown = await apiRejection(withRetries(attempt, options(clock)));
  assert.equal(thrown.kind, "interrupted");
  assert.equal(thrown.message, `${ENDPOINT}: interrupted: SIGTERM received`);
  assert.equal(thrown.cause, reason);
});

Deno.test("realClock: sleep without a signal resolves", async () => {
  assert.equal(await realClock.sleep(1), undefined);
});
