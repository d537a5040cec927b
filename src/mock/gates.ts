/**
 * The emulator's injected refusals that do not depend on what is asked: the seeded fail rate (500)
 * and the per-minute rate limit (429). Each gate keeps its own state, which `reset()` restarts.
 * @module
 */

import { createRandom } from "./random.ts";

/** Draws, for each request, whether it fails. */
interface FailRateGate {
  /** Whether this request gets a 500; draws from the generator only when the rate is above 0. */
  fails(): boolean;
  /** Re-seeds the generator, so the same requests get the same faults again. */
  reset(): void;
}

/** Counts requests in fixed clock minutes. */
interface RateLimitGate {
  /** Counts this request; how to refuse it when it is over the limit, else `undefined`. */
  refuse(): { retryAfterSeconds: number; note: string } | undefined;
  /** Forgets the current window. */
  reset(): void;
}

/**
 * A gate that fails requests with probability `failRate` (0–1), drawn from a generator seeded
 * with `seed`; throws a `RangeError` for a rate out of range.
 */
export function createFailRateGate(failRate: number, seed: number): FailRateGate {
  if (!(failRate >= 0 && failRate <= 1)) {
    throw new RangeError(`Invalid fail rate: expected a number from 0 to 1, got "${failRate}"`);
  }
  let random = createRandom(seed);
  return {
    fails: () => failRate > 0 && random.float() < failRate,
    reset() {
      random = createRandom(seed);
    },
  };
}

/**
 * A gate that allows `perMinute` requests in each minute of the clock `now` (10:00:00–10:00:59.999,
 * ...), or every request when it is `undefined`; throws a `RangeError` for a limit below 1.
 */
export function createRateLimitGate(
  perMinute: number | undefined,
  now: () => number,
): RateLimitGate {
  if (perMinute !== undefined && !(Number.isSafeInteger(perMinute) && perMinute >= 1)) {
    throw new RangeError(`Invalid rate limit: expected an integer >= 1, got "${perMinute}"`);
  }
  let windowStart = Number.NEGATIVE_INFINITY;
  let windowCount = 0;
  return {
    refuse() {
      if (perMinute === undefined) return undefined;
      const time = now();
      const start = Math.floor(time / 60_000) * 60_000;
      if (start !== windowStart) {
        windowStart = start;
        windowCount = 0;
      }
      windowCount++;
      if (windowCount <= perMinute) return undefined;
      return {
        retryAfterSeconds: Math.max(1, Math.ceil((start + 60_000 - time) / 1000)),
        note: `${windowCount} requests this minute, limit ${perMinute}`,
      };
    },
    reset() {
      windowStart = Number.NEGATIVE_INFINITY;
      windowCount = 0;
    },
  };
}
