// deno-lint-ignore-file no-console -- a build script, not the program: it reports on its own terminal.
/**
 * Builds the single-artifact forms of outage-sync with the permission set of `deno.json`
 * (`permissions.default`), the one place that defines it:
 *
 * - `bundle`: `dist/outage-sync.js`, one self-contained file with a `deno run` shebang;
 * - `compile`: `dist/outage-sync` for this machine;
 * - `compile-all`: one binary per release target, named by target.
 *
 * `--print` prints the commands without running them; `--dist DIR` writes into `DIR` instead of
 * `dist/`. A failed compile ends with the next step to take ({@link nextStepAfterCompileFailure}).
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

/** The release targets of `compile-all`. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

type PermissionValue = boolean | string[];

/** The `deno run`/`deno compile` flags for `deno.json`'s default permission set. */
export function permissionFlags(
  permissions: Record<string, PermissionValue> = denoJson.permissions.default,
): string[] {
  const flags: string[] = [];
  for (const [name, value] of Object.entries(permissions)) {
    if (value === true) flags.push(`--allow-${name}`);
    else if (Array.isArray(value) && value.length > 0) {
      flags.push(`--allow-${name}=${value.join(",")}`);
    }
  }
  return flags;
}

const root = new URL("../", import.meta.url);
const defaultDist = new URL("dist/", root);

/**
 * What to do after `deno compile` failed: build the bundle, or hand `deno compile` a local runtime
 * through `DENORT_BIN` (which it reads instead of downloading `denort` from dl.deno.land). When
 * `DENORT_BIN` was set already, the runtime it names is the likely cause. After `compile-all`,
 * which refuses `DENORT_BIN`, it suggests building this machine's binary alone with one instead.
 */
export function nextStepAfterCompileFailure(
  denortBin: string | undefined,
  command: "compile" | "compile-all" = "compile",
): string {
  if (denortBin !== undefined && denortBin !== "") {
    return `Next: DENORT_BIN is set ("${denortBin}"): check that it names the denort binary of ` +
      `Deno ${Deno.version.deno} for ${Deno.build.target} (not deno itself), ` +
      "or use `deno task bundle` (a single file that runs with deno)";
  }
  if (command === "compile-all") {
    return "Next: compile-all downloads each target's runtime from dl.deno.land and cannot use a " +
      "local one: run it where dl.deno.land is reachable, or build this machine's binary alone " +
      "with DENORT_BIN=/path/to/denort deno task compile, or use `deno task bundle` " +
      "(docs/operations.md, section 1)";
  }
  return "Next: use `deno task bundle` (a single file that runs with deno), or give deno compile " +
    "its runtime with DENORT_BIN=/path/to/denort (docs/operations.md, section 1)";
}

/**
 * Why `compile-all` must not run, or `undefined`: deno compile puts the runtime `DENORT_BIN` names
 * into every binary, whatever `--target` says, so five targets would get one runtime.
 */
export function compileAllRefusal(denortBin: string | undefined): string | undefined {
  if (denortBin === undefined || denortBin === "") return undefined;
  return `Cannot run "compile-all" with DENORT_BIN set: deno compile would put that one runtime ` +
    `("${denortBin}") into the binaries of all ${TARGETS.length} targets; unset DENORT_BIN, ` +
    "or build this machine's binary alone with `deno task compile`";
}

/** Runs `deno ARGS` after printing it (only prints it when `print`); throws when it fails. */
export type DenoRunner = (args: string[], print: boolean) => Promise<void>;

/** The real {@link DenoRunner}: the `deno` running this script, in the repository root. */
export async function runDeno(args: string[], print: boolean): Promise<void> {
  console.log(`deno ${args.join(" ")}`);
  if (print) return;
  const { code } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new Error(`deno ${args[0]} failed with exit code ${code}`);
}

/** The bundle's first line: `deno run` with the permission set, never prompting. */
export function bundleShebang(): string {
  return `#!/usr/bin/env -S deno run --no-prompt ${permissionFlags().join(" ")}`;
}

/**
 * Bundles `main.ts` into `output` (default `dist/outage-sync.js`) with {@link bundleShebang},
 * through `runner`.
 */
export async function bundle(
  print = false,
  output = new URL("outage-sync.js", defaultDist).pathname,
  runner: DenoRunner = runDeno,
): Promise<string> {
  const args = ["bundle", "--quiet", "--platform", "deno", "--packages", "bundle"];
  await runner([...args, "-o", output, "main.ts"], print);
  if (!print) {
    const code = await Deno.readTextFile(output);
    await Deno.writeTextFile(output, `${bundleShebang()}\n${code.replace(/^#!.*\n/, "")}`);
    await Deno.chmod(output, 0o755);
  }
  return output;
}

/**
 * Compiles a binary for `target` (this machine's when undefined) into `output` (default under
 * `dist/`), through `runner`.
 */
export async function compile(
  target: string | undefined,
  print = false,
  output = new URL(target === undefined ? "outage-sync" : `outage-sync-${target}`, defaultDist)
    .pathname,
  runner: DenoRunner = runDeno,
): Promise<string> {
  const targetFlags = target === undefined ? [] : ["--target", target];
  await runner(
    ["compile", "--no-prompt", ...permissionFlags(), ...targetFlags, "--output", output, "main.ts"],
    print,
  );
  return output;
}

/** What {@link buildMain} needs from outside, injected for tests. */
export interface BuildIo {
  /** `DENORT_BIN`, if set. */
  readonly denortBin: string | undefined;
  /** The directory a relative `--dist` is read from. */
  readonly cwd: string;
  /** Prints one line on stderr. */
  error(line: string): void;
  /** Runs deno (see {@link runDeno}). */
  readonly runner: DenoRunner;
}

const COMMANDS = ["bundle", "compile", "compile-all"];

/**
 * The command line of this script: `bundle|compile|compile-all [--print] [--dist DIR]`. Returns the
 * exit code: 0, 1 when a build failed (with the next step after a failed compile), 2 for a usage
 * error or `compile-all` with `DENORT_BIN` set.
 */
export async function buildMain(args: readonly string[], io: BuildIo): Promise<number> {
  const [command, ...rest] = args;
  const print = rest.includes("--print");
  const distAt = rest.indexOf("--dist");
  const dist = distAt >= 0 && rest[distAt + 1] !== undefined
    ? new URL(`${rest[distAt + 1].replace(/\/*$/, "")}/`, `file://${io.cwd}/`)
    : defaultDist;
  if (!COMMANDS.includes(command)) {
    io.error(
      "usage: deno run -A scripts/build.ts bundle|compile|compile-all [--print] [--dist DIR]",
    );
    return 2;
  }
  const refusal = command === "compile-all" ? compileAllRefusal(io.denortBin) : undefined;
  if (refusal !== undefined) {
    io.error(refusal);
    return 2;
  }
  const compileTo = (target: string | undefined) => {
    const name = target === undefined ? "outage-sync" : `outage-sync-${target}`;
    return compile(target, print, new URL(name, dist).pathname, io.runner);
  };
  try {
    if (!print) await Deno.mkdir(dist, { recursive: true });
    if (command === "bundle") {
      await bundle(print, new URL("outage-sync.js", dist).pathname, io.runner);
    } else if (command === "compile") await compileTo(undefined);
    else for (const target of TARGETS) await compileTo(target);
  } catch (error) {
    // deno compile's own message, above, says why (e.g. dl.deno.land unreachable).
    io.error(`Build failed: ${error instanceof Error ? error.message : error}`);
    if (command !== "bundle") {
      io.error(nextStepAfterCompileFailure(io.denortBin, command as "compile" | "compile-all"));
    }
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(
    await buildMain(Deno.args, {
      denortBin: Deno.env.get("DENORT_BIN"),
      cwd: Deno.cwd(),
      error: (line) => console.error(line),
      runner: runDeno,
    }),
  );
}
