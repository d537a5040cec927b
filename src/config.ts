/**
 * Configuration (SPEC §5): flags > environment > `.env` > defaults, resolved by a pure function of
 * the arguments, an environment look-up and a file reader.
 * @module
 */

import { parseArgs, parseEnv } from "node:util";
import { UsageError } from "./errors.ts";
import { Secret } from "./secret.ts";
import { parseSince, type Since } from "./timestamp.ts";

/** The public API, used when no base URL is configured. */
export const DEFAULT_BASE_URL = "https://api.krakenflex.systems/interview-tests-mock-api/v1";
/** The site synced when none is configured. */
export const DEFAULT_SITE = "norwich-pear-tree";
/** The cut-off used when none is configured. */
export const DEFAULT_SINCE = "2022-01-01T00:00:00.000Z";

/** Log levels, least verbose first. */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
/** A log level. */
export type LogLevel = typeof LOG_LEVELS[number];
/** A log line format. */
export type LogFormat = "text" | "json";

/** Everything `sync` and `check` need, resolved and validated. */
export interface SyncConfig {
  readonly sites: readonly string[];
  readonly since: Since;
  /** The base URL, its path ending in `/` so that endpoint paths resolve under it. */
  readonly baseUrl: URL;
  readonly apiKey: Secret;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly skipInvalid: boolean;
  readonly postEmpty: boolean;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly deadlineMs: number;
  readonly concurrency: number;
  readonly maxResponseBytes: number;
  readonly logFormat: LogFormat;
  readonly logLevel: LogLevel;
  readonly metricsFile: string | undefined;
}

/** Where configuration comes from: the real environment and the file system, injected. */
export interface ConfigSources {
  /** A real environment variable, or `undefined`. */
  env(name: string): string | undefined;
  /** A file's text, or `undefined` when it does not exist; throws for other failures. */
  readTextFile(path: string): string | undefined;
}

/** The options of `sync` and `check`, for `parseArgs` and for "did you mean" hints. */
export const SYNC_OPTIONS = {
  site: { type: "string", multiple: true },
  since: { type: "string" },
  "base-url": { type: "string" },
  "api-key-file": { type: "string" },
  "env-file": { type: "string" },
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
  "skip-invalid": { type: "boolean" },
  "post-empty": { type: "boolean" },
  timeout: { type: "string" },
  "max-attempts": { type: "string" },
  deadline: { type: "string" },
  concurrency: { type: "string" },
  "max-response-mb": { type: "string" },
  "log-format": { type: "string" },
  "log-level": { type: "string" },
  quiet: { type: "boolean", short: "q" },
  verbose: { type: "boolean", short: "v" },
  "metrics-file": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known flag closest to `flag`, when one is close enough to be a likely typo. */
export function closestFlag(flag: string, known: readonly string[]): string | undefined {
  const name = flag.replace(/^-+/, "").split("=")[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== undefined && bestDistance <= Math.max(2, name.length / 3)
    ? `--${best}`
    : undefined;
}

/**
 * Runs strict `parseArgs` and turns its errors into {@link UsageError}s with a one-line hint
 * (the closest known flag for an unknown one).
 */
export function parseFlags<T extends Record<string, { type: "string" | "boolean" }>>(
  args: readonly string[],
  options: T,
  command: string,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true }>>["values"] {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: string }).code;
    const flag = /'(-[^']*)'/.exec(text)?.[1];
    const help = `Run \`outage-sync ${command} --help\` for the options.`;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag !== undefined) {
      const near = closestFlag(flag, Object.keys(options));
      throw new UsageError(
        `Unknown option "${flag}"`,
        near === undefined ? help : `Did you mean "${near}"? ${help}`,
      );
    }
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      const value = /'([^']*)'/.exec(text)?.[1] ?? "";
      throw new UsageError(`Unexpected argument "${value}"`, help);
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && flag !== undefined) {
      const name = flag.split(" ")[0];
      throw new UsageError(
        `Option "${name}" ${
          /argument missing|ambiguous/.test(text) ? "needs a value" : "takes no value"
        }`,
        help,
      );
    }
    throw new UsageError(text.split(". ")[0], help);
  }
}

function parseNumber(
  text: string,
  label: string,
  { integer, min, max }: { integer: boolean; min: number; max: number },
): number {
  const pattern = integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const value = Number(text);
  if (!pattern.test(text) || value < min || value > max) {
    const kind = integer ? "a whole number" : "a number";
    throw new UsageError(
      `Cannot parse ${label}: expected ${kind} from ${min} to ${max}, got "${text}"`,
    );
  }
  return value;
}

/** Reads the `.env` file: `--env-file` must exist; `./.env` is read when it does. */
function readDotEnv(path: string | undefined, sources: ConfigSources): Map<string, string> {
  const file = path ?? ".env";
  let text: string | undefined;
  try {
    text = sources.readTextFile(file);
  } catch (error) {
    throw new UsageError(
      `Cannot read the env file "${file}": ${error instanceof Error ? error.message : error}`,
    );
  }
  if (text === undefined) {
    if (path !== undefined) {
      throw new UsageError(
        `Cannot read the env file "${path}": no such file`,
        "Check the path given to --env-file.",
      );
    }
    return new Map();
  }
  const entries = new Map<string, string>();
  for (const [key, value] of Object.entries(parseEnv(text))) {
    if (typeof value === "string") entries.set(key.trim(), value.trim());
  }
  return entries;
}

/** Characters that can go in an HTTP header value. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

function readKey(
  flagFile: string | undefined,
  lookup: (name: string) => { value: string; from: string } | undefined,
  sources: ConfigSources,
): Secret {
  const fromFile = (path: string, from: string): Secret => {
    let text: string | undefined;
    try {
      text = sources.readTextFile(path);
    } catch (error) {
      throw new UsageError(
        `Cannot read the API key file "${path}" (${from}): ${
          error instanceof Error ? error.name : "error"
        }`,
        "Check the file's path and permissions.",
      );
    }
    if (text === undefined) {
      throw new UsageError(
        `Cannot read the API key file "${path}" (${from}): no such file`,
        "Check the path.",
      );
    }
    return checkKey(text.trim(), `the API key file "${path}"`);
  };
  const checkKey = (key: string, from: string): Secret => {
    if (key === "") {
      throw new UsageError(
        `The API key is empty: ${from}`,
        "Put the key in KRAKENFLEX_API_KEY (environment or .env) or in a file named by --api-key-file.",
      );
    }
    if (!HEADER_SAFE.test(key)) {
      throw new UsageError(
        `The API key from ${from} contains spaces or characters that cannot be sent in an HTTP header`,
        "Check that the whole key, and only the key, was copied.",
      );
    }
    return new Secret(key);
  };
  if (flagFile !== undefined) return fromFile(flagFile, "--api-key-file");
  const key = lookup("KRAKENFLEX_API_KEY");
  const file = lookup("KRAKENFLEX_API_KEY_FILE");
  // At the same level the key itself wins over a key file; a real environment variable wins over .env.
  if (
    key !== undefined && (file === undefined || key.from === "environment" || file.from === ".env")
  ) {
    return checkKey(key.value, `KRAKENFLEX_API_KEY (${key.from})`);
  }
  if (file !== undefined) return fromFile(file.value, `KRAKENFLEX_API_KEY_FILE (${file.from})`);
  throw new UsageError(
    "No API key: KRAKENFLEX_API_KEY is not set",
    "Set KRAKENFLEX_API_KEY in the environment or in .env, or name a key file with --api-key-file.",
  );
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Parses and checks the base URL: https, or http on loopback; no credentials, query or fragment. */
export function parseBaseUrl(text: string, from: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`Cannot parse ${from}: expected an absolute URL, got "${text}"`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new UsageError(
      `Cannot use ${from} "${url.origin}": the API key is only sent over https (http is allowed for 127.0.0.1, localhost and [::1])`,
    );
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new UsageError(
      `Cannot use ${from}: credentials, a query or a fragment are not allowed in the base URL`,
    );
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

/** Splits comma-separated site ids, trims them and drops duplicates, keeping first-seen order. */
export function parseSites(values: readonly string[], from: string): string[] {
  const sites: string[] = [];
  for (const value of values) {
    for (const part of value.split(",")) {
      const site = part.trim();
      if (site === "") throw new UsageError(`Cannot parse ${from}: empty site id in "${value}"`);
      if (site === "." || site === "..") {
        // A URL path segment of "." or ".." would resolve to another endpoint, whatever its encoding.
        throw new UsageError(`Cannot use ${from}: "${site}" is not a site id`);
      }
      if (!sites.includes(site)) sites.push(site);
    }
  }
  return sites;
}

/**
 * Resolves the configuration of `sync` and `check` from their arguments (after the command
 * name). Throws {@link UsageError} for anything wrong, before any request is made.
 */
export function resolveConfig(
  args: readonly string[],
  sources: ConfigSources,
  command = "sync",
): SyncConfig {
  const flags = parseFlags(args, SYNC_OPTIONS, command);
  const dotEnv = readDotEnv(flags["env-file"], sources);
  const lookup = (name: string): { value: string; from: string } | undefined => {
    const real = sources.env(name);
    if (real !== undefined) return { value: real.trim(), from: "environment" };
    const fromFile = dotEnv.get(name);
    return fromFile === undefined ? undefined : { value: fromFile, from: ".env" };
  };
  /** A flag's value, else an environment variable's, with where it came from for messages. */
  const pick = (flag: string | undefined, flagName: string, envName: string | undefined) => {
    if (flag !== undefined) return { value: flag.trim(), from: `"--${flagName}"` };
    const entry = envName === undefined ? undefined : lookup(envName);
    return entry === undefined
      ? undefined
      : { value: entry.value, from: `${envName} (${entry.from})` };
  };

  const siteFlag = flags.site;
  const siteEnv = lookup("KRAKENFLEX_SITE");
  const sites = siteFlag !== undefined
    ? parseSites(siteFlag, `"--site"`)
    : siteEnv !== undefined
    ? parseSites([siteEnv.value], `KRAKENFLEX_SITE (${siteEnv.from})`)
    : [DEFAULT_SITE];

  const sinceEntry = pick(flags.since, "since", "KRAKENFLEX_SINCE");
  let since: Since;
  try {
    since = parseSince(sinceEntry?.value ?? DEFAULT_SINCE);
  } catch (error) {
    throw new UsageError(
      `Cannot parse ${sinceEntry?.from}: ${(error as Error).message}`,
      'Give the cut-off with an offset, e.g. "2022-01-01T00:00:00Z" or "2022-01-01T01:00:00+01:00".',
    );
  }

  const baseEntry = pick(flags["base-url"], "base-url", "KRAKENFLEX_BASE_URL");
  const baseUrl = parseBaseUrl(
    baseEntry?.value ?? DEFAULT_BASE_URL,
    baseEntry?.from ?? "the base URL",
  );

  const number = (
    flagName: string,
    envName: string | undefined,
    fallback: number,
    shape: { integer: boolean; min: number; max: number },
  ): number => {
    const entry = pick(
      flags[flagName as keyof typeof flags] as string | undefined,
      flagName,
      envName,
    );
    return entry === undefined ? fallback : parseNumber(entry.value, entry.from, shape);
  };
  const timeoutS = number("timeout", "KRAKENFLEX_TIMEOUT", 10, {
    integer: false,
    min: 0.001,
    max: 3600,
  });
  const maxAttempts = number("max-attempts", "KRAKENFLEX_MAX_ATTEMPTS", 5, {
    integer: true,
    min: 1,
    max: 100,
  });
  const deadlineS = number("deadline", "KRAKENFLEX_DEADLINE", 120, {
    integer: false,
    min: 0.001,
    max: 86400,
  });
  const concurrency = number("concurrency", undefined, 4, { integer: true, min: 1, max: 256 });
  const maxResponseMb = number("max-response-mb", "KRAKENFLEX_MAX_RESPONSE_MB", 512, {
    integer: false,
    min: 0.001,
    max: 4096,
  });

  const formatEntry = pick(flags["log-format"], "log-format", "KRAKENFLEX_LOG_FORMAT");
  const logFormat = formatEntry?.value ?? "text";
  if (logFormat !== "text" && logFormat !== "json") {
    throw new UsageError(
      `Cannot parse ${formatEntry?.from}: expected "text" or "json", got "${logFormat}"`,
    );
  }

  if (flags.quiet && flags.verbose) {
    throw new UsageError(`Cannot combine "--quiet" and "--verbose"`);
  }
  const levelEntry = pick(flags["log-level"], "log-level", "KRAKENFLEX_LOG_LEVEL");
  if (levelEntry !== undefined && !(LOG_LEVELS as readonly string[]).includes(levelEntry.value)) {
    throw new UsageError(
      `Cannot parse ${levelEntry.from}: expected one of ${
        LOG_LEVELS.join(", ")
      }, got "${levelEntry.value}"`,
    );
  }
  const level = flags.quiet ? "error" : flags.verbose ? "debug" : levelEntry?.value ?? "info";

  const metricsEntry = pick(flags["metrics-file"], "metrics-file", "KRAKENFLEX_METRICS_FILE");
  if (metricsEntry !== undefined && metricsEntry.value === "") {
    throw new UsageError(`Cannot use ${metricsEntry.from}: empty path`);
  }

  const apiKey = readKey(flags["api-key-file"]?.trim(), lookup, sources);

  return {
    sites,
    since,
    baseUrl,
    apiKey,
    dryRun: flags["dry-run"] ?? false,
    json: flags.json ?? false,
    skipInvalid: flags["skip-invalid"] ?? false,
    postEmpty: flags["post-empty"] ?? false,
    timeoutMs: Math.round(timeoutS * 1000),
    maxAttempts,
    deadlineMs: Math.round(deadlineS * 1000),
    concurrency,
    maxResponseBytes: Math.round(maxResponseMb * 1024 * 1024),
    logFormat,
    logLevel: level as LogLevel,
    metricsFile: metricsEntry?.value,
  };
}
