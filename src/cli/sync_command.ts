/**
 * `outage-sync sync` and `outage-sync check`: resolve the configuration, run the sync against the
 * HTTP API, print the report, write the metrics and return the exit code.
 * @module
 */

import { findMetricsFile, resolveSyncConfig, type SyncConfig } from "../config/sync_config.ts";
import { errorMessage, UsageError } from "../errors.ts";
import { createConnections, createHttpApi, type RequestStats } from "../http/client.ts";
import { createLogger, type Logger } from "../logger.ts";
import { writeMetricsFile } from "../metrics.ts";
import { ExitCode, exitCodeFor } from "../outcome.ts";
import { Pacer } from "../pacer.ts";
import { createRedactor } from "../redact.ts";
import { renderJsonReport, renderTextReport, type RunReport } from "../report.ts";
import { realClock } from "../retry_policy.ts";
import { runSync } from "../sync.ts";
import { EXIT_CODES_HELP, syncOptionsHelp } from "./help.ts";
import type { CliIo, Command } from "./io.ts";

/** The logger for a resolved configuration, redacting the key. */
function loggerFor(config: SyncConfig, io: CliIo): Logger {
  return createLogger({
    level: config.logLevel,
    format: config.logFormat,
    write: io.stderr,
    color: io.stderrIsTerminal && !config.noColor,
    secrets: [config.apiKey.reveal()],
  });
}

/** Writes the metrics file; a failure is logged, and does not change the exit code. */
async function writeMetrics(
  path: string,
  report: RunReport | undefined,
  facts: { attempts: number; retries: number; exitCode: number; endedAt: number },
  io: CliIo,
  logger: Logger,
): Promise<void> {
  try {
    if (io.fs === undefined) throw new Error("file writes are not available here");
    await writeMetricsFile(path, report, facts, {
      ...io.fs,
      readTextFile: (file) => io.readTextFile(file, 1024 * 1024),
    });
    logger.debug("metrics written", { path });
  } catch (error) {
    logger.error("cannot write the metrics file", {
      path,
      error: errorMessage(error),
      hint: error instanceof Deno.errors.NotCapable ? "grant write access to that path" : undefined,
    });
  }
}

/** What a finished sync run gave: its report and its exit code. */
export interface SyncOutcome {
  readonly report: RunReport;
  readonly code: number;
}

/** Runs a resolved configuration against the HTTP API: report on stdout, metrics, exit code. */
export async function runConfiguredSync(config: SyncConfig, io: CliIo): Promise<SyncOutcome> {
  const logger = loggerFor(config, io);
  for (const warning of config.warnings) logger.warn(warning);
  const redact = createRedactor([config.apiKey.reveal()]);
  const clock = io.clock ?? realClock;
  const stats: RequestStats = { attempts: 0, retries: 0 };
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
    deadline: clock.now() + config.deadlineMs,
    clock,
    logger,
    version: io.version,
    fetch: io.fetch,
    client: connections,
    redact,
    pacer,
    stats,
  });
  logger.debug("starting", {
    sites: config.sites.join(","),
    since: config.since.text,
    baseUrl: config.baseUrl.href,
    mode: config.mode,
  });
  const report = await runSync({
    sites: config.sites,
    since: config.since,
    baseUrl: config.baseUrl.href.replace(/\/$/, ""),
    mode: config.mode,
    skipInvalid: config.skipInvalid,
    postEmpty: config.postEmpty,
    concurrency: config.concurrency,
  }, { api, logger, signal: io.signal, now: clock.now, pacer });
  const rendering = { redact, skipInvalid: config.skipInvalid };
  io.stdout(
    config.json ? renderJsonReport(report, rendering) : renderTextReport(report, rendering),
  );
  const code = exitCodeFor(report.sites.map((site) => site.status), io.signal);
  logger.debug("finished", {
    attempts: stats.attempts,
    retries: stats.retries,
    ms: report.durationMs,
    code,
  });
  if (config.metricsFile !== undefined) {
    await writeMetrics(
      config.metricsFile,
      report,
      { ...stats, exitCode: code, endedAt: clock.now() },
      io,
      logger,
    );
  }
  return { report, code };
}

const SYNC_HELP = `Usage: outage-sync [sync] [options]

For each site: GET /outages (once per run) and GET /site-info/{site}; keep the outages of the
site's devices that began at or after the cut-off, name each after its device, and POST the list
to /site-outages/{site}. Nothing is posted for a site unless everything it depends on arrived and
validated. The report goes to stdout (a line per site, or --json); logs go to stderr.

${syncOptionsHelp()}
${EXIT_CODES_HELP}`;

const CHECK_HELP = `Usage: outage-sync check [options]

Check the configuration and reach the API without posting: fetch GET /outages once and each
site's info, validate them (invalid outage records are warned about, not fatal), and report each
site's name and device count. The first thing to run on a new machine.

${syncOptionsHelp()}
${EXIT_CODES_HELP}`;

/**
 * After a usage error, the metrics of a run that never started (exit 2), when the metrics path can
 * be found: a first deploy with a bad key must still show on the stale-success alert.
 */
async function writeUsageMetrics(args: readonly string[], io: CliIo): Promise<void> {
  const path = findMetricsFile(args, io);
  if (path === undefined) return;
  const logger = createLogger({ level: "error", format: "text", write: io.stderr });
  const clock = io.clock ?? realClock;
  const facts = { attempts: 0, retries: 0, exitCode: ExitCode.usage, endedAt: clock.now() };
  await writeMetrics(path, undefined, facts, io, logger);
}

function syncLike(command: "sync" | "check", help: string): Command {
  return {
    help,
    async run(args, io) {
      let config: SyncConfig;
      try {
        config = resolveSyncConfig(args, io, { command });
      } catch (error) {
        if (error instanceof UsageError) await writeUsageMetrics(args, io);
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
