/**
 * A small parser of the Prometheus text format for the metrics tests.
 * @module
 */

import assert from "node:assert/strict";

/** A small parser of the Prometheus text format: `name{labels} value` samples, HELP and TYPE. */
export function parsePrometheus(text: string): {
  samples: { name: string; labels: Record<string, string>; value: number }[];
  types: Map<string, string>;
} {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE (\w+) (gauge|counter)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    if (/^# HELP \w+ .+$/.test(line)) continue;
    const sample = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = value;
    }
    const value = Number(sample[3]);
    assert.ok(Number.isFinite(value), `bad value in: ${line}`);
    assert.ok(types.has(sample[1]), `sample before its TYPE: ${line}`);
    samples.push({ name: sample[1], labels, value });
  }
  return { samples, types };
}

/** What a `promtool` run gave. */
export interface PromtoolResult {
  code: number;
  /** What it printed on stdout. */
  stdout: string;
  /** Its stdout, then its stderr. */
  output: string;
}

/**
 * Runs Prometheus's `promtool` with `args` (and `stdin` when given); `undefined` when it is not
 * installed here (Debian: `apt-get install prometheus`).
 */
export async function promtool(
  args: readonly string[],
  options: { stdin?: string; cwd?: string } = {},
): Promise<PromtoolResult | undefined> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("promtool", {
      args: [...args],
      cwd: options.cwd,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  const out = decoder.decode(stdout);
  return { code, stdout: out, output: out + decoder.decode(stderr) };
}

/**
 * Whether the promtool tests run: when `promtool` is installed, and always under CI (`CI=true`),
 * where its absence fails them rather than skipping them.
 */
export async function promtoolRequired(): Promise<{ run: boolean; skipReason: string }> {
  const present = (await promtool(["--version"]))?.code === 0;
  const ci = Deno.env.get("CI") === "true";
  return {
    run: present || ci,
    skipReason: present || ci
      ? ""
      : " (skipped: promtool is not installed; apt-get install prometheus, as .ci/run does)",
  };
}
