/**
 * `outage-sync mock-api`: parses its flags, loads the dataset and serves the emulator until the
 * run's signal (SIGINT/SIGTERM) stops it. All I/O goes through {@link CliIo}.
 * @module
 */

import {
  booleanOption,
  choiceParser,
  listOption,
  numberParser,
  parseFlags,
  renderOptions,
  valueOption,
} from "../config/flags.ts";
import { MIN_KEY_LENGTH } from "../config/api_key.ts";
import { requireNamedFile } from "../config/named_file.ts";
import { createSettings, type Settings } from "../config/settings.ts";
import { parsePath } from "../config/values.ts";
import { errorMessage, FileRefused, UsageError } from "../errors.ts";
import {
  type Dataset,
  DatasetError,
  defaultDataset,
  type NoiseMode,
  parseDataset,
} from "../mock/dataset.ts";
import { FAULT_HINT, parseFault, parseScriptFile, ScriptError } from "../mock/script_file.ts";
import { MAX_STEPS, type ScriptEntry } from "../mock/scripts.ts";
import { type MockServer, type MockServerOptions, startMockServer } from "../mock/server.ts";
import { syntheticDataset } from "../mock/synthetic.ts";
import { ExitCode } from "../outcome.ts";
import type { CliIo, Command } from "./io.ts";

const text = (value: string) => value;

/** The options of `mock-api`, in the order help lists them. */
const MOCK_OPTIONS = {
  port: valueOption({
    type: "string",
    flag: "port",
    valueName: "N",
    default: "8080",
    help: "port on 127.0.0.1; 0 picks a free one",
    parse: numberParser({ integer: true, min: 0, max: 65535 }),
  }),
  apiKey: valueOption({
    type: "string",
    flag: "api-key",
    env: "KRAKENFLEX_API_KEY",
    valueName: "KEY",
    default: undefined,
    help: "the key clients must send in x-api-key (8 characters or more, as sync needs)",
    parse: text,
  }),
  data: valueOption({
    type: "string",
    flag: "data",
    valueName: "FILE",
    default: undefined,
    help: "serve {outages, sites, expected?} from FILE instead of the real captures",
    parse: parsePath,
  }),
  synthetic: valueOption({
    type: "string",
    flag: "synthetic",
    valueName: "N",
    default: undefined,
    help: "serve N generated outages for synthetic-site-1 (and more with --sites)",
    parse: numberParser({ integer: true, min: 0, max: 20_000_000 }),
  }),
  sites: valueOption({
    type: "string",
    flag: "sites",
    valueName: "N",
    default: "1",
    help: "number of synthetic sites (needs --synthetic)",
    parse: numberParser({ integer: true, min: 1, max: 10_000 }),
  }),
  devices: valueOption({
    type: "string",
    flag: "devices-per-site",
    valueName: "N",
    default: "1000",
    help: "devices of each synthetic site (needs --synthetic)",
    parse: numberParser({ integer: true, min: 1, max: 100_000 }),
  }),
  sitesFile: valueOption({
    type: "string",
    flag: "sites-file",
    valueName: "PATH",
    default: undefined,
    help:
      "write the served site ids there, one per line, for sync --sites-file (needs write access)",
    parse: parsePath,
  }),
  noise: valueOption({
    type: "string",
    flag: "noise",
    valueName: "MODE",
    default: "fresh",
    help: "the captures' 90 other outages: fresh (new in every answer, as live) or captured",
    parse: choiceParser(["fresh", "captured"]),
  }),
  seed: valueOption({
    type: "string",
    flag: "seed",
    valueName: "S",
    default: undefined,
    help: "seed of the noise, --synthetic and --fail-rate (unset: random noise, 1 for the rest)",
    parse: numberParser({ integer: true, min: 0, max: 2 ** 32 - 1 }),
  }),
  failRate: valueOption({
    type: "string",
    flag: "fail-rate",
    valueName: "P",
    default: "0",
    help: "answer 500 to API requests with probability P, 0 to 1",
    parse: numberParser({ integer: false, min: 0, max: 1 }),
  }),
  latency: valueOption({
    type: "string",
    flag: "latency",
    valueName: "MS",
    default: "0",
    help: "wait MS milliseconds before each answer",
    parse: numberParser({ integer: true, min: 0, max: 600_000 }),
  }),
  rateLimit: valueOption({
    type: "string",
    flag: "rate-limit",
    valueName: "N",
    default: undefined,
    help: "allow N requests per clock minute, then answer 429 with Retry-After",
    parse: numberParser({ integer: true, min: 1, max: 1_000_000 }),
  }),
  gatewayTimeout: valueOption({
    type: "string",
    flag: "gateway-timeout",
    valueName: "SEC",
    default: "29",
    help: "a scripted hang gets the gateway's 504 after SEC seconds",
    parse: numberParser({ integer: false, min: 0, max: 3600 }),
  }),
  headerTimeout: valueOption({
    type: "string",
    flag: "header-timeout",
    valueName: "SEC",
    default: "10",
    help: "close a connection that has not sent a request's headers within SEC seconds",
    parse: numberParser({ integer: false, min: 0.001, max: 3600 }),
  }),
  bodyTimeout: valueOption({
    type: "string",
    flag: "body-timeout",
    valueName: "SEC",
    default: "5",
    help: "close a connection whose request body sends nothing for SEC seconds",
    parse: numberParser({ integer: false, min: 0.001, max: 3600 }),
  }),
  bodyMemory: valueOption({
    type: "string",
    flag: "body-memory",
    valueName: "MIB",
    default: "128",
    help: "bodies being read may hold MIB MiB together; a body past that gets 503",
    parse: numberParser({ integer: true, min: 1, max: 65_536 }),
  }),
  script: valueOption({
    type: "string",
    flag: "script",
    valueName: "FILE",
    default: undefined,
    help: "queue the fault scripts of FILE (JSON: route → steps; see docs/emulator.md)",
    parse: parsePath,
  }),
  fault: listOption({
    flag: "fault",
    valueName: "ROUTE=STEPS",
    default: undefined,
    help: "queue steps for one route, e.g. 'GET /outages=429[Retry-After=2],ok' (repeatable)",
    parse: (value) => {
      try {
        return parseFault(value);
      } catch (error) {
        if (error instanceof ScriptError) throw new UsageError(error.message, FAULT_HINT);
        throw error;
      }
    },
  }),
  strictPaths: booleanOption({
    flag: "strict-paths",
    help: "serve only under /interview-tests-mock-api/v1, as the real API does",
  }),
  anyHost: booleanOption({
    flag: "any-host",
    help: "answer API requests whatever their Host header (never /__mock/*)",
  }),
  logSize: valueOption({
    type: "string",
    flag: "log-size",
    valueName: "N",
    default: "1000",
    help: "how many requests the request log keeps",
    parse: numberParser({ integer: true, min: 1, max: 100_000 }),
  }),
  help: booleanOption({ flag: "help", short: "h", help: "show this help" }),
};

const SCRIPT_HINT = "A --script file is a JSON object from route to a list of steps, or to " +
  '{"steps": [...], "sticky": true}; a step is a status, a kind, or an object. See ' +
  "docs/emulator.md.";

const MOCK_API_HELP = `Usage: outage-sync mock-api [options]

Serve a local emulator of the KrakenFlex outage API on 127.0.0.1, at the root
and under /interview-tests-mock-api/v1. Prints its base URL on stdout once
listening; stops on Ctrl-C. Its key comes from --api-key or the environment's
KRAKENFLEX_API_KEY: it does not read .env.

Options:
${renderOptions(MOCK_OPTIONS)}
Request log: GET /__mock/requests (no key needed); clear it with
POST /__mock/reset. Point outage-sync at it with
--base-url http://127.0.0.1:PORT/interview-tests-mock-api/v1.
See docs/emulator.md.

Exit codes: 0 stopped by a signal; 1 cannot listen; 2 usage error.
`;

function describeDataset(dataset: Dataset): string {
  const sites = dataset.sites.map((site) => site.id);
  const shown = sites.length > 3 ? `${sites.slice(0, 3).join(", ")}, ...` : sites.join(", ");
  const noise = dataset.noise?.count ?? 0;
  return `${dataset.outages.length + noise} outages${
    noise === 0 ? "" : ` (${noise} of them fresh noise in every answer)`
  }, ${sites.length} site(s) (${shown})`;
}

/** The largest `--script` file read. */
const SCRIPT_FILE_MAX_BYTES = 16 * 1024 ** 2;

/** The scripts of a `--script` file, then those of each `--fault`, in that order. */
function loadScripts(file: string | undefined, faults: ScriptEntry[], io: CliIo): ScriptEntry[] {
  const scripts = file === undefined ? faults : [...readScriptFile(file, io), ...faults];
  const steps = scripts.reduce((sum, entry) => sum + entry.steps.length, 0);
  if (steps > MAX_STEPS) {
    throw new UsageError(
      `Cannot queue ${steps} scripted steps: the limit is ${MAX_STEPS}`,
      "Use repeat (*N) for a step that answers many requests.",
    );
  }
  return scripts;
}

/** The scripts of a `--script` file. */
function readScriptFile(file: string, io: CliIo): ScriptEntry[] {
  const text = readFlagFile(io, "script", file, SCRIPT_FILE_MAX_BYTES);
  try {
    return parseScriptFile(text, file);
  } catch (error) {
    if (error instanceof ScriptError) {
      throw new UsageError(`Cannot use the "--script" file: ${error.message}`, SCRIPT_HINT);
    }
    throw error;
  }
}

/**
 * The text of the file that `--flag` names, of at most `maxBytes`: the one reader of named files
 * (`requireNamedFile`), so that a file that cannot be read is a usage error naming the flag, the
 * file, why, and the next step.
 */
function readFlagFile(io: CliIo, flag: string, file: string, maxBytes: number): string {
  return requireNamedFile({
    what: `"--${flag}" file`,
    path: file,
    maxBytes,
    shape: `The --${flag} file must be a regular file of at most ${sizeText(maxBytes)}.`,
  }, (path, max) => io.readTextFile(path, max));
}

/** A whole number of GiB or MiB, as the hints say it. */
function sizeText(bytes: number): string {
  return bytes % 1024 ** 3 === 0 ? `${bytes / 1024 ** 3} GiB` : `${bytes / 1024 ** 2} MiB`;
}

/** The largest `--data` file read: room for tens of millions of outages. */
const DATA_FILE_MAX_BYTES = 2 * 1024 ** 3;

/** The dataset the flags ask for: a `--data` file, a synthetic one, or the captures. */
function loadDataset(
  file: string | undefined,
  synthetic: { outages: number; seed: number; sites: number; devicesPerSite: number } | undefined,
  noise: NoiseMode,
  io: CliIo,
): Dataset {
  if (synthetic !== undefined) return syntheticDataset(synthetic);
  if (file === undefined) return defaultDataset(noise);
  const text = readFlagFile(io, "data", file, DATA_FILE_MAX_BYTES);
  try {
    return parseDataset(text, file);
  } catch (error) {
    if (error instanceof DatasetError) {
      throw new UsageError(`Cannot use the "--data" file: ${error.message}`);
    }
    throw error;
  }
}

/** Writes the dataset's site ids to `path`, one per line (`--sites-file`). */
async function writeSiteIds(path: string, dataset: Dataset, io: CliIo): Promise<void> {
  const text = dataset.sites.map((site) => `${site.id}\n`).join("");
  try {
    if (io.fs === undefined) throw new Error("file writes are not available here");
    await io.fs.writeTextFile(path, text);
  } catch (error) {
    throw new UsageError(
      `Cannot write the "--sites-file" "${path}": ${
        error instanceof Deno.errors.NotCapable
          ? "no write permission"
          : FileRefused.reasonFor(error)
      }`,
      "Run it with write access to that path (e.g. deno run --allow-write=PATH … mock-api).",
    );
  }
}

/** What the flags ask of a run: where its data comes from, and the emulator's options. */
interface MockRun {
  readonly file: string | undefined;
  readonly synthetic:
    | { outages: number; seed: number; sites: number; devicesPerSite: number }
    | undefined;
  readonly noise: NoiseMode;
  readonly sitesFile: string | undefined;
  /** Everything {@link startMockServer} takes but the dataset and the warning. */
  readonly server: Omit<MockServerOptions, "dataset" | "warn"> & { readonly port: number };
}

/**
 * The flags and the environment read into a run, every value parsed before the server starts, so
 * that a bad one is a usage error, not a listen failure.
 */
function mockRunOf(args: readonly string[], io: CliIo): MockRun {
  const o = MOCK_OPTIONS;
  const settings = createSettings(parseFlags(args, o, "mock-api"), (name) => {
    const value = io.env(name);
    return value === undefined ? undefined : { text: value.trim(), from: "environment" };
  });
  const port = settings.value(o.port);
  const noiseSeed = settings.value(o.seed);
  const seed = noiseSeed ?? 1;
  const synthetic = settings.value(o.synthetic);
  const sites = settings.value(o.sites);
  const devicesPerSite = settings.value(o.devices);
  const file = settings.value(o.data);
  const sitesFile = settings.value(o.sitesFile);
  const server = {
    port,
    seed,
    noiseSeed,
    failRate: settings.value(o.failRate),
    latencyMs: settings.value(o.latency),
    rateLimitPerMinute: settings.value(o.rateLimit),
    gatewayTimeoutMs: settings.value(o.gatewayTimeout) * 1000,
    logSize: settings.value(o.logSize),
    headerTimeoutMs: settings.value(o.headerTimeout) * 1000,
    bodyIdleTimeoutMs: settings.value(o.bodyTimeout) * 1000,
    maxHeldBodyBytes: settings.value(o.bodyMemory) * 1024 ** 2,
  };
  const noise = settings.value(o.noise);
  const scripts = loadScripts(settings.value(o.script), settings.list(o.fault), io);
  checkDataFlags(settings, file, synthetic);
  const apiKey = apiKeyOf(settings, io);
  return {
    file,
    synthetic: synthetic === undefined
      ? undefined
      : { outages: synthetic, seed, sites, devicesPerSite },
    noise,
    sitesFile,
    server: {
      ...server,
      apiKey,
      strictPaths: settings.given(o.strictPaths),
      anyHost: settings.given(o.anyHost),
      scripts,
    },
  };
}

/** Refuses the data flags that do not go together. */
function checkDataFlags(
  settings: Settings,
  file: string | undefined,
  synthetic: number | undefined,
): void {
  const o = MOCK_OPTIONS;
  for (const spec of [o.sites, o.devices]) {
    if (settings.source(spec) !== undefined && synthetic === undefined) {
      throw new UsageError(`Cannot use "--${spec.flag}" without "--synthetic"`);
    }
  }
  if (file !== undefined && synthetic !== undefined) {
    throw new UsageError(`Cannot use "--data" and "--synthetic" together: choose one`);
  }
  if (settings.source(o.noise) !== undefined && (file ?? synthetic) !== undefined) {
    throw new UsageError(
      `Cannot use "--noise" with "--${file === undefined ? "synthetic" : "data"}": ` +
        "only the embedded captures have noise",
    );
  }
}

/** The key clients must send: required, and warned about when `sync` would refuse it. */
function apiKeyOf(settings: Settings, io: CliIo): string {
  const apiKey = (settings.value(MOCK_OPTIONS.apiKey) ?? "").trim();
  if (apiKey === "") {
    throw new UsageError(
      "No API key: pass --api-key KEY or set KRAKENFLEX_API_KEY",
      "mock-api does not read .env: export the variable or pass the flag. Any key of at least " +
        `${MIN_KEY_LENGTH} characters will do; clients must send the same one.`,
    );
  }
  if (apiKey.length < MIN_KEY_LENGTH) {
    io.stderr(
      `mock-api: warning: the key is ${apiKey.length} characters long: sync refuses keys shorter ` +
        `than ${MIN_KEY_LENGTH}, so it cannot talk to this emulator; pick a longer one\n`,
    );
  }
  return apiKey;
}

async function runMockApi(args: readonly string[], io: CliIo): Promise<number> {
  const run = mockRunOf(args, io);
  let dataset: Dataset | undefined = loadDataset(run.file, run.synthetic, run.noise, io);
  if (run.sitesFile !== undefined) await writeSiteIds(run.sitesFile, dataset, io);
  if (io.signal.aborted) return ExitCode.ok;
  const description = describeDataset(dataset);
  const server = await listen(run, dataset, io);
  // The handler keeps only the serialised bodies; let a million outage objects be collected.
  dataset = undefined;
  if (server === undefined) return ExitCode.failed;
  io.stderr(`mock-api: serving ${description} at ${server.url}\n`);
  io.stdout(`${server.url}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await server.close();
  io.stderr("mock-api: stopped\n");
  return ExitCode.ok;
}

/** The emulator listening, or nothing when it cannot listen (said on stderr). */
async function listen(run: MockRun, dataset: Dataset, io: CliIo): Promise<MockServer | undefined> {
  try {
    return await startMockServer({
      ...run.server,
      dataset,
      warn: (message) => io.stderr(`mock-api: warning: ${message}\n`),
    });
  } catch (error) {
    const reason = error instanceof Deno.errors.AddrInUse
      ? "the port is in use (pick another with --port, or --port 0 for a free one)"
      : errorMessage(error);
    io.stderr(`outage-sync: Cannot listen on 127.0.0.1:${run.server.port}: ${reason}\n`);
    return undefined;
  }
}

/** `outage-sync mock-api`: never prints the key. */
export const mockApiCommand: Command = { help: MOCK_API_HELP, run: runMockApi };
