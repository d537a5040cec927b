/**
 * The dispatcher: `--version`, `--help`, and routing to a command module, loaded only when it
 * runs. Usage errors from any command are printed here, in one shape, with exit code 2.
 * @module
 */

import { peekFlag, renderOptions } from "../config/flags.ts";
import { SYNC_OPTIONS } from "../config/sync_options.ts";
import { UsageError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { ExitCode } from "../outcome.ts";
import { renderJsonFailure } from "../report.ts";
import { EXIT_CODES_HELP } from "./help.ts";
import type { CliIo, Command } from "./io.ts";

/** The commands, each with its one-line summary and its module, loaded on use. */
const COMMANDS: Readonly<Record<string, { usage: string; load(): Promise<Command> }>> = {
  sync: {
    usage: "[sync] [options]   sync outages to sites (the default command)",
    load: async () => (await import("./sync_command.ts")).syncCommand,
  },
  check: {
    usage: "check [options]    check the settings, reach the API, post nothing",
    load: async () => (await import("./sync_command.ts")).checkCommand,
  },
  "mock-api": {
    usage: "mock-api [options] serve a local emulator of the API",
    load: async () => (await import("./mock_api_command.ts")).mockApiCommand,
  },
  demo: {
    usage: "demo [options]     sync against an in-process emulator of the API",
    load: async () => (await import("./demo_command.ts")).demoCommand,
  },
};

/** The names of the commands, in the order help lists them: from the table, never written twice. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** `outage-sync --help`: the commands, the options of the default command, the exit codes. */
export function mainHelp(): string {
  const usage = Object.values(COMMANDS).map((command) => `  outage-sync ${command.usage}`);
  return `outage-sync — keep per-site outage records in step with the KrakenFlex API

Usage:
${usage.join("\n")}
  outage-sync --help | --version

Run \`outage-sync COMMAND --help\` for what one command takes.

Options of sync and check (flag > environment > .env > default):
${renderOptions(SYNC_OPTIONS)}
Output: the report on stdout (a line per site, or --json); logs on stderr.

${EXIT_CODES_HELP}`;
}

/** Whether the words given, or the environment, ask for `--log-format json` (read leniently). */
function wantsJsonLogs(args: readonly string[], io: CliIo): boolean {
  const format = SYNC_OPTIONS.logFormat;
  return (peekFlag(args, format.flag as string) ?? io.env(format.env as string))?.trim() === "json";
}

/**
 * A usage error, in the shape the command line asked for: a JSON log line with
 * `--log-format json`, a JSON document on stdout with `--json` (so that a caller parsing it
 * always gets one), and two plain lines otherwise.
 */
function reportUsageError(message: string, hint: string, args: readonly string[], io: CliIo): void {
  if (wantsJsonLogs(args, io)) {
    createLogger({ level: "error", format: "json", write: io.stderr }).error(message, {
      hint,
      kind: "usage",
    });
  } else {
    io.stderr(`outage-sync: ${message}\n${hint}\n`);
  }
  if (args.includes("--json")) io.stdout(renderJsonFailure({ message, kind: "usage" }));
}

function versionLine(io: CliIo): string {
  return `outage-sync ${io.version} (${Deno.build.target})\n`;
}

/** The program: parses `args`, runs the command and returns the exit code. */
export async function main(args: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = args;
  const named = first !== undefined && !first.startsWith("-");
  const name = named ? first : "sync";
  const commandArgs = named ? rest : args;
  if (first === "--version" || first === "-V") {
    io.stdout(versionLine(io));
    return ExitCode.ok;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    io.stdout(mainHelp());
    return ExitCode.ok;
  }
  try {
    const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (entry === undefined) {
      throw new UsageError(
        `Unknown command "${name}"`,
        `Commands: ${COMMAND_NAMES.join(", ")}. Run \`outage-sync --help\`.`,
      );
    }
    if (named && commandArgs.includes("--version")) {
      io.stdout(versionLine(io));
      return ExitCode.ok;
    }
    const command = await entry.load();
    if (commandArgs.includes("--help") || commandArgs.includes("-h")) {
      io.stdout(command.help);
      return ExitCode.ok;
    }
    return await command.run(commandArgs, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const hint = error.hint ?? `Run \`outage-sync ${named ? `${name} ` : ""}--help\` for usage.`;
    reportUsageError(error.message, hint, commandArgs, io);
    return ExitCode.usage;
  }
}
