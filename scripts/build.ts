// deno-lint-ignore-file no-console -- a build script, not the program: it reports on its own terminal.
/**
 * Builds the single-artifact forms of outage-sync with the permission set of `deno.json`
 * (`permissions.default`), the one place that defines it:
 *
 * - `bundle`: `dist/outage-sync.js`, one self-contained file with a `deno run` shebang;
 * - `compile`: `dist/outage-sync` for this machine;
 * - `compile-all`: one binary per release target, named by target.
 *
 * `--print` prints the commands without running them.
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
const dist = new URL("dist/", root);

async function run(args: string[], print: boolean): Promise<void> {
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

/** Bundles `main.ts` into `output` (default `dist/outage-sync.js`) with {@link bundleShebang}. */
export async function bundle(
  print = false,
  output = new URL("outage-sync.js", dist).pathname,
): Promise<string> {
  const args = ["bundle", "--quiet", "--platform", "deno", "--packages", "bundle"];
  await run([...args, "-o", output, "main.ts"], print);
  if (!print) {
    const code = await Deno.readTextFile(output);
    await Deno.writeTextFile(output, `${bundleShebang()}\n${code.replace(/^#!.*\n/, "")}`);
    await Deno.chmod(output, 0o755);
  }
  return output;
}

/** Compiles a binary for `target` (this machine's when undefined) into `output` (default under `dist/`). */
export async function compile(
  target: string | undefined,
  print = false,
  output = new URL(target === undefined ? "outage-sync" : `outage-sync-${target}`, dist).pathname,
): Promise<string> {
  const targetFlags = target === undefined ? [] : ["--target", target];
  await run(
    ["compile", "--no-prompt", ...permissionFlags(), ...targetFlags, "--output", output, "main.ts"],
    print,
  );
  return output;
}

if (import.meta.main) {
  const [command, ...rest] = Deno.args;
  const print = rest.includes("--print");
  if (!print) await Deno.mkdir(dist, { recursive: true });
  try {
    switch (command) {
      case "bundle":
        await bundle(print);
        break;
      case "compile":
        await compile(undefined, print);
        break;
      case "compile-all":
        for (const target of TARGETS) await compile(target, print);
        break;
      default:
        console.error("usage: deno run -A scripts/build.ts bundle|compile|compile-all [--print]");
        Deno.exit(2);
    }
  } catch (error) {
    // deno compile's own message, above, says why (e.g. dl.deno.land unreachable).
    console.error(`build failed: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
