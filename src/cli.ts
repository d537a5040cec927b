/**
 * The command line: dispatches commands, turns configuration into a run, writes the report and
 * returns the exit code. All I/O is passed in by `main.ts`.
 * @module
 */

import { createHttpApi, type RequestStats } from "./api.ts";
import { resolveConfig, type SyncConfig } from "./config.ts";
import { errorMessage, ExitCode, Interrupted, UsageError } from "./errors.ts";
import { MAIN_HELP } from "./help.ts";
import { createLogger, type Logger, redact } from "./logger.ts";
import {
  type MetricsFs,
  previousLastSuccess,
  renderMetrics,
  writeFileAtomically,
} from "./metrics.ts";
import { exitCodeFor, renderJsonReport, renderTextReport, type RunReport } from "./report.ts";
import { realClock, type RetryClock } from "./retry_policy.ts";
import { runSync } from "./sync.ts";

/** The program's window on the world. */
export interface CliIo {
  env(name: string): string | undefined;
  /** A file's text, or `undefined` when it does not exist. */
  readTextFile(path: string): string | undefined;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (colour is only used there). */
  readonly stderrIsTerminal: boolean;
  /** Aborted on SIGINT/SIGTERM, with an {@link Interrupted} reason. */
  readonly signal: AbortSignal;
  /** File writes, for `--metrics-file` only. */
  readonly fs?: MetricsFs;
  readonly fetch?: typeof fetch;
  readonly clock?: RetryClock;
  /** The program's version. */
  readonly version: string;
}

/** Commands other than the default. */
const COMMANDS = new Set(["sync", "check", "mock-api", "demo"]);

function usageFailure(io: CliIo, error: UsageError): number {
  io.stderr(`outage-sync: ${error.message}\n${error.hint}\n`);
  return ExitCode.usage;
}

/** The logger for a resolved configuration, redacting the key. */
export function loggerFor(config: SyncConfig, io: CliIo): Logger {
  return createLogger({
    level: config.logLevel,
    format: config.logFormat,
    write: io.stderr,
    color: io.stderrIsTerminal && io.env("NO_COLOR") === undefined,
    secrets: [config.apiKey.reveal()],
  });
}

/** The exit code of a finished run: the signal's when it was interrupted. */
function finalExitCode(report: RunReport, signal: AbortSignal): number {
  return signal.aborted && signal.reason instanceof Interrupted
    ? signal.reason.exitCode
    : exitCodeFor(report);
}

/** Writes the metrics file; a failure is logged, and does not change the exit code. */
async function writeMetrics(
  path: string,
  report: RunReport,
  facts: { attempts: number; retries: number; exitCode: number; endedAt: number },
  io: CliIo,
  logger: Logger,
): Promise<void> {
  try {
    if (io.fs === undefined) throw new Error("file writes are not available here");
    let previous: string | undefined;
    try {
      previous = io.readTextFile(path);
    } catch {
      previous = undefined; // Unreadable: the last success time starts afresh.
    }
    const text = renderMetrics(report, {
      ...facts,
      previousLastSuccess: previousLastSuccess(previous),
    });
    await writeFileAtomically(path, text, io.fs);
    logger.debug("metrics written", { path });
  } catch (error) {
    logger.error("cannot write the metrics file", {
      path,
      error: errorMessage(error),
      hint: error instanceof Deno.errors.NotCapable ? "grant write access to that path" : undefined,
    });
  }
}

/** Runs `sync` (or `check`) with a resolved configuration against the HTTP API. */
export async function syncCommand(
  config: SyncConfig,
  io: CliIo,
  checkOnly = false,
): Promise<{ report: RunReport; code: number }> {
  const logger = loggerFor(config, io);
  const clock = io.clock ?? realClock;
  const stats: RequestStats = { attempts: 0, retries: 0 };
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
    stats,
  });
  logger.debug("starting", {
    sites: config.sites.join(","),
    since: config.since.text,
    baseUrl: config.baseUrl.href,
    dryRun: config.dryRun,
  });
  const report = await runSync({
    sites: config.sites,
    since: config.since,
    baseUrl: config.baseUrl.href.replace(/\/$/, ""),
    dryRun: config.dryRun || checkOnly,
    skipInvalid: config.skipInvalid || checkOnly,
    postEmpty: config.postEmpty,
    concurrency: config.concurrency,
    checkOnly,
  }, { api, logger, signal: io.signal, now: clock.now });
  const text = config.json ? renderJsonReport(report) : renderTextReport(report);
  io.stdout(redact(text, [config.apiKey.reveal()]));
  const code = finalExitCode(report, io.signal);
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

/** The program: parses `args`, runs the command and returns the exit code. */
export async function main(args: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = args;
  if (
    first === "--version" || first === "-V" ||
    (COMMANDS.has(first ?? "") && rest.includes("--version"))
  ) {
    io.stdout(`outage-sync ${io.version} (${Deno.build.target})\n`);
    return ExitCode.ok;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    io.stdout(MAIN_HELP);
    return ExitCode.ok;
  }
  const command = first !== undefined && !first.startsWith("-") ? first : "sync";
  const commandArgs = first !== undefined && !first.startsWith("-") ? rest : args;
  if (!COMMANDS.has(command)) {
    return usageFailure(
      io,
      new UsageError(
        `Unknown command "${command}"`,
        "Commands: sync, check, mock-api, demo. Run `outage-sync --help`.",
      ),
    );
  }
  try {
    if (command === "mock-api") {
      const { mockApiCommand } = await import("./mock/command.ts");
      return await mockApiCommand([...commandArgs], {
        env: io.env,
        stdout: io.stdout,
        stderr: io.stderr,
        readTextFile: (path: string) => {
          const text = io.readTextFile(path);
          return text === undefined
            ? Promise.reject(new Error(`no such file: "${path}"`))
            : Promise.resolve(text);
        },
        signal: io.signal,
      });
    }
    if (commandArgs.includes("--help") || commandArgs.includes("-h")) {
      io.stdout(MAIN_HELP);
      return ExitCode.ok;
    }
    if (command === "demo") {
      const { demoCommand } = await import("./demo.ts");
      return await demoCommand(commandArgs, io);
    }
    const config = resolveConfig(commandArgs, io, command);
    return (await syncCommand(config, io, command === "check")).code;
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(io, error);
    throw error;
  }
}
