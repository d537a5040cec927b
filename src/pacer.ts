/**
 * Pacing a fleet run against a rate-limited API (docs/spec.md §7): a 429 slows the whole run, not just the
 * request that got it. The number of sites in flight follows additive increase and multiplicative
 * decrease — halved on a 429, grown by one per window of successful answers, up to
 * `--concurrency` — and a `Retry-After` holds back every lane's next request, not only the one
 * that was told.
 *
 * The window bounds two things: the sites admitted ({@link Pacer.acquire}) and, once the run is
 * slowed, the requests on the wire ({@link Pacer.onWire}). The second matters because sites
 * admitted before a 429 stay admitted: without it every one of them would send its retry when the
 * hold ends, and a window of 20 halved to 1 would still draw 20 answers 429 a `Retry-After`.
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
  /** Requests sent (or about to be, past their hold) and not yet answered. */
  #sending = 0;
  readonly #waitingToSend: (() => void)[] = [];

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
    while (this.#waitingToSend.length > 0 && this.#mayAlsoSend()) {
      this.#sending++;
      this.#waitingToSend.shift()?.();
    }
  }

  /**
   * Whether one more request may go on the wire: always at full pace (the admitted sites bound
   * them, and `GET /outages`, admitted by none, never waits behind a site), else while fewer than
   * the window's requests are out.
   */
  #mayAlsoSend(): boolean {
    return this.#window >= this.#max || this.#sending < this.window;
  }

  /**
   * Runs one attempt of a request once it may go on the wire: at most `window` attempts are out
   * while the run is slowed, each still waiting its hold ({@link beforeRequest}) inside `attempt`.
   * So after a 429 at most one wave of the shrunken window reaches the API per `Retry-After`,
   * however many sites were admitted before it shrank.
   */
  async onWire<T>(attempt: () => Promise<T>): Promise<T> {
    if (this.#waitingToSend.length === 0 && this.#mayAlsoSend()) {
      this.#sending++;
    } else {
      // `#wake` counts this request in before it resolves, so that no other overtakes it.
      await new Promise<void>((resolve) => this.#waitingToSend.push(resolve));
    }
    try {
      return await attempt();
    } finally {
      this.#sending--;
      this.#wake();
    }
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
