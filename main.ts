/**
 * The entry point: wires real I/O (arguments, environment, files, stdout/stderr, signals) to the
 * dispatcher in `src/cli/main.ts` and exits with its code. The adapters themselves live in
 * `src/cli/real_io.ts`.
 * @module
 */

import denoJson from "./deno.json" with { type: "json" };
import {
  fileMode,
  readTextFile,
  realFileWriter,
  realOutputs,
  stateFiles,
} from "./src/cli/real_io.ts";
import { Interrupted } from "./src/errors.ts";

/** The program's version, from `deno.json`. */
export const VERSION: string = denoJson.version;

async function run(args: string[]): Promise<number> {
  const { stdout, stderr } = realOutputs();
  if (args[0] === "--version" || args[0] === "-V") {
    // Answered before any command is loaded: start-up time matters to scripts that call it.
    stdout(`outage-sync ${VERSION} (${Deno.build.target})\n`);
    return 0;
  }
  const { main } = await import("./src/cli/main.ts");
  const controller = new AbortController();
  const onSignal = (name: "SIGINT" | "SIGTERM") => () => {
    if (!controller.signal.aborted) controller.abort(new Interrupted(name));
  };
  const sigint = onSignal("SIGINT");
  const sigterm = onSignal("SIGTERM");
  const windows = Deno.build.os === "windows";
  Deno.addSignalListener("SIGINT", sigint);
  if (!windows) Deno.addSignalListener("SIGTERM", sigterm);
  try {
    return await main(args, {
      env: (name) => Deno.env.get(name),
      envNames: () => Object.keys(Deno.env.toObject()),
      fileMode,
      writablePaths: denoJson.permissions.default.write,
      readTextFile,
      stdout,
      stderr,
      stderrIsTerminal: Deno.stderr.isTerminal(),
      signal: controller.signal,
      version: VERSION,
      fs: realFileWriter,
      stateFiles,
    });
  } finally {
    Deno.removeSignalListener("SIGINT", sigint);
    if (!windows) Deno.removeSignalListener("SIGTERM", sigterm);
  }
}

if (import.meta.main) Deno.exit(await run(Deno.args));
