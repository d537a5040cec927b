/**
 * Validation of what comes in from the API and of what goes out (docs/spec.md §4). Hand-written type
 * guards: they run once per outage, a million times on a large system, so they must stay cheap
 * (see `docs/benchmarks.md` for the comparison with zod that decided this).
 * @module
 */

import { ValidationError } from "./errors.ts";
import { isRfc3339, rfc3339Problem } from "./timestamp.ts";
import type { EnhancedOutage, SiteInfo } from "./api_shapes.ts";

/**
 * A value quoted for an error message, whole: output cuts long text only after the key has been
 * redacted from it (a cut here could leave part of an echoed key that redaction no longer finds).
 */
export function quote(value: unknown): string {
  try {
    return value === undefined ? "undefined" : JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringFieldProblem(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  if (typeof value === "string") return undefined;
  return value === undefined
    ? `field "${field}": missing`
    : `field "${field}": expected a string, got ${kindOf(value)}`;
}

function timestampFieldProblem(record: Record<string, unknown>, field: string): string | undefined {
  const typeProblem = stringFieldProblem(record, field);
  if (typeProblem !== undefined) return typeProblem;
  const text = record[field] as string;
  const problem = rfc3339Problem(text);
  return problem === undefined ? undefined : `field "${field}": ${problem}: ${quote(text)}`;
}

/** Why `value` is not a valid outage record, or `undefined` when it is one. */
export function outageProblem(value: unknown): string | undefined {
  if (!isObject(value)) return `expected an object, got ${kindOf(value)}`;
  return stringFieldProblem(value, "id") ?? timestampFieldProblem(value, "begin") ??
    timestampFieldProblem(value, "end");
}

/** An outage record that failed validation: its index in the body (from 0) and the problem. */
export interface InvalidOutage {
  readonly index: number;
  readonly problem: string;
}

/** The message for an invalid outage record, in the form `GET /outages: item 3, field "begin": ...`. */
export function describeInvalidOutage(entry: InvalidOutage, where = "GET /outages"): string {
  return `${where}: item ${entry.index}, ${entry.problem}`;
}

/**
 * Checks a `GET /site-info/{siteId}` body and returns it typed. Throws a {@link ValidationError}
 * naming the first problem's path. The site's `id` must be the one asked for: a payload is never
 * built from another site's devices.
 */
export function validateSiteInfo(body: unknown, siteId: string, where: string): SiteInfo {
  const fail = (path: string, problem: string): never => {
    throw new ValidationError(`${where}: ${path}${problem}`);
  };
  if (!isObject(body)) return fail("", `expected a site-info object, got ${kindOf(body)}`);
  for (const field of ["id", "name"]) {
    const problem = stringFieldProblem(body, field);
    if (problem !== undefined) fail("", problem);
  }
  if (body.id !== siteId) fail("", `field "id": expected ${quote(siteId)}, got ${quote(body.id)}`);
  const devices = body.devices;
  if (!Array.isArray(devices)) {
    return fail(
      "",
      devices === undefined
        ? `field "devices": missing`
        : `field "devices": expected an array, got ${kindOf(devices)}`,
    );
  }
  for (let i = 0; i < devices.length; i++) {
    const device = devices[i];
    if (!isObject(device)) fail(`device ${i}, `, `expected an object, got ${kindOf(device)}`);
    const problem = stringFieldProblem(device, "id") ?? stringFieldProblem(device, "name");
    if (problem !== undefined) fail(`device ${i}, `, problem);
  }
  return body as unknown as SiteInfo;
}

/** Why `value` is not a valid `EnhancedOutage` with exactly its four keys, or `undefined`. */
export function enhancedOutageProblem(value: unknown): string | undefined {
  if (!isObject(value)) return `expected an object, got ${kindOf(value)}`;
  const keys = Object.keys(value);
  if (keys.length !== 4) return `expected the keys id, name, begin, end, got ${keys.join(", ")}`;
  return stringFieldProblem(value, "id") ?? stringFieldProblem(value, "name") ??
    timestampFieldProblem(value, "begin") ?? timestampFieldProblem(value, "end");
}

/**
 * {@link enhancedOutageProblem} without building a message, for the common case. Flat on purpose:
 * every outage posted goes through it (docs/benchmarks.md).
 */
// Stryker disable next-line BlockStatement: a fast path answering undefined (false) leaves every element to enhancedOutageProblem, which gives the same verdict
function isValidEnhancedOutage(value: unknown): boolean {
  // Stryker disable next-line StringLiteral: typeof never gives "", so the fast path answers false and enhancedOutageProblem decides
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  if (Object.keys(value).length !== 4) return false;
  const { id, name, begin, end } = value as Record<string, unknown>;
  // Stryker disable next-line StringLiteral: typeof never gives "", so the fast path answers false and enhancedOutageProblem decides
  return typeof id === "string" && typeof name === "string" && typeof begin === "string" &&
    // Stryker disable next-line StringLiteral: typeof never gives "", so the fast path answers false and enhancedOutageProblem decides
    typeof end === "string" && isRfc3339(begin) && isRfc3339(end);
}

/** Checks the outgoing payload against `EnhancedOutage`; throws a {@link ValidationError}. */
export function validatePayload(payload: readonly EnhancedOutage[], where: string): void {
  for (let i = 0; i < payload.length; i++) {
    if (isValidEnhancedOutage(payload[i])) continue;
    const problem = enhancedOutageProblem(payload[i]);
    if (problem !== undefined) {
      throw new ValidationError(`${where}: payload item ${i}, ${problem}; nothing was posted`);
    }
  }
}
