// deno-lint-ignore-file no-console -- a benchmark client: it prints its one-line result on stdout.
/**
 * The yardstick (issue "Performance close to the limit"): a client that does only the HTTP work of
 * a sync, so that the sync's time can be given as a ratio to the least that work can cost here.
 *
 * Its rules — change them only together with `docs/benchmarks.md`:
 * 1. The same requests as a sync of the same sites: `GET /outages` once, started first; for each
 *    site `GET /site-info/{id}`, then (once the outages are in) `POST /site-outages/{id}` — unless
 *    its payload is empty, which the sync does not post either (without `--post-empty`).
 * 2. The same concurrency: at most `--concurrency` requests of sites in flight (`GET /outages`
 *    aside), `4 × --concurrency` sites under way, as `src/sync.ts` schedules them.
 * 3. Each success body is read whole and given to `JSON.parse`; nothing is validated, filtered,
 *    reported, recorded or logged.
 * 4. The payloads are precomputed (`--payloads FILE`, `{siteId: payload}`, from the generator that
 *    also feeds the emulator) and stringified before the clock starts; each POST sends its site's.
 * 5. Plain `fetch` with the runtime's defaults: keep-alive connections, the `x-api-key` header from
 *    `KRAKENFLEX_API_KEY`. No retries: any status but 2xx fails the run (exit 1).
 *
 *   deno run --allow-net=127.0.0.1 --allow-read --allow-env bench/yardstick.ts \
 *     --base-url URL --payloads FILE [--concurrency N]
 *
 * Prints `{"durationMs": …, "requests": …}`: `durationMs` from the first request to the last
 * answer, as the sync's report measures its own.
 * @module
 */

import { parseArgs } from "node:util";

/** How many sites may be under way for each request slot (`LOOKAHEAD` in `src/sync.ts`). */
const LOOKAHEAD = 4;

/** A counting semaphore: at most `limit` holders. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(limit: number) {
    this.#free = limit;
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#free++;
    else next();
  }
}

/** The work of a yardstick run. */
export interface YardstickOptions {
  readonly baseUrl: string;
  readonly key: string;
  readonly concurrency: number;
  /** Each site's payload, already stringified, in the order the sites are synced. */
  readonly payloads: ReadonlyMap<string, string>;
}

async function request(
  options: YardstickOptions,
  path: string,
  body?: string,
): Promise<unknown> {
  const response = await fetch(new URL(path, options.baseUrl), {
    method: body === undefined ? "GET" : "POST",
    headers: {
      "x-api-key": options.key,
      "accept": "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body,
  });
  const text = await response.text();
  if (response.status < 200 || response.status >= 300) {
    throw new Error(`${path}: the API answered ${response.status}: ${text.slice(0, 200)}`);
  }
  return body === undefined ? JSON.parse(text) : undefined;
}

/** Runs the HTTP work of a sync of `options.payloads`' sites; resolves with the request count. */
export async function runYardstick(options: YardstickOptions): Promise<number> {
  let requests = 1;
  const outages = request(options, "outages");
  outages.catch(() => {}); // awaited by every site; an early rejection is not unhandled
  const slots = new Slots(options.concurrency);
  const sites = [...options.payloads];
  let next = 0;
  const lane = async () => {
    while (next < sites.length) {
      const [siteId, payload] = sites[next++];
      const segment = encodeURIComponent(siteId);
      await slots.acquire();
      try {
        requests++;
        await request(options, `site-info/${segment}`);
      } finally {
        slots.release();
      }
      await outages;
      if (payload === "[]") continue;
      await slots.acquire();
      try {
        requests++;
        await request(options, `site-outages/${segment}`, payload);
      } finally {
        slots.release();
      }
    }
  };
  const lanes = Math.min(sites.length, options.concurrency * LOOKAHEAD);
  await Promise.all([outages, ...Array.from({ length: lanes }, lane)]);
  return requests;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "base-url": { type: "string" },
      payloads: { type: "string" },
      concurrency: { type: "string", default: "4" },
    },
  });
  if (values["base-url"] === undefined || values.payloads === undefined) {
    throw new Error("Missing option: expected --base-url URL --payloads FILE");
  }
  const parsed = JSON.parse(await Deno.readTextFile(values.payloads)) as Record<string, unknown>;
  const payloads = new Map(
    Object.entries(parsed).map(([siteId, payload]) => [siteId, JSON.stringify(payload)]),
  );
  const options: YardstickOptions = {
    baseUrl: values["base-url"].replace(/\/?$/, "/"),
    key: Deno.env.get("KRAKENFLEX_API_KEY") ?? "",
    concurrency: Number(values.concurrency),
    payloads,
  };
  const started = performance.now();
  const requests = await runYardstick(options);
  console.log(JSON.stringify({ durationMs: Math.round(performance.now() - started), requests }));
}
