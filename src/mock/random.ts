/**
 * A small seeded pseudo-random generator for the emulator: its faults and synthetic data must be
 * reproducible from a seed, which `Math.random` cannot give.
 * @module
 */

/** A deterministic source of pseudo-random numbers. */
export interface Random {
  /** The next value as an unsigned 32-bit integer. */
  uint32(): number;
  /** The next value in `[0, 1)`. */
  float(): number;
  /** The next value as an integer in `[0, n)`. */
  below(n: number): number;
}

/**
 * A mulberry32 generator seeded with `seed` (taken modulo 2³²): fast, 32 bits of state, and the
 * same sequence for the same seed on every platform.
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const float = (): number => uint32() / 4294967296;
  return { uint32, float, below: (n: number): number => Math.floor(float() * n) };
}

function hex8(value: number): string {
  return value.toString(16).padStart(8, "0");
}

/** A random version-4 UUID (lower case, variant 8–b) drawn from `random`. */
export function uuid(random: Random): string {
  const a = hex8(random.uint32());
  const b = hex8(random.uint32());
  const c = hex8(random.uint32());
  const d = hex8(random.uint32());
  const variant = "89ab"[random.below(4)];
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

/** An integer in `[0, n)` from 53 random bits, for ranges too wide for {@link Random.below}. */
export function belowWide(random: Random, n: number): number {
  const bits = random.uint32() * 2 ** 21 + (random.uint32() >>> 11);
  return Math.floor((bits / 2 ** 53) * n);
}
