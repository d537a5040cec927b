/**
 * The emulator's waits — scripted delays and hangs, and the latency — each cut short when the
 * emulator closes and, if asked, when the client goes away.
 * @module
 */

/**
 * Waits `ms`, or forever for `"hang"`, unless the emulator closes or `client` (when given) goes
 * away first; resolves to whether the request is still wanted afterwards.
 */
type Pause = (ms: number | "hang", client?: Request) => Promise<boolean>;

/** Waits `ms` with a `setTimeout` that `signal` cancels, resolving either way. */
export function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The emulator's {@link Pause}: `closing` aborts when the emulator closes, and `sleep` does the
 * timed waits (so tests need not wait real time). The client's `request.signal` is read here alone,
 * and only for a wait that watches it: under Deno's legacy abort behaviour, a handler that read it
 * makes `Deno.serve` print a one-time warning (`--unstable-no-legacy-abort` or
 * `"unstable": ["no-legacy-abort"]` in deno.json silences it).
 */
export function createPause(
  closing: AbortSignal,
  sleep: (ms: number, signal: AbortSignal) => Promise<void>,
): Pause {
  return async (ms, client) => {
    if (ms === 0) return !closing.aborted;
    const linked = linkSignals(client === undefined ? [closing] : [closing, client.signal]);
    try {
      if (ms === "hang") {
        await new Promise<void>((resolve) => {
          if (linked.signal.aborted) resolve();
          else linked.signal.addEventListener("abort", () => resolve(), { once: true });
        });
      } else {
        await sleep(ms, linked.signal);
      }
    } catch {
      // An injected sleep may reject on abort; the signal says what happened.
    } finally {
      linked.dispose();
    }
    return !linked.signal.aborted;
  };
}

/** A signal that aborts when any of `sources` does, and a `dispose` that detaches it again. */
function linkSignals(sources: readonly AbortSignal[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  for (const source of sources) {
    if (source.aborted) controller.abort();
    else source.addEventListener("abort", abort, { once: true });
  }
  return {
    signal: controller.signal,
    dispose: () => sources.forEach((source) => source.removeEventListener("abort", abort)),
  };
}
