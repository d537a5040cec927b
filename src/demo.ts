/**
 * `outage-sync demo`: a real sync, over HTTP on loopback, against the emulator started in process
 * with a throw-away key. Needs no `.env` and no network beyond loopback.
 * @module
 */

import { type CliIo, syncCommand } from "./cli.ts";
import { resolveConfig } from "./config.ts";
import { ExitCode, UsageError } from "./errors.ts";
import { startMockServer } from "./mock/server.ts";

/** Runs the demo; exit 0 when the emulator accepted the POST. */
export async function demoCommand(args: readonly string[], io: CliIo): Promise<number> {
  const allowed = new Set(["--json", "--verbose", "-v"]);
  const passThrough = args.filter((arg) => allowed.has(arg));
  if (passThrough.length !== args.length) {
    const unknown = args.find((arg) => !allowed.has(arg));
    throw new UsageError(
      `Unknown option "${unknown}" for demo`,
      "demo takes --json and --verbose only.",
    );
  }
  const key = `demo-${crypto.randomUUID()}`;
  const server = await startMockServer({ apiKey: key, port: 0 });
  try {
    io.stderr(
      `demo: emulator of the KrakenFlex API listening on ${server.url} (real captured data)\n`,
    );
    const env = (name: string) =>
      name === "KRAKENFLEX_API_KEY" ? key : name === "NO_COLOR" ? io.env(name) : undefined;
    const demoIo: CliIo = { ...io, env, readTextFile: () => undefined };
    const config = resolveConfig(["--base-url", server.url, ...passThrough], demoIo, "demo");
    const { code } = await syncCommand(config, demoIo);
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
  } finally {
    await server.close();
  }
}
