/**
 * The fault matrix (docs/spec.md §7): every fault the emulator can script, on every endpoint, once
 * (survivable faults must be survived) and on every attempt (the run must fail cleanly). For each
 * row: the exit code, the attempts the emulator saw per route, whether a POST reached it and with
 * which body, and that the key never appeared in the output. "Lost data" — a POST with a wrong
 * body, or any POST after a GET failed — must never happen.
 */

import assert from "node:assert/strict";
import type { Route, ScriptedResponse } from "../src/mock/scripts.ts";
import { type MockServer, startMockServer } from "../src/mock/server.ts";
import { realExpected } from "./helpers.ts";
import { faultMatrixDoc, tableRows } from "./hostile_table.ts";
import { runMain } from "./in_process.ts";
import { startScriptedServer } from "./scripted_server.ts";

const KEY = "SENTINEL-matrix-key-77aa";
const MAX_ATTEMPTS = 3;
/**
 * The per-attempt timeout, seconds, of the rows whose fault is a hang: each of their attempts
 * waits for it (12 attempts in the matrix), so it is short, yet ample for the emulator's loopback
 * answer to the attempt after a hang.
 */
const HANG_TIMEOUT = "0.1";
/** The timeout of every other row: it never fires there, so it is generous against slow machines. */
const TIMEOUT = "5";

interface Fault {
  name: string;
  response: (elsewhere: string) => ScriptedResponse;
  retried: boolean;
  /** The answer never comes: the row waits for {@link HANG_TIMEOUT} on each attempt. */
  hang?: boolean;
  /** A 2xx whose body the POST does not need: the POST succeeds at once. */
  harmlessOnPost?: boolean;
}

const FAULTS: Fault[] = [
  { name: "500", response: () => 500, retried: true },
  { name: "502", response: () => 502, retried: true },
  { name: "503", response: () => 503, retried: true },
  { name: "504", response: () => 504, retried: true },
  {
    name: "500 empty body",
    response: () => ({ kind: "status", status: 500, body: "" }),
    retried: true,
  },
  {
    name: "500 HTML body",
    response: () => ({
      kind: "status",
      status: 500,
      body: "<html><body><h1>500 Internal Server Error</h1></body></html>",
      headers: { "content-type": "text/html" },
    }),
    retried: true,
  },
  { name: "408", response: () => 408, retried: true },
  {
    name: "429 with Retry-After",
    response: () => ({ kind: "status", status: 429, headers: { "retry-after": "2" } }),
    retried: true,
  },
  { name: "429 without Retry-After", response: () => 429, retried: true },
  { name: "reset", response: () => "reset", retried: true },
  { name: "hang past the timeout", response: () => "hang", retried: true, hang: true },
  { name: "truncated body", response: () => "truncate", retried: true },
  { name: "malformed JSON", response: () => "malformed", retried: true, harmlessOnPost: true },
  {
    name: "redirect",
    response: (elsewhere) => ({ kind: "redirect", location: `${elsewhere}/x` }),
    retried: false,
  },
  { name: "400", response: () => 400, retried: false },
  { name: "403", response: () => 403, retried: false },
  { name: "404", response: () => 404, retried: false },
];

const ROUTES: Route[] = ["GET /outages", "GET /site-info", "POST /site-outages"];

function routeOf(entry: { method: string; path: string }): Route {
  if (entry.method === "POST") return "POST /site-outages";
  return entry.path.includes("/site-info/") ? "GET /site-info" : "GET /outages";
}

/** One row's outcome, for the summary table. */
type Outcome = "survived" | "failed cleanly" | "lost data";
const matrix: { fault: string; route: Route; once: Outcome; always: Outcome }[] = [];

async function runRow(
  server: MockServer,
  route: Route,
  responses: ScriptedResponse[],
  timeout: string,
) {
  server.api.reset();
  server.api.script(route, responses);
  const result = await runMain(
    [
      "sync",
      "--base-url",
      server.url,
      "--max-attempts",
      String(MAX_ATTEMPTS),
      "--timeout",
      timeout,
      "--log-level",
      "debug",
    ],
    { KRAKENFLEX_API_KEY: KEY },
  );
  const log = server.api.requests();
  const attempts = (r: Route) => log.filter((entry) => routeOf(entry) === r).length;
  const posts = log.filter((entry) => entry.method === "POST");
  const getsOk = ["GET /outages", "GET /site-info"].every((r) =>
    log.some((entry) => routeOf(entry) === r && entry.status === 200)
  );
  const lostData =
    posts.some((post) => JSON.stringify(post.body) !== JSON.stringify(realExpected)) ||
    (posts.length > 0 && !getsOk);
  assert.ok(
    !result.stdout.includes(KEY) && !result.stderr.includes(KEY),
    "the key appeared in the output",
  );
  return { result, attempts, posts, lostData };
}

type Row = Awaited<ReturnType<typeof runRow>>;

/**
 * The rows of the faults that wait out a timeout on every attempt, started at once on an emulator
 * of their own and run one after another: their waits then overlap the other rows' work. Keyed by
 * fault, route and `once` or `always`.
 */
function runAhead(server: MockServer, elsewhere: string): Map<string, Promise<Row>> {
  const rows = new Map<string, Promise<Row>>();
  let previous: Promise<unknown> = Promise.resolve();
  for (const fault of FAULTS.filter((fault) => fault.hang)) {
    for (const route of ROUTES) {
      for (const times of [1, MAX_ATTEMPTS]) {
        const responses = Array.from({ length: times }, () => fault.response(elsewhere));
        const row = previous.then(() => runRow(server, route, responses, HANG_TIMEOUT));
        previous = row.catch(() => {});
        rows.set(`${fault.name} on ${route}, ${times === 1 ? "once" : "always"}`, row);
      }
    }
  }
  return rows;
}

Deno.test("fault matrix: every fault × endpoint, once and on every attempt", async (t) => {
  await using elsewhere = startScriptedServer(() => new Response("{}"));
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  await using hangServer = await startMockServer({ apiKey: KEY, port: 0 });
  const ahead = runAhead(hangServer, elsewhere.url);
  for (const fault of FAULTS) {
    const timeout = fault.hang ? HANG_TIMEOUT : TIMEOUT;
    for (const route of ROUTES) {
      const row = {
        fault: fault.name,
        route,
        once: "survived" as Outcome,
        always: "survived" as Outcome,
      };
      await t.step(`${fault.name} on ${route}, once`, async () => {
        const { result, attempts, posts, lostData } = await (
          ahead.get(`${fault.name} on ${route}, once`) ??
            runRow(server, route, [fault.response(elsewhere.url)], timeout)
        );
        assert.equal(lostData, false);
        const harmless = route === "POST /site-outages" && fault.harmlessOnPost;
        if (fault.retried || harmless) {
          assert.equal(result.code, 0, result.stdout + result.stderr);
          assert.equal(attempts(route), harmless ? 1 : 2);
          assert.equal(posts.length, route === "POST /site-outages" && !harmless ? 2 : 1);
          assert.ok(posts.some((post) => post.status === 200));
        } else {
          assert.equal(result.code, 1, result.stdout + result.stderr);
          assert.equal(attempts(route), 1);
          // A GET that failed means no POST at all; a refused POST was sent once, exactly right.
          assert.equal(posts.length, route === "POST /site-outages" ? 1 : 0);
        }
        if (fault.name === "429 with Retry-After") assert.deepEqual(result.sleeps, [2000]);
        row.once = lostData ? "lost data" : result.code === 0 ? "survived" : "failed cleanly";
      });
      await t.step(`${fault.name} on ${route}, every attempt`, async () => {
        const responses = Array.from(
          { length: MAX_ATTEMPTS },
          () => fault.response(elsewhere.url),
        );
        const { result, attempts, posts, lostData } = await (
          ahead.get(`${fault.name} on ${route}, always`) ??
            runRow(server, route, responses, timeout)
        );
        assert.equal(lostData, false);
        const harmless = route === "POST /site-outages" && fault.harmlessOnPost;
        if (harmless) {
          assert.equal(result.code, 0);
        } else {
          assert.equal(result.code, 1, result.stdout + result.stderr);
          assert.equal(attempts(route), fault.retried ? MAX_ATTEMPTS : 1);
          assert.equal(posts.length, route === "POST /site-outages" ? attempts(route) : 0);
          assert.ok(posts.every((post) => post.status !== 200 || post.fault !== undefined));
          assert.match(result.stdout, /^failed +norwich-pear-tree[ :]/m);
          if (fault.retried) {
            assert.match(result.stdout, new RegExp(`gave up after ${MAX_ATTEMPTS} attempts`));
          }
        }
        row.always = lostData ? "lost data" : result.code === 0 ? "survived" : "failed cleanly";
      });
      matrix.push(row);
    }
  }
  assert.equal(elsewhere.requests.length, 0, "a redirect was followed");
  // The doc's table is this run's, row for row, and so is the summary table after it.
  const doc = faultMatrixDoc();
  const rows = matrix.map((row) => [row.fault, row.route, row.once, row.always]);
  assert.deepEqual(tableRows(doc, "# Fault matrix"), rows, "docs/fault-matrix.md, the matrix");
  const outcomes = matrix.flatMap((row) => [row.once, row.always]);
  const summary = (["survived", "failed cleanly", "lost data"] as const)
    .map((outcome) => [outcome, String(outcomes.filter((o) => o === outcome).length)]);
  assert.deepEqual(tableRows(doc, "# Fault matrix", 1), summary, "docs/fault-matrix.md, summary");
});

Deno.test("docs/fault-matrix.md: every Hostile inputs row names a test file, and test, that exist", () => {
  for (const cells of tableRows(faultMatrixDoc(), "## Hostile inputs")) {
    const [, file, name] = /^`(\w+_test\.ts)`(?:: (.+))?/.exec(cells[4] ?? "") ?? [];
    assert.ok(file !== undefined, `no test file named in "${cells.join(" | ")}"`);
    const source = Deno.readTextFileSync(new URL(file, import.meta.url));
    if (name === undefined) continue;
    assert.ok([`"`, `'`, "`"].some((quote) => source.includes(quote + name)), `${file}: ${name}`);
  }
});

// Twenty-five seeds: about two runs in three meet at least one 500 (three requests, each failing
// with probability 0.3), so a few dozen retries over the three endpoints; with eight attempts a
// request fails for good once in 15,000 (0.3⁸), so every run must post. More seeds only cost time.
Deno.test("random 500s: --fail-rate 0.3 over 25 seeded runs, every run posts the exact payload", async () => {
  let posted = 0;
  const failed = new Set<string>();
  for (let seed = 1; seed <= 25; seed++) {
    await using server = await startMockServer({ apiKey: KEY, port: 0, failRate: 0.3, seed });
    const result = await runMain(["--base-url", server.url, "--max-attempts", "8", "-q"], {
      KRAKENFLEX_API_KEY: KEY,
    });
    assert.equal(result.code, 0, `seed ${seed}: ${result.stdout}`);
    const accepted = server.api.requests().filter((entry) =>
      entry.method === "POST" && entry.status === 200
    );
    assert.equal(accepted.length, 1, `seed ${seed}`);
    assert.equal(JSON.stringify(accepted[0].body), JSON.stringify(realExpected));
    for (const entry of server.api.requests()) {
      if (entry.status === 500) failed.add(`${entry.method} ${entry.path.split("/")[1]}`);
    }
    posted++;
  }
  assert.equal(posted, 25);
  // The seeds did put every endpoint through a 500 and its retry.
  assert.deepEqual([...failed].sort(), ["GET outages", "GET site-info", "POST site-outages"]);
});

Deno.test("a Retry-After that would pass --deadline fails the request at once, saying so", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  server.api.script("GET /outages", [{
    kind: "status",
    status: 503,
    headers: { "retry-after": "60" },
  }]);
  const result = await runMain(["--base-url", server.url, "--deadline", "5"], {
    KRAKENFLEX_API_KEY: KEY,
  });
  assert.equal(result.code, 1);
  assert.deepEqual(result.sleeps, []);
  assert.match(
    result.stdout,
    /GET \/outages: the API answered 503: .*not retried: waiting 60\.0 s as Retry-After asks would pass the run's deadline/,
  );
  assert.equal(server.api.requests().filter((e) => e.path === "/outages").length, 1);
  assert.equal(server.api.requests().filter((e) => e.method === "POST").length, 0);
});

Deno.test("one failing site among several: the others are posted, exit 3", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  const result = await runMain([
    "--base-url",
    server.url,
    "--site",
    "norwich-pear-tree,unknown-site",
  ], {
    KRAKENFLEX_API_KEY: KEY,
  });
  assert.equal(result.code, 3);
  const posts = server.api.requests().filter((e) => e.method === "POST");
  assert.equal(posts.length, 1);
  assert.equal(posts[0].status, 200);
  assert.equal(server.api.requests().filter((e) => e.path === "/outages").length, 1);
});
