/**
 * An independent, strict client of the API for the emulator's fidelity tests, written from
 * api.yaml and not from the program's own client: plain `fetch`, one connection per request (so the
 * runtime resends nothing), no retries, no redirects followed, the whole body read before the status
 * is trusted, JSON parsed only under exactly `Content-Type: application/json` with a matching
 * `Content-Length`.
 * @module
 */

import assert from "node:assert/strict";

/** What the strict client makes of one request. */
export type Seen =
  | {
    readonly kind: "answer";
    readonly status: number;
    readonly headers: Headers;
    readonly text: string;
    /** The parsed body; a `SyntaxError` when it is not JSON. */
    readonly json: unknown;
    readonly ms: number;
  }
  | {
    readonly kind: "failed";
    /** Whether it failed before any response (`request`) or while reading the body (`body`). */
    readonly phase: "request" | "body";
    readonly error: unknown;
    /** The error's message and its causes', joined. */
    readonly why: string;
    readonly ms: number;
  };

function why(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) parts.push(`${e.name}: ${e.message}`);
  return parts.join(" <- ");
}

/**
 * One request as a strict client makes it: its own connection (no pool, so the runtime resends
 * nothing), redirects not followed, the body read to its end, JSON parsed only under exactly
 * `Content-Type: application/json` with a `Content-Length` that matches.
 */
export async function strict(url: string, init: RequestInit = {}): Promise<Seen> {
  using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const start = performance.now();
  const ms = () => performance.now() - start;
  let response: Response;
  try {
    response = await fetch(url, { ...init, client, redirect: "manual" });
  } catch (error) {
    return { kind: "failed", phase: "request", error, why: why(error), ms: ms() };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return { kind: "failed", phase: "body", error, why: why(error), ms: ms() };
  }
  const length = response.headers.get("content-length");
  if (length !== null) assert.equal(Number(length), new TextEncoder().encode(text).length);
  let json: unknown = undefined;
  if (response.headers.get("content-type") === "application/json") {
    try {
      json = JSON.parse(text);
    } catch (error) {
      json = error;
    }
  }
  return {
    kind: "answer",
    status: response.status,
    headers: response.headers,
    text,
    json,
    ms: ms(),
  };
}

/** Asserts that `seen` is an answer (not a failure) and returns it. */
export function answer(seen: Seen): Extract<Seen, { kind: "answer" }> {
  assert.equal(seen.kind, "answer", seen.kind === "failed" ? seen.why : "");
  return seen as Extract<Seen, { kind: "answer" }>;
}
