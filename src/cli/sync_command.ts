/**
 * `outage-sync sync` and `outage-sync check`: resolve the configuration, run the sync against the
 * HTTP API, print the report, write the metrics and return the exit code.
 * @module
 */

import {
  findMetricsFile,
  findMetricsPush,
  resolveSyncConfig,
  type SyncConfig,
} from "../config/sync_config.ts";
import {
  describeError,
  errorMessage,
  type ErrorReport,
  FileRefused,
  StateLocked,
  UsageError,
} from "../errors.ts";
import type { BodyProgress } from "../http/body.ts";
import { createConnections, createHttpApi, type RequestStats } from "../http/client.ts";
import { createLogger, type Logger } from "../logger.ts";
import { pushMetrics } from "../http/pushgateway.ts";
import { checkMetricsPath, renderMetrics, type RunFacts, writeMetricsFile } from "../metrics.ts";
import { pushBody, pushBudgetMs } from "../metrics_push.ts";
import { ExitCode, exitCodeFor } from "../outcome.ts";
import { Pacer } from "../pacer.ts";
import { createRedactor } from "../redact.ts";
import { renderJsonReport, renderTextReport, type RunReport } from "../report.ts";
import { realClock, type RetryClock } from "../retry_policy.ts";
import { runSync } from "../sync.ts";
import { logWriter, startTracing, traceRun } from "../tracing.ts";
import { EXIT_CODES_HELP, syncOptionsHelp } from "./help.ts";
import { renderOptions } from "../config/flags.ts";
import { CHECK_OPTIONS, SYNC_OPTIONS } from "../config/sync_options.ts";
import type { CliIo, Command } from "./io.ts";
import { type OpenState, openStateDir } from "./state_store.ts";

/** The logger for a resolved configuration, redacting the key. */
function loggerFor(config: SyncConfig, io: CliIo): Logger {
  return createLogger({
    level: config.logLevel,
    format: config.logFormat,
    write: logWriter(io.stderr),
    color: io.stderrIsTerminal && !config.noColor,
    secrets: [config.apiKey.reveal()],
  });
}

/** What to do when the metrics file is outside what this build may write. */
function writeHint(io: CliIo): string {
  const paths = io.writablePaths ?? [];
  return paths.length === 0
    ? "this build may write no file: run from source with --allow-write=DIR, or rebuild"
    : `this build may write only under ${
      paths.join(", ")
    } (deno.json "permissions.default.write"): ` +
      "put the metrics file there, or add its directory to that list and rebuild (deno task compile)";
}

/** Why the metrics file cannot be written, in words, with the next step when there is one. */
function metricsProblem(error: unknown, io: CliIo): { reason: string; hint?: string } {
  // The runtime's own words suggest a flag that a compiled binary's user cannot give.
  if (error instanceof Deno.errors.NotCapable) {
    return { reason: "no write permission for this path", hint: writeHint(io) };
  }
  if (error instanceof FileRefused) return { reason: `it ${error.reason}` };
  if (error instanceof Deno.errors.NotFound) return { reason: "its directory does not exist" };
  if (error instanceof Deno.errors.PermissionDenied) {
    return { reason: "permission denied (its directory must be writable by this user)" };
  }
  return { reason: errorMessage(error) };
}

/**
 * Proves the metrics path usable before any request, as the state directory is: a usage error
 * (exit 2) naming the path and the fix otherwise.
 */
async function checkMetricsFile(path: string, io: CliIo): Promise<void> {
  try {
    if (io.fs === undefined) throw new Error("file writes are not available here");
    await checkMetricsPath(path, io.fs);
  } catch (error) {
    const problem = metricsProblem(error, io);
    throw new UsageError(
      `Cannot write the metrics file "${path}": ${problem.reason}`,
      problem.hint ??
        'Create its directory, writable by this user (docs/operations.md, "Install"), or give ' +
          "another path (--metrics-file, KRAKENFLEX_METRICS_FILE).",
    );
  }
}

/** Writes the metrics file; a failure is logged and returned in words (`undefined`: written). */
async function writeMetrics(
  path: string,
  report: RunReport | undefined,
  facts: Omit<RunFacts, "previousLastSuccess">,
  io: CliIo,
  logger: Logger,
): Promise<string | undefined> {
  try {
    if (io.fs === undefined) throw new Error("file writes are not available here");
    await writeMetricsFile(path, report, facts, {
      ...io.fs,
      readTextFile: (file) => io.readTextFile(file, 1024 * 1024),
    });
    logger.debug("metrics written", { path });
    return undefined;
  } catch (error) {
    const problem = metricsProblem(error, io);
    logger.error("cannot write the metrics file", {
      path,
      error: problem.reason,
      hint: problem.hint,
    });
    return `cannot write "${path}": ${problem.reason}`;
  }
}

/**
 * Pushes the metrics to the Pushgateway, within the per-attempt timeout and the run's deadline; a
 * failure is logged and returned in words, naming the group's URL (`undefined`: pushed).
 */
async function pushRunMetrics(
  url: URL,
  text: string,
  exitCode: number,
  io: CliIo,
  context: RunContext & { readonly timeoutMs: number },
): Promise<string | undefined> {
  const problem = await pushMetrics({
    url,
    body: pushBody(text, exitCode),
    budgetMs: pushBudgetMs(context.timeoutMs, context.clock.now(), context.deadline),
    version: io.version,
    fetch: io.fetch,
  });
  if (problem === undefined) {
    context.logger.debug("metrics pushed", { url: url.href });
    return undefined;
  }
  context.logger.error("cannot push the metrics", { url: url.href, error: problem });
  return `cannot push to "${url.href}": ${problem}`;
}

/**
 * Writes a sync's metrics to the file and pushes them to the Pushgateway, each when configured;
 * what failed, in words (`undefined`: all done). Only a sync records metrics: monitoring reads
 * what the syncs did, never a check or a dry run.
 */
async function recordRunMetrics(
  config: SyncConfig,
  report: RunReport | undefined,
  facts: Omit<RunFacts, "previousLastSuccess">,
  io: CliIo,
  context: RunContext,
): Promise<string | undefined> {
  if (config.mode !== "sync") return undefined;
  const problems: string[] = [];
  if (config.metricsFile !== undefined) {
    const problem = await writeMetrics(config.metricsFile, report, facts, io, context.logger);
    if (problem !== undefined) problems.push(problem);
  }
  if (config.metricsPush !== undefined) {
    // The gateway keeps its own last success: this run's text starts from none.
    const text = renderMetrics(report, { ...facts, previousLastSuccess: undefined });
    const pushing = { ...context, timeoutMs: config.timeoutMs };
    const problem = await pushRunMetrics(config.metricsPush, text, facts.exitCode, io, pushing);
    if (problem !== undefined) problems.push(problem);
  }
  return problems.length === 0 ? undefined : problems.join("; ");
}

/**
 * How a long transfer shows: on a terminal, one line on stderr that updates in place and goes
 * when the body is complete; elsewhere an info log line every five seconds. Never on stdout.
 */
export function progressReporter(io: CliIo, logger: Logger): (progress: BodyProgress) => void {
  let logged = Number.NEGATIVE_INFINITY;
  return (progress) => {
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    const rate = `${mb(progress.bytes / Math.max(progress.ms / 1000, 0.001))} MB/s`;
    const of = progress.total === undefined ? "" : ` of ${mb(progress.total)}`;
    if (io.stderrIsTerminal) {
      io.stderr(
        progress.done
          ? "\r\x1b[2K"
          : `\r\x1b[2K${progress.endpoint}: ${mb(progress.bytes)}${of} MB, ${rate}`,
      );
    } else if (!progress.done && progress.ms - logged >= 5000) {
      logged = progress.ms;
      logger.info("downloading", {
        endpoint: progress.endpoint,
        bytes: progress.bytes,
        total: progress.total,
        rate,
      });
    }
  };
}

/** The report of a run that failed before any site could be handled. */
function failedBeforeSites(config: SyncConfig, error: ErrorReport, durationMs: number): RunReport {
  return {
    ok: false,
    mode: config.mode,
    dryRun: config.mode !== "sync",
    since: config.since.text,
    baseUrl: config.baseUrl.href.replace(/\/$/, ""),
    outagesFetched: 0,
    outagesInvalid: 0,
    durationMs: Math.round(durationMs),
    sites: [],
    error,
    sitesConfigured: config.sites.length,
  };
}

/** What a finished sync run gave: its report and its exit code. */
export interface SyncOutcome {
  readonly report: RunReport;
  readonly code: number;
}

/** What a run keeps track of besides its configuration. */
interface RunContext {
  readonly logger: Logger;
  readonly clock: RetryClock;
  readonly deadline: number;
}

/**
 * The state directory, opened for the run. `check` proves it usable as a sync would find it
 * (created, writable, its lock free or held by another run) and keeps nothing open.
 */
async function openState(
  config: SyncConfig,
  io: CliIo,
  context: RunContext,
): Promise<OpenState | undefined> {
  if (config.stateDir === undefined) return undefined;
  const options = { ...context, signal: io.signal };
  if (config.mode !== "check") return await openStateDir(config.stateDir, io, options);
  try {
    // A deadline of now: another run holding the lock is no fault of the configuration.
    (await openStateDir(config.stateDir, io, { ...options, deadline: context.clock.now() }))
      .release();
  } catch (error) {
    if (!(error instanceof StateLocked)) throw error;
    context.logger.info("the state directory is usable; another run holds its lock now", {
      dir: config.stateDir,
    });
  }
  return undefined;
}

/**
 * Before any request: the metrics path and the state directory, as the sync will need them. A
 * sync whose state directory is unusable still writes its metrics (exit 2) before the error goes.
 */
async function prepareRun(
  config: SyncConfig,
  io: CliIo,
  context: RunContext,
): Promise<OpenState | undefined> {
  if (config.metricsFile !== undefined) await checkMetricsFile(config.metricsFile, io);
  try {
    return await openState(config, io, context);
  } catch (error) {
    if (error instanceof UsageError) {
      const facts = {
        attempts: 0,
        retries: 0,
        exitCode: ExitCode.usage,
        endedAt: context.clock.now(),
      };
      await recordRunMetrics(config, undefined, facts, io, context);
    }
    throw error;
  }
}

/** Runs a resolved configuration against the HTTP API: report on stdout, metrics, exit code. */
export function runConfiguredSync(config: SyncConfig, io: CliIo): Promise<SyncOutcome> {
  // With OTEL_DENO=true, the whole run is one trace under this span (docs/operations.md).
  startTracing((name) => io.env(name), [config.apiKey.reveal()], io.version);
  return traceRun(config.mode, config.sites.length, () => runTraced(config, io));
}

/** {@link runConfiguredSync}, inside the run's span when tracing is on. */
async function runTraced(config: SyncConfig, io: CliIo): Promise<SyncOutcome> {
  const logger = loggerFor(config, io);
  for (const warning of config.warnings) logger.warn(warning);
  const clock = io.clock ?? realClock;
  const stats: RequestStats = { attempts: 0, retries: 0 };
  const context: RunContext = { logger, clock, deadline: clock.now() + config.deadlineMs };
  const report = await syncOrLocked(config, io, context, stats);
  const code = exitCodeFor(report.sites.map((site) => site.status), io.signal);
  logger.debug("finished", {
    attempts: stats.attempts,
    retries: stats.retries,
    ms: report.durationMs,
    code,
  });
  const outcome = await recordMetrics(config, io, context, { report, code }, stats);
  printReport(config, io, outcome.report);
  return outcome;
}

/**
 * The run's report: the sync's, or one of a run that failed before any site because another run
 * holds the state directory's lock. The state directory is released whatever happened.
 */
async function syncOrLocked(
  config: SyncConfig,
  io: CliIo,
  context: RunContext,
  stats: RequestStats,
): Promise<RunReport> {
  const started = context.clock.now();
  let state: OpenState | undefined;
  try {
    state = await prepareRun(config, io, context);
    return await runWith(config, io, context, stats, state);
  } catch (error) {
    if (!(error instanceof StateLocked)) throw error;
    context.logger.error(error.message);
    return failedBeforeSites(config, describeError(error), context.clock.now() - started);
  } finally {
    state?.release();
  }
}

/**
 * Records the metrics of a finished sync (file, Pushgateway). A file that cannot be written or a
 * push that fails fails the report, and a run that was otherwise fine exits with
 * {@link ExitCode.metrics}.
 */
async function recordMetrics(
  config: SyncConfig,
  io: CliIo,
  context: RunContext,
  outcome: SyncOutcome,
  stats: RequestStats,
): Promise<SyncOutcome> {
  const facts = { ...stats, exitCode: outcome.code, endedAt: context.clock.now() };
  const problem = await recordRunMetrics(config, outcome.report, facts, io, context);
  if (problem === undefined) return outcome;
  return {
    report: { ...outcome.report, ok: false, metricsError: problem },
    code: outcome.code === ExitCode.ok ? ExitCode.metrics : outcome.code,
  };
}

/** The report on stdout, as text or JSON, with the key redacted. */
function printReport(config: SyncConfig, io: CliIo, report: RunReport): void {
  const rendering = {
    redact: createRedactor([config.apiKey.reveal()]),
    skipInvalid: config.skipInvalid,
  };
  io.stdout(
    config.json ? renderJsonReport(report, rendering) : renderTextReport(report, rendering),
  );
}

/** The sync itself, over a fresh client for the run. */
async function runWith(
  config: SyncConfig,
  io: CliIo,
  context: RunContext,
  stats: RequestStats,
  state: OpenState | undefined,
): Promise<RunReport> {
  const { logger, clock } = context;
  using connections = createConnections(config.baseUrl);
  const pacer = new Pacer(
    config.concurrency,
    clock,
    (change) =>
      logger.warn("rate limited: pacing the run", {
        sitesInFlight: change.window,
        holdMs: change.holdMs || undefined,
      }),
  );
  const api = createHttpApi({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    timeoutMs: config.timeoutMs,
    maxResponseBytes: config.maxResponseBytes,
    maxAttempts: config.maxAttempts,
    deadline: context.deadline,
    clock,
    logger,
    version: io.version,
    fetch: io.fetch,
    client: connections,
    keySource: config.apiKeySource,
    onProgress: progressReporter(io, logger),
    redact: createRedactor([config.apiKey.reveal()]),
    pacer,
    stats,
  });
  logger.debug("starting", {
    sites: config.sites.join(","),
    since: config.since.text,
    baseUrl: config.baseUrl.href,
    mode: config.mode,
  });
  return await runSync({
    sites: config.sites,
    since: config.since,
    baseUrl: config.baseUrl.href.replace(/\/$/, ""),
    mode: config.mode,
    skipInvalid: config.skipInvalid,
    postEmpty: config.postEmpty,
    concurrency: config.concurrency,
    repostAfterMs: config.repostAfterMs,
    force: config.force,
    listChanges: config.mode === "dry-run" || config.logLevel === "debug",
  }, { api, logger, signal: io.signal, now: clock.now, pacer, state: state?.store });
}

const SYNC_HELP = `Usage: outage-sync [sync] [options]

For each site: GET /outages (once per run) and GET /site-info/{site}; keep the
outages of the site's devices that began at or after the cut-off, name each
after its device, and POST the list to /site-outages/{site}. Nothing is posted
for a site unless everything it depends on arrived and validated. The report
goes to stdout (a line per site, or --json); logs go to stderr.

${syncOptionsHelp()}
${EXIT_CODES_HELP}`;

const CHECK_HELP = `Usage: outage-sync check [options]

Check what a sync needs, posting nothing and writing no metrics: the
configuration and the key, GET /outages once and each site's info, validated
as a sync validates them (invalid outage records fail the check unless
--skip-invalid), the state directory and the metrics path usable. Report each
site's name and device count. The first thing to run on a new machine.

Options (flag > environment > .env > default):
${renderOptions(CHECK_OPTIONS)}
${EXIT_CODES_HELP}`;

/**
 * After a usage error, the metrics of a run that never started (exit 2), to the file and the
 * Pushgateway that can be found: a first deploy with a bad key must still show on the alerts.
 */
async function writeUsageMetrics(args: readonly string[], io: CliIo): Promise<void> {
  const path = findMetricsFile(args, io);
  const push = findMetricsPush(args, io);
  const logger = createLogger({ level: "error", format: "text", write: io.stderr });
  const clock = io.clock ?? realClock;
  const facts = { attempts: 0, retries: 0, exitCode: ExitCode.usage, endedAt: clock.now() };
  if (path !== undefined) await writeMetrics(path, undefined, facts, io, logger);
  if (push === undefined) return;
  // The configuration did not resolve: the timeout and deadline are their defaults.
  const timeoutMs = Number(SYNC_OPTIONS.timeout.default) * 1000;
  const text = renderMetrics(undefined, { ...facts, previousLastSuccess: undefined });
  const context = { logger, clock, deadline: clock.now() + timeoutMs, timeoutMs };
  await pushRunMetrics(push, text, ExitCode.usage, io, context);
}

function syncLike(command: "sync" | "check", help: string): Command {
  return {
    help,
    async run(args, io) {
      let config: SyncConfig;
      try {
        config = resolveSyncConfig(args, io, { command });
      } catch (error) {
        // Only a sync's metrics: a check or a dry run never changes what monitoring reads.
        const dryRun = args.some((arg) => arg === "--dry-run" || arg.startsWith("--dry-run="));
        if (error instanceof UsageError && command === "sync" && !dryRun) {
          await writeUsageMetrics(args, io);
        }
        throw error;
      }
      return (await runConfiguredSync(config, io)).code;
    },
  };
}

/** `outage-sync sync`: the default command. */
export const syncCommand: Command = syncLike("sync", SYNC_HELP);

/** `outage-sync check`: the sync's fetches and validation, posting nothing. */
export const checkCommand: Command = syncLike("check", CHECK_HELP);
