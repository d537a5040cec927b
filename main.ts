/**
 * The entry point: wires real I/O (arguments, environment, files, stdout/stderr, signals) to the
 * dispatcher in `src/cli/main.ts` and exits with its code.
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
  const [{ main }, { Interrupted }] = await Promise.all([
    import("./src/cli/main.ts"),
    import("./src/errors.ts"),
  ]);
  const controller = new AbortController();
  const onSignal = (name: "SIGINT" | "SIGTERM") => () => {
    if (!controller.signal.aborted) controller.abort(new Interrupted(name));
  };
  const sigint = onSignal("SIGINT");
  const sigterm = onSignal("SIGTERM");
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
    return await main(args, {
      env: (name) => Deno.env.get(name),
      readTextFile,
      stdout: write(Deno.stdout),
      stderr: write(Deno.stderr),
      stderrIsTerminal: Deno.stderr.isTerminal(),
      signal: controller.signal,
      version: VERSION,
      fs: {
        writeTextFile: (path, text) => Deno.writeTextFile(path, text, { mode: 0o644 }),
        rename: (from, to) => Deno.rename(from, to),
        remove: (path) => Deno.remove(path),
      },
    });
  } finally {
    Deno.removeSignalListener("SIGINT", sigint);
    if (!windows) Deno.removeSignalListener("SIGTERM", sigterm);
  }
}

if (import.meta.main) Deno.exit(await run(Deno.args));
