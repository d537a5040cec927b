/**
 * The entry point: wires real I/O (arguments, environment, files, stdout/stderr, signals) to
 * {@link main} and exits with its code.
 * @module
 */

import denoJson from "./deno.json" with { type: "json" };

/** The program's version, from `deno.json`. */
export const VERSION: string = denoJson.version;

function readTextFile(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function run(args: string[]): Promise<number> {
  if (args[0] === "--version" || args[0] === "-V") {
    // Answered before anything else is loaded: start-up time matters to scripts that call it.
    Deno.stdout.writeSync(
      new TextEncoder().encode(`outage-sync ${VERSION} (${Deno.build.target})\n`),
    );
    return 0;
  }
  const { main } = await import("./src/cli.ts");
  const controller = new AbortController();
  let signalCode: number | undefined;
  const onSignal = (name: "SIGINT" | "SIGTERM", code: number) => () => {
    signalCode ??= code;
    controller.abort(new Error(`interrupted by ${name}`));
  };
  const sigint = onSignal("SIGINT", 130);
  const sigterm = onSignal("SIGTERM", 143);
  const windows = Deno.build.os === "windows";
  Deno.addSignalListener("SIGINT", sigint);
  if (!windows) Deno.addSignalListener("SIGTERM", sigterm);
  const encoder = new TextEncoder();
  const write = (stream: typeof Deno.stdout) => (text: string) => {
    const bytes = encoder.encode(text);
    for (let written = 0; written < bytes.length;) {
      written += stream.writeSync(bytes.subarray(written));
    }
  };
  try {
    const code = await main(args, {
      env: (name) => Deno.env.get(name),
      readTextFile,
      stdout: write(Deno.stdout),
      stderr: write(Deno.stderr),
      stderrIsTerminal: Deno.stderr.isTerminal(),
      signal: controller.signal,
      version: VERSION,
    });
    return signalCode ?? code;
  } finally {
    Deno.removeSignalListener("SIGINT", sigint);
    if (!windows) Deno.removeSignalListener("SIGTERM", sigterm);
  }
}

if (import.meta.main) Deno.exit(await run(Deno.args));
