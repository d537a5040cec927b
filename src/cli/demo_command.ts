/**
 * `outage-sync demo`: a real sync, over HTTP on loopback, against the emulator started in process
 * with a throw-away key. Needs no `.env` and no network beyond loopback.
 * @module
 */

import { booleanOption, parseFlags, renderOptions } from "../config/flags.ts";
import { resolveSyncConfig } from "../config/sync_config.ts";
import { startMockServer } from "../mock/server.ts";
import { ExitCode } from "../outcome.ts";
import { EXIT_CODES_HELP } from "./help.ts";
import type { CliIo, Command } from "./io.ts";
import { runConfiguredSync } from "./sync_command.ts";

/** The options of `demo`: they are passed on to the sync it runs. */
const DEMO_OPTIONS = {
  json: booleanOption({ flag: "json", help: "print the report as one JSON document on stdout" }),
  verbose: booleanOption({ flag: "verbose", short: "v", help: "log every request (debug level)" }),
  help: booleanOption({ flag: "help", short: "h", help: "show this help" }),
};

const DEMO_HELP = `Usage: outage-sync demo [options]

Start the emulator of the API in process, on a free 127.0.0.1 port with a
throw-away key and the real captured data, run a real sync against it over HTTP,
and print the report and the emulator's request log. Exits 0 when the emulator
accepted the POST. Needs no key, no .env and no network beyond loopback.

Options:
${renderOptions(DEMO_OPTIONS)}
${EXIT_CODES_HELP}`;

async function runDemo(args: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(args, DEMO_OPTIONS, "demo");
  const passThrough = [...flags.switches].filter((flag) => flag !== "help").map((f) => `--${f}`);
  const key = `demo-${crypto.randomUUID()}`;
  await using server = await startMockServer({ apiKey: key, port: 0 });
  io.stderr(
    `demo: emulator of the KrakenFlex API listening on ${server.url} (real captured data)\n`,
  );
  const env = (name: string) =>
    name === "KRAKENFLEX_API_KEY" ? key : name === "NO_COLOR" ? io.env(name) : undefined;
  const demoIo: CliIo = { ...io, env, readTextFile: () => undefined };
  const config = resolveSyncConfig(["--base-url", server.url, ...passThrough], demoIo, {
    command: "demo",
  });
  const { code } = await runConfiguredSync(config, demoIo);
  const log = server.api.requests();
  const accepted = log.some((entry) => entry.method === "POST" && entry.status === 200);
  const seen = log.map((entry) => `${entry.method} ${entry.path} → ${entry.status}`).join(", ");
  io.stderr(`demo: the emulator's request log: ${seen}\n`);
  io.stderr(
    accepted
      ? "demo: the emulator accepted the POST: the payload is exactly what the real API expects\n"
      : "demo: the emulator did not accept a POST\n",
  );
  return accepted && code === ExitCode.ok ? ExitCode.ok : ExitCode.failed;
}

/** `outage-sync demo`. */
export const demoCommand: Command = { help: DEMO_HELP, run: runDemo };
