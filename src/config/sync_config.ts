/**
 * The configuration of `sync` and `check` (docs/spec.md §5), resolved by a pure function of the arguments,
 * an environment look-up and a file reader, from the option table in `sync_options.ts`.
 * @module
 */

import { UsageError } from "../errors.ts";
import type { LogFormat, LogLevel } from "../logger.ts";
import type { RunMode } from "../outcome.ts";
import type { Secret } from "../secret.ts";
import type { Since } from "../timestamp.ts";
import { parsePushInstance, parsePushUrl, pushGroupUrl } from "../metrics_push.ts";
import { readApiKey } from "./api_key.ts";
import { looseModes, unknownVariables } from "./config_warnings.ts";
import { readEnvFile } from "./env_file.ts";
import { type GivenFlags, parseFlags, peekFlag } from "./flags.ts";
import { createSettings, type EnvLookup, type Settings } from "./settings.ts";
import type { ReadTextFile } from "./named_file.ts";
import { readSitesFile } from "./sites_file.ts";
import { CHECK_OPTIONS, SYNC_ONLY_OPTIONS, SYNC_OPTIONS } from "./sync_options.ts";
import { parsePath } from "./values.ts";

/** Everything `sync` and `check` need, resolved and validated. */
export interface SyncConfig {
  /** `sync` posts; `dry-run` computes and reports; `check` fetches and validates only. */
  readonly mode: RunMode;
  readonly sites: readonly string[];
  readonly since: Since;
  /** The base URL, its path ending in `/` so that endpoint paths resolve under it. */
  readonly baseUrl: URL;
  readonly apiKey: Secret;
  /** Where the key came from, e.g. `KRAKENFLEX_API_KEY (.env)`, for hints; never the key. */
  readonly apiKeySource: string;
  /** The key file the key was read from, if it was. */
  readonly apiKeyFile: string | undefined;
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
  /** Whether the environment asks for no colour (`NO_COLOR`, any value). */
  readonly noColor: boolean;
  readonly metricsFile: string | undefined;
  /** The Pushgateway group the metrics are pushed to (`URL/metrics/job/outage-sync[/instance/…]`). */
  readonly metricsPush: URL | undefined;
  /** Where each site's last accepted payload is kept; `undefined`: no state, no change detection. */
  readonly stateDir: string | undefined;
  /** Re-post an unchanged payload once its last POST is this old (0: always post). */
  readonly repostAfterMs: number;
  /** Post even an unchanged payload. */
  readonly force: boolean;
  /** Warnings about the configuration (e.g. a `.env` value cut at `#`), to log once it can be. */
  readonly warnings: readonly string[];
}

/** Where configuration comes from: the real environment and the file system, injected. */
export interface ConfigSources {
  /** A real environment variable, or `undefined`. */
  env(name: string): string | undefined;
  /** A file's text, or `undefined` when it does not exist; throws for other failures. */
  readonly readTextFile: ReadTextFile;
  /** The names of the real environment's variables, to catch misspelt ones (default: none). */
  envNames?(): readonly string[];
  /** A file's permission bits, to warn about loose ones (default: not checked). */
  fileMode?(path: string): number | undefined;
}

/** Which command the configuration is for. */
export interface ResolveOptions {
  /**
   * The command's name, from the dispatcher's table, named in hints (`outage-sync check --help`).
   * `check` takes check's options and sets the mode to `check`; any other takes sync's.
   */
  readonly command: string;
}

/**
 * Resolves the configuration of `sync` and `check` from their arguments (after the command name).
 * Throws {@link UsageError} for anything wrong, before any request is made.
 */
export function resolveSyncConfig(
  args: readonly string[],
  sources: ConfigSources,
  options: ResolveOptions = { command: "sync" },
): SyncConfig {
  if (options.command === "check") refuseSyncOnly(args);
  const table = options.command === "check" ? CHECK_OPTIONS : SYNC_OPTIONS;
  const flags = parseFlags(args, table, options.command);
  const envFlag = flags.values.get("env-file")?.[0]?.trim();
  const envFile = readEnvFile(envFlag, sources.readTextFile);
  const known = new Set(Object.values(SYNC_OPTIONS).flatMap((spec) => spec.env ?? []));
  const flagsOnly = Object.values(SYNC_OPTIONS).flatMap((spec) =>
    spec.flag !== undefined && spec.env === undefined ? [spec.flag] : []
  );
  const set = [
    ...(sources.envNames?.() ?? []).map((name) => ({ name, from: "environment" })),
    ...[...envFile.entries.keys()].map((name) => ({ name, from: ".env" })),
  ];
  const early = [...envFile.warnings, ...unknownVariables(set, known, flagsOnly)];
  try {
    const settings = resolveSettings(flags, envFile.entries, sources, options);
    const files = [
      ...(envFile.path === undefined ? [] : [{ path: envFile.path, what: "The env file" }]),
      ...(settings.apiKeyFile === undefined
        ? []
        : [{ path: settings.apiKeyFile, what: "The API key file" }]),
    ];
    const warnings = [
      ...early,
      ...(settings.force && settings.stateDir === undefined
        ? [
          "--force does nothing without a state directory (--state-dir, KRAKENFLEX_STATE_DIR): " +
          "without one, every run posts every site",
        ]
        : []),
      ...(sources.fileMode === undefined ? [] : looseModes(files, sources.fileMode)),
    ];
    return { ...settings, warnings };
  } catch (error) {
    // A value cut at "#" in .env, or a misspelt variable, is the likeliest cause of what went
    // wrong: say so with the error, before its own hint.
    if (error instanceof UsageError && early.length > 0) {
      const hint = error.hint === undefined ? "" : ` ${error.hint}`;
      throw new UsageError(error.message, `${early.join("; ")}.${hint}`);
    }
    throw error;
  }
}

/** A flag of `sync` given to `check`: a usage error that says why, not just "unknown". */
function refuseSyncOnly(args: readonly string[]): void {
  for (const name of SYNC_ONLY_OPTIONS) {
    const flag = SYNC_OPTIONS[name].flag as string;
    if (args.some((arg) => arg === `--${flag}` || arg.startsWith(`--${flag}=`))) {
      throw new UsageError(
        `Option "--${flag}" means nothing to check: it posts nothing`,
        "Give it to sync (outage-sync sync --help), or leave it out. " +
          "Run `outage-sync check --help` for the options.",
      );
    }
  }
}

function resolveSettings(
  flags: GivenFlags,
  dotEnv: ReadonlyMap<string, string>,
  sources: ConfigSources,
  options: ResolveOptions,
): Omit<SyncConfig, "warnings"> {
  const o = SYNC_OPTIONS;
  const lookup = envLookup(dotEnv, sources);
  const settings = createSettings(flags, lookup);

  const sites = resolveSites(settings, sources);
  const since = settings.value(o.since);
  const baseUrl = settings.value(o.baseUrl);
  const timeoutS = settings.value(o.timeout);
  const maxAttempts = settings.value(o.maxAttempts);
  const deadlineS = settings.value(o.deadline);
  const concurrency = settings.value(o.concurrency);
  const maxResponseMb = settings.value(o.maxResponseMb);
  const logFormat = settings.value(o.logFormat);
  const logLevel = resolveLogLevel(settings);
  const metricsFile = settings.value(o.metricsFile);
  const metricsPush = pushGroup(
    settings.value(o.metricsPushUrl),
    settings.value(o.metricsPushInstance),
  );
  const flagKeyFile = flags.values.get("api-key-file")?.[0]?.trim();
  const apiKey = readApiKey(flagKeyFile, lookup, sources.readTextFile);

  return {
    mode: options.command === "check" ? "check" : settings.given(o.dryRun) ? "dry-run" : "sync",
    sites,
    since,
    baseUrl,
    apiKey: apiKey.key,
    apiKeySource: apiKey.source,
    apiKeyFile: apiKey.file,
    json: settings.given(o.json),
    skipInvalid: settings.given(o.skipInvalid),
    postEmpty: settings.given(o.postEmpty),
    timeoutMs: Math.round(timeoutS * 1000),
    maxAttempts,
    deadlineMs: Math.round(deadlineS * 1000),
    concurrency,
    maxResponseBytes: Math.round(maxResponseMb * 1024 * 1024),
    logFormat,
    logLevel,
    noColor: settings.value(o.noColor) !== undefined,
    metricsFile,
    metricsPush,
    stateDir: settings.value(o.stateDir) ?? systemdStateDirectory(sources),
    repostAfterMs: settings.value(o.repostAfter),
    force: settings.given(o.force),
  };
}

/** The Pushgateway group to push to; an instance without a URL would be silently ignored. */
function pushGroup(url: URL | undefined, instance: string | undefined): URL | undefined {
  if (url !== undefined) return pushGroupUrl(url, instance);
  if (instance === undefined) return undefined;
  throw new UsageError(
    `Cannot use "--metrics-push-instance" (KRAKENFLEX_METRICS_PUSH_INSTANCE) without a Pushgateway`,
    "Give --metrics-push-url (KRAKENFLEX_METRICS_PUSH_URL) too, or leave the instance out.",
  );
}

/** A variable from the real environment (trimmed), else from `.env`, saying which. */
function envLookup(dotEnv: ReadonlyMap<string, string>, sources: ConfigSources): EnvLookup {
  return (name) => {
    const real = sources.env(name);
    if (real !== undefined) return { text: real.trim(), from: "environment" };
    const fromFile = dotEnv.get(name);
    return fromFile === undefined ? undefined : { text: fromFile, from: ".env" };
  };
}

/**
 * The sites, each once, in the order given: those named (`--site`, `KRAKENFLEX_SITE`), then those
 * of the sites file. A sites file alone replaces the default site rather than adding to it.
 */
function resolveSites(settings: Settings, sources: ConfigSources): string[] {
  const o = SYNC_OPTIONS;
  const sitesFile = settings.source(o.sitesFile);
  const named = settings.source(o.site) !== undefined || sitesFile === undefined
    ? settings.list(o.site).flat()
    : [];
  const fromFile = sitesFile === undefined ? [] : readSitesFile(
    parsePath(sitesFile.text, sitesFile.from),
    sitesFile.from,
    sources.readTextFile,
  );
  return [...new Set([...named, ...fromFile])];
}

/** The log level: `--quiet` and `--verbose` (never both) override the level option. */
function resolveLogLevel(settings: Settings): LogLevel {
  const o = SYNC_OPTIONS;
  if (settings.given(o.quiet) && settings.given(o.verbose)) {
    throw new UsageError(`Cannot combine "--quiet" and "--verbose"`);
  }
  const level = settings.value(o.logLevel);
  return settings.given(o.quiet) ? "error" : settings.given(o.verbose) ? "debug" : level;
}

/** systemd's `$STATE_DIRECTORY` (set by `StateDirectory=`): its first path, when set. */
function systemdStateDirectory(sources: ConfigSources): string | undefined {
  const first = sources.env("STATE_DIRECTORY")?.split(":")[0]?.trim();
  return first === undefined || first === "" ? undefined : first;
}

/**
 * A setting of a command line that did not resolve (a usage error), found as far as it can be:
 * the flag, else the environment, else `.env`. `undefined` when none names one.
 */
function findSetting(
  args: readonly string[],
  sources: ConfigSources,
  spec: { readonly flag?: string; readonly env?: string },
): string | undefined {
  const fromFlag = peekFlag(args, spec.flag as string);
  if (fromFlag !== undefined) return fromFlag === "" ? undefined : fromFlag;
  const fromEnv = sources.env(spec.env as string)?.trim();
  if (fromEnv !== undefined) return fromEnv === "" ? undefined : fromEnv;
  try {
    const fromFile = readEnvFile(peekFlag(args, "env-file"), sources.readTextFile).entries.get(
      spec.env as string,
    );
    return fromFile === "" ? undefined : fromFile;
  } catch {
    return undefined; // The env file is what failed: nothing from there.
  }
}

/** The metrics path of a command line that did not resolve (a usage error), if one is named. */
export function findMetricsFile(
  args: readonly string[],
  sources: ConfigSources,
): string | undefined {
  return findSetting(args, sources, SYNC_OPTIONS.metricsFile);
}

/**
 * The Pushgateway group of a command line that did not resolve (a usage error), when its URL (and
 * instance, if any) can be found and are valid; `undefined` otherwise.
 */
export function findMetricsPush(
  args: readonly string[],
  sources: ConfigSources,
): URL | undefined {
  const url = findSetting(args, sources, SYNC_OPTIONS.metricsPushUrl);
  const instance = findSetting(args, sources, SYNC_OPTIONS.metricsPushInstance);
  try {
    return url === undefined ? undefined : pushGroup(
      parsePushUrl(url, "the Pushgateway URL"),
      instance === undefined ? undefined : parsePushInstance(instance, "the instance"),
    );
  } catch {
    return undefined; // A malformed URL or instance may be the usage error itself.
  }
}
