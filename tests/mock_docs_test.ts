/**
 * The `--fault` and `--script` examples of docs/emulator.md ("Scripts from the command line"), run
 * as they are written — the command lines read from the `sh` blocks, `faults.json` from the `json`
 * block — in process, and checked request by request with the strict client against what their
 * comments say. Only `--port 8080` becomes `--port 0`, so that tests never need a fixed port.
 */

import assert from "node:assert/strict";
import { KIND_NAMES, KINDS } from "../src/mock/fault_kinds.ts";
import { startMain } from "./in_process.ts";
import { answer, type Seen, strict } from "./strict_client.ts";

const DOC = await Deno.readTextFile(new URL("../docs/emulator.md", import.meta.url));
const EXPECTED_TEXT = await Deno.readTextFile(
  new URL("../src/mock/data/expected-site-outages-norwich-pear-tree.json", import.meta.url),
);
const KEY = "any-local-key";

/** The fenced blocks of the section, as [info string, text]. */
function sectionBlocks(heading: string): [string, string][] {
  const start = DOC.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `docs/emulator.md has "${heading}"`);
  const end = DOC.indexOf("\n## ", start + heading.length);
  const section = DOC.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```(.*)\n([\s\S]*?)^```$/gm)].map((m) => [m[1], m[2]]);
}

/**
 * The words of a `deno task mock ...` command line in a shell block: comments dropped, continued
 * lines joined, `NAME=value` before the command read as the environment, single quotes removed.
 */
function commandOf(text: string): { env: Record<string, string>; args: string[] } {
  const line = text.split("\n").filter((l) => !l.startsWith("#")).join("\n").replace(/\\\n/g, " ");
  const words = [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0])) {
    const [name, value] = words.shift()!.split("=");
    env[name] = value;
  }
  assert.deepEqual(words.slice(0, 3), ["deno", "task", "mock"]);
  const args = words.slice(3);
  const port = args.indexOf("--port");
  assert.ok(port >= 0);
  args[port + 1] = "0";
  return { env, args: ["mock-api", ...args] };
}

// Blocks without a language are example output.
const [faultBlock, headerBlock, fileBlock, scriptBlock, ...rest] = sectionBlocks(
  "### Scripts from the command line",
).filter(([info]) => info !== "");

Deno.test("docs: the section has the four examples", () => {
  const sh = "sh not run: a server left running; tests/mock_docs_test.ts runs it";
  assert.deepEqual(
    [faultBlock[0], headerBlock[0], fileBlock[0], scriptBlock[0], rest.length],
    [sh, sh, "json", sh, 0],
  );
});

const withKey = { headers: { "x-api-key": KEY } };
const postExpected = { method: "POST", body: EXPECTED_TEXT };

function failed(seen: Seen, phase: "request" | "body", why: RegExp): void {
  assert.ok(seen.kind === "failed", `expected a failure, got ${seen.kind}`);
  assert.equal(seen.phase, phase);
  assert.ok(seen.error instanceof TypeError);
  assert.match(seen.why, why);
}

Deno.test("docs: the --fault example does what its comment says", async () => {
  const { env, args } = commandOf(faultBlock[1]);
  assert.deepEqual(env, { KRAKENFLEX_API_KEY: KEY });
  await using run = startMain(args, env);
  const base = await run.firstLine;
  const post = () =>
    strict(`${base}/site-outages/norwich-pear-tree`, {
      ...postExpected,
      headers: { ...withKey.headers, "content-type": "application/json" },
    });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push(answer(await post()).status);
  assert.deepEqual(statuses, [500, 500, 200, 200]);

  const outages = () => strict(`${base}/outages`, withKey);
  failed(await outages(), "request", /reset/i);
  for (let i = 0; i < 2; i++) {
    const seen = answer(await outages());
    assert.equal(seen.status, 503);
    assert.ok(seen.ms >= 95, `${seen.ms} ms`);
  }
  const hung = answer(await outages());
  assert.deepEqual([hung.status, hung.json], [504, { message: "Endpoint request timed out" }]);
  assert.ok(hung.ms >= 290, `${hung.ms} ms`);
  assert.equal(answer(await outages()).status, 200);
});

Deno.test("docs: the --fault example with a header does what its comment says", async () => {
  const { env, args } = commandOf(headerBlock[1]);
  assert.ok(args.includes("GET /outages=429[Retry-After=2]*2,ok"));
  await using run = startMain(args, env);
  const base = await run.firstLine;
  for (let i = 0; i < 2; i++) {
    const limited = answer(await strict(`${base}/outages`, withKey));
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "2");
    assert.deepEqual(limited.json, { message: "You've exceeded your limit for your API key." });
  }
  assert.equal(answer(await strict(`${base}/outages`, withKey)).status, 200);
});

Deno.test("docs: the --script example does what its comment says", async () => {
  const { env, args } = commandOf(scriptBlock[1]);
  assert.deepEqual(args.slice(-2), ["--script", "faults.json"]);
  await using run = startMain(args, env, { files: { "faults.json": fileBlock[1] } });
  const base = await run.firstLine;

  const outages = () => strict(`${base}/outages`, withKey);
  failed(await outages(), "request", /closed before message completed/);
  const limited = answer(await outages());
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "3");
  assert.equal(answer(await outages()).status, 200);

  const site = () => strict(`${base}/site-info/norwich-pear-tree`, withKey);
  failed(await site(), "body", /error reading a body/);
  for (let i = 0; i < 3; i++) assert.equal(answer(await site()).status, 503);

  const post = () =>
    strict(`${base}/interview-tests-mock-api/v1/site-outages/norwich-pear-tree`, {
      ...postExpected,
      headers: { ...withKey.headers, "content-type": "application/json" },
    });
  for (let i = 0; i < 2; i++) {
    const seen = answer(await post());
    assert.deepEqual([seen.status, seen.headers.get("location")], [
      302,
      "https://elsewhere.example/",
    ]);
  }
  assert.deepEqual(answer(await post()).json, {});
});

Deno.test("docs: the kinds table lists every kind of KINDS, in its order, with its fields", () => {
  const start = DOC.indexOf("\n| kind ");
  assert.ok(start >= 0, 'docs/emulator.md has a table whose first column is "kind"');
  const rows = DOC.slice(start + 1).split("\n\n")[0].split("\n").slice(2);
  const documented = rows.map((row) => {
    const [kind, fields] = row.split("|").slice(1, 3).map((cell) => cell.trim());
    return `${kind} ${fields}`;
  });
  const declared = KIND_NAMES.map((kind) => {
    const { fields, required } = KINDS[kind];
    const shown = fields.map((field) =>
      `\`${field}${(required as readonly string[]).includes(field) ? "" : "?"}\``
    );
    return `\`${kind}\` ${shown.length === 0 ? "—" : shown.join(", ")}`;
  });
  assert.deepEqual(documented, declared);
});
