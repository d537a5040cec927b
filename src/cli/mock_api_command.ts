/**
 * `outage-sync mock-api`: parses its flags, loads the dataset and serves the emulator until told to
 * stop. All I/O goes through the `io` argument, so tests run it in process.
 * @module
 */

import { parseArgs } from "node:util";
import { type Dataset, DatasetError, defaultDataset, parseDataset } from "./dataset.ts";
import { type MockServer, startMockServer } from "./server.ts";
import { syntheticDataset } from "./synthetic.ts";

/** What `mock-api` needs from the outside world. */
export interface MockApiCommandIo {
  /** Reads an environment variable (`KRAKENFLEX_API_KEY`). */
  env(name: string): string | undefined;
  /** Writes to standard output (the base URL, `--help`). */
  stdout(text: string): void;
  /** Writes to standard error (errors and progress). */
  stderr(text: string): void;
  /** Reads the `--data` file. */
  readTextFile(path: string): Promise<string>;
  /** Stops the server when aborted (SIGINT/SIGTERM); without it the server runs forever. */
  signal?: AbortSignal;
}

/** The `mock-api --help` text. */
export const MOCK_API_USAGE = `Usage: outage-sync mock-api [options]

Serve a local emulator of the KrakenFlex outage API on 127.0.0.1, at the root and under
/interview-tests-mock-api/v1. Prints its base URL on stdout once listening; stops on Ctrl-C.

Options:
  --port N          Port on 127.0.0.1; 0 picks a free one (default 8080)
  --api-key KEY     The key clients must send in x-api-key (default: $KRAKENFLEX_API_KEY)
  --data FILE       Serve {outages, sites, expected?} from FILE instead of the real captures
  --synthetic N     Serve N generated outages for synthetic-site-1 (and more with --sites)
  --sites N         Number of synthetic sites (default 1; needs --synthetic)
  --seed S          Seed for --synthetic data and --fail-rate draws (default 1)
  --fail-rate P     Answer 500 to API requests with probability P, 0 to 1 (default 0)
  --latency MS      Wait MS milliseconds before each answer (default 0)
  --rate-limit N    Allow N requests per clock minute, then answer 429 with Retry-After
  -h, --help        Show this help

Request log: GET /__mock/requests (no key needed); clear it with POST /__mock/reset.
Point outage-sync at it with --base-url http://127.0.0.1:PORT.
`;

const HINT = "Run `outage-sync mock-api --help` for usage.";
const MAX_SYNTHETIC = 20_000_000;

class MockUsageError extends Error {}

function parseInteger(flag: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new MockUsageError(
      `Cannot parse "--${flag}": expected an integer from ${min} to ${max}, got "${text}"`,
    );
  }
  return value;
}

function parseRate(text: string): number {
  const value = /^\d+(\.\d+)?$|^\.\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 0 && value <= 1)) {
    throw new MockUsageError(
      `Cannot parse "--fail-rate": expected a probability from 0 to 1, got "${text}"`,
    );
  }
  return value;
}

function parseFlags(args: string[]) {
  try {
    return parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        "api-key": { type: "string" },
        data: { type: "string" },
        synthetic: { type: "string" },
        seed: { type: "string" },
        sites: { type: "string" },
        "fail-rate": { type: "string" },
        latency: { type: "string" },
        "rate-limit": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    // node:util's messages name the flag ("Unknown option '--foo'"); make them one line.
    const message = error instanceof Error ? error.message : String(error);
    throw new MockUsageError(message.replaceAll("\n", " ").replaceAll("'", '"'));
  }
}

function describeDataset(dataset: Dataset): string {
  const sites = dataset.sites.map((site) => site.id);
  const shown = sites.length > 3 ? `${sites.slice(0, 3).join(", ")}, ...` : sites.join(", ");
  return `${dataset.outages.length} outages, ${sites.length} site(s) (${shown})`;
}

/**
 * Runs `outage-sync mock-api` with `args` (the words after `mock-api`): 0 after a clean stop,
 * 2 on a usage or configuration error, 1 when the server cannot start. Never prints the key.
 */
export async function mockApiCommand(args: string[], io: MockApiCommandIo): Promise<number> {
  let port: number;
  let apiKey: string;
  let dataset: Dataset | undefined;
  let seed: number;
  let failRate: number;
  let latencyMs: number;
  let rateLimitPerMinute: number | undefined;
  try {
    const flags = parseFlags(args);
    if (flags.help) {
      io.stdout(MOCK_API_USAGE);
      return 0;
    }
    port = flags.port === undefined ? 8080 : parseInteger("port", flags.port, 0, 65535);
    seed = flags.seed === undefined ? 1 : parseInteger("seed", flags.seed, 0, 2 ** 32 - 1);
    failRate = flags["fail-rate"] === undefined ? 0 : parseRate(flags["fail-rate"]);
    latencyMs = flags.latency === undefined
      ? 0
      : parseInteger("latency", flags.latency, 0, 600_000);
    rateLimitPerMinute = flags["rate-limit"] === undefined
      ? undefined
      : parseInteger("rate-limit", flags["rate-limit"], 1, 1_000_000);
    const sites = flags.sites === undefined ? 1 : parseInteger("sites", flags.sites, 1, 1000);
    const synthetic = flags.synthetic === undefined
      ? undefined
      : parseInteger("synthetic", flags.synthetic, 0, MAX_SYNTHETIC);
    if (flags.sites !== undefined && synthetic === undefined) {
      throw new MockUsageError(`Cannot use "--sites" without "--synthetic"`);
    }
    if (flags.data !== undefined && synthetic !== undefined) {
      throw new MockUsageError(`Cannot use "--data" and "--synthetic" together: choose one`);
    }

    const key = (flags["api-key"] ?? io.env("KRAKENFLEX_API_KEY") ?? "").trim();
    if (key === "") {
      io.stderr(
        "error: No API key: pass --api-key KEY or set KRAKENFLEX_API_KEY (any value; clients must send the same one)\n",
      );
      return 2;
    }
    apiKey = key;

    if (flags.data !== undefined) {
      let text: string;
      try {
        text = await io.readTextFile(flags.data);
      } catch (error) {
        const reason = error instanceof Deno.errors.NotFound
          ? "no such file"
          : error instanceof Error
          ? error.message
          : String(error);
        throw new MockUsageError(`Cannot read "--data" file "${flags.data}": ${reason}`);
      }
      dataset = parseDataset(text, flags.data);
    } else if (synthetic !== undefined) {
      dataset = syntheticDataset({ outages: synthetic, seed, sites });
    } else {
      dataset = defaultDataset();
    }
  } catch (error) {
    if (error instanceof MockUsageError) {
      io.stderr(`error: ${error.message}\n${HINT}\n`);
      return 2;
    }
    if (error instanceof DatasetError) {
      io.stderr(`error: Cannot use the "--data" file: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  if (io.signal?.aborted) return 0;
  const description = describeDataset(dataset);
  let server: MockServer;
  try {
    server = await startMockServer({
      apiKey,
      dataset,
      seed,
      failRate,
      latencyMs,
      rateLimitPerMinute,
      port,
    });
  } catch (error) {
    const reason = error instanceof Deno.errors.AddrInUse
      ? "the port is in use (pick another with --port, or --port 0 for a free one)"
      : error instanceof Error
      ? error.message
      : String(error);
    io.stderr(`error: Cannot listen on 127.0.0.1:${port}: ${reason}\n`);
    return 1;
  }
  // The handler keeps only the serialised bodies; let a million outage objects be collected.
  dataset = undefined;
  io.stderr(`mock-api: serving ${description} at ${server.url}\n`);
  io.stdout(`${server.url}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal === undefined) return; // serve until the process ends
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await server.close();
  io.stderr("mock-api: stopped\n");
  return 0;
}
