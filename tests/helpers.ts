/**
 * Shared test helpers: the real captured data, a hand-written stub of {@link OutageApi}, a logger
 * that keeps its lines, and disposable temporary directories.
 * @module
 */

import type { FileWriter } from "../src/atomic_file.ts";
import { realFileWriter as mainFileWriter } from "../src/cli/real_io.ts";
import type { EnhancedOutage } from "../src/api_shapes.ts";
import assert from "node:assert/strict";
import { ApiError, UsageError, ValidationError } from "../src/errors.ts";
import { NotAnArrayError, parseOutageFeed } from "../src/outage_feed.ts";
import type { Logger } from "../src/logger.ts";
import type { OutageApi } from "../src/outage_api.ts";

const dataDir = new URL("../src/mock/data/", import.meta.url);

/** The real `GET /outages` body. */
export const realOutages: unknown[] = JSON.parse(
  Deno.readTextFileSync(new URL("outages.json", dataDir)),
);
/** The real `GET /site-info/norwich-pear-tree` body. */
export const realSiteInfo: { id: string; name: string; devices: { id: string; name: string }[] } =
  JSON
    .parse(Deno.readTextFileSync(new URL("site-info-norwich-pear-tree.json", dataDir)));
/** The payload the real API accepts for norwich-pear-tree. */
export const realExpected: EnhancedOutage[] = JSON.parse(
  Deno.readTextFileSync(new URL("expected-site-outages-norwich-pear-tree.json", dataDir)),
);

/** One recorded call of the stub. */
export interface StubCall {
  method: "getOutages" | "getSiteInfo" | "postSiteOutages";
  siteId?: string;
  payload?: readonly EnhancedOutage[];
}

/** What the stub answers: a body, or an error to throw, per call. */
export interface StubPlan {
  outages?: unknown | Error | (() => Promise<unknown>);
  sites?: Record<string, unknown | Error>;
  post?: Record<string, Error | undefined>;
}

/** A hand-written stub of the API that records its calls. */
export function stubApi(plan: StubPlan): OutageApi & { calls: StubCall[] } {
  const calls: StubCall[] = [];
  const answer = (value: unknown) =>
    value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
  return {
    calls,
    async getOutages() {
      calls.push({ method: "getOutages" });
      const outages = plan.outages ?? realOutages;
      const body = typeof outages === "function"
        ? await (outages as () => Promise<unknown>)()
        : await answer(outages);
      // The body goes through the client's own reader, as if it had come over HTTP.
      try {
        return parseOutageFeed(JSON.stringify(body));
      } catch (error) {
        if (error instanceof NotAnArrayError) {
          throw new ValidationError(`GET /outages: ${error.message}`);
        }
        throw error;
      }
    },
    getSiteInfo(siteId) {
      calls.push({ method: "getSiteInfo", siteId });
      const sites = plan.sites ?? { "norwich-pear-tree": realSiteInfo };
      if (!(siteId in sites)) {
        return Promise.reject(
          new ApiError(
            "http",
            `GET /site-info/${siteId}`,
            `GET /site-info/${siteId}: the API answered 404`,
            {
              status: 404,
            },
          ),
        );
      }
      return answer(sites[siteId]);
    },
    postSiteOutages(siteId, payload) {
      calls.push({ method: "postSiteOutages", siteId, payload });
      const error = plan.post?.[siteId];
      return error === undefined ? Promise.resolve() : Promise.reject(error);
    },
  };
}

/** A logger that keeps its lines, for assertions. */
export function memoryLogger(): Logger & {
  lines: { level: string; msg: string; fields?: unknown }[];
} {
  const lines: { level: string; msg: string; fields?: unknown }[] = [];
  const at = (level: string) => (msg: string, fields?: unknown) =>
    void lines.push({ level, msg, fields });
  return {
    lines,
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    enabled: () => true,
  };
}

/** A temporary directory; `await using dir = await tempDir()` removes it at scope exit. */
export interface TempDir extends AsyncDisposable {
  readonly path: string;
}

/** Creates a temporary directory, removed with everything in it when disposed. */
export async function tempDir(prefix = "outage-sync-test-"): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** The real file system, as the program's `--metrics-file` writes to it: `src/cli/real_io.ts`'s own. */
export const realFileWriter: FileWriter = mainFileWriter;

/** Asserts that `fn` throws a one-line UsageError (message and hint), matching `pattern`, and returns it. */
export function usageError(fn: () => unknown, pattern?: RegExp): UsageError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof UsageError, `expected a UsageError, got ${caught}`);
  assert.ok(!caught.message.includes("\n"), `message not one line: ${caught.message}`);
  assert.ok(!(caught.hint ?? "").includes("\n"), `hint not one line: ${caught.hint}`);
  assert.ok(caught.message.length > 0);
  if (pattern !== undefined) assert.match(caught.message, pattern);
  return caught;
}

/** Files in memory that the program both reads and writes, for `--metrics-file`. */
export function memoryFiles(): { files: Record<string, string>; fs: FileWriter } {
  const files: Record<string, string> = {};
  const fs: FileWriter = {
    kind: (path) => Promise.resolve(Object.hasOwn(files, path) ? "file" : "missing"),
    writeTextFile: (path, text) => (files[path] = text, Promise.resolve()),
    rename: (from, to) => {
      files[to] = files[from];
      delete files[from];
      return Promise.resolve();
    },
    remove: (path) => (delete files[path], Promise.resolve()),
  };
  return { files, fs };
}
