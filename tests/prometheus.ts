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
