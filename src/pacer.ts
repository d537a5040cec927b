/**
 * Pacing a fleet run against a rate-limited API (docs/spec.md §7): a 429 slows the whole run, not just the
 * request that got it. The number of sites in flight follows additive increase and multiplicative
 * decrease — halved on a 429, grown by one per window of successful answers, up to
 * `--concurrency` — and a `Retry-After` holds back every lane's next request, not only the one
 * that was told.
 * @module
 */

/** Time, for the pacer: injected so that tests need no real waiting. */
export interface PacerClock {
  now(): number;
  /** Resolves after `ms`, or rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** What the pacer reports when it changes pace, for the log. */
export interface PaceChange {
  /** Sites allowed in flight now. */
  readonly window: number;
  /** Milliseconds every request now waits, at least. */
  readonly holdMs: number;
}

/** How many sites may be in flight, and from when requests may start again. */
export class Pacer {
  readonly #max: number;
  readonly #clock: PacerClock;
  readonly #onChange: ((change: PaceChange) => void) | undefined;
  #window: number;
  #active = 0;
  #notBefore = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(max: number, clock: PacerClock, onChange?: (change: PaceChange) => void) {
    this.#max = max;
    this.#window = max;
    this.#clock = clock;
    this.#onChange = onChange;
  }

  /** Sites allowed in flight now (1 to the maximum). */
  get window(): number {
    return Math.floor(this.#window);
  }

  /** Waits for a site's turn; call the returned function when the site is done. */
  async acquire(): Promise<() => void> {
    while (this.#active >= this.window) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#wake();
    };
  }

  #wake(): void {
    while (this.#waiting.length > 0 && this.#active < this.window) this.#waiting.shift()?.();
  }

  /** Milliseconds until requests may start again (0: now). */
  holdMs(): number {
    return Math.max(0, this.#notBefore - this.#clock.now());
  }

  /** Waits until requests may start again (once: a hold set meanwhile applies to the next one). */
  async beforeRequest(signal?: AbortSignal): Promise<void> {
    const wait = this.holdMs();
    if (wait > 0) await this.#clock.sleep(wait, signal);
  }

  /** A 429: halve the sites in flight, and hold every request back for `waitMs`. */
  rateLimited(waitMs: number): void {
    this.#window = Math.max(1, this.#window / 2);
    this.#notBefore = Math.max(this.#notBefore, this.#clock.now() + waitMs);
    this.#onChange?.({ window: this.window, holdMs: this.holdMs() });
  }

  /** A successful answer: one more site in flight after a window's worth of them. */
  succeeded(): void {
    if (this.#window >= this.#max) return;
    const before = this.window;
    this.#window = Math.min(this.#max, this.#window + 1 / this.#window);
    if (this.window > before) {
      this.#onChange?.({ window: this.window, holdMs: this.holdMs() });
      this.#wake();
    }
  }
}
