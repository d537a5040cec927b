// deno-lint-ignore-file no-console -- a developer script: it reports on its own terminal.
/**
 * `deno task mutation [module…]`: mutation testing of the core with StrykerJS. Stryker's `command`
 * test runner runs one command for every mutant, so this script calls Stryker once per module,
 * mutating only `src/<module>.ts` and running only that module's own test files, then prints
 * each module's score. The shared settings are in `mutation/stryker.config.json`.
 * @module
 */

/** Stryker, pinned: installed on first use from npm through Deno's `npm:` specifier. */
const STRYKER = "npm:@stryker-mutator/core@10.1.1/stryker";

/** The score under which the task fails, in percent (issue 19: at least 90 % on the core). */
export const BREAK_SCORE = 90;

/** The core modules under mutation testing, each with the test files that must kill its mutants. */
export const MODULES: Readonly<Record<string, readonly string[]>> = {
  "timestamp": ["tests/timestamp_test.ts"],
  "validate": ["tests/validate_test.ts"],
  "filter": ["tests/filter_test.ts"],
  "outage_index": ["tests/outage_index_test.ts"],
  "json_scan": ["tests/json_scan_test.ts"],
  "outage_feed": ["tests/outage_feed_test.ts"],
  "outage_table": ["tests/outage_feed_test.ts"],
  "state": ["tests/state_test.ts"],
  "retry_policy": ["tests/retry_policy_test.ts"],
  "redact": ["tests/redact_test.ts"],
  "printable": ["tests/printable_test.ts"],
  "pacer": ["tests/pacer_test.ts"],
  "outcome": ["tests/outcome_test.ts"],
  "report": ["tests/report_test.ts"],
  "http/failure": ["tests/http_failure_test.ts"],
  "http/body": ["tests/http_body_test.ts"],
  "bytes": ["tests/bytes_test.ts"],
};

/** A module's mutants by Stryker's status. */
export interface Tally {
  killed: number;
  survived: number;
  timeout: number;
  noCoverage: number;
  errors: number;
}

interface MutantResult {
  readonly status: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}

/** Counts the mutants of Stryker's JSON report (mutation-testing-report-schema) by status. */
export function tally(mutants: readonly MutantResult[]): Tally {
  const count = (...statuses: string[]) =>
    mutants.filter((m) => statuses.includes(m.status)).length;
  return {
    killed: count("Killed"),
    survived: count("Survived"),
    timeout: count("Timeout"),
    noCoverage: count("NoCoverage"),
    errors: count("CompileError", "RuntimeError"),
  };
}

/** Stryker's mutation score: detected mutants over valid ones, in percent. */
export function score(t: Tally): number {
  const detected = t.killed + t.timeout;
  const valid = detected + t.survived + t.noCoverage;
  return valid === 0 ? 100 : (100 * detected) / valid;
}

/** A digest of what a module's earlier results depend on besides the module itself. */
async function inputsDigest(module: string): Promise<string> {
  // The command runner reports no per-test coverage, so Stryker's incremental mode would reuse a
  // surviving mutant's result even after a new test kills it: results are kept only while the
  // tests, the other modules and the lock file are byte for byte the same.
  const files = [...MODULES[module], "deno.lock", ...await sourceFiles("src")]
    .filter((file) => file !== `src/${module}.ts`).sort();
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (const file of files) {
    parts.push(new TextEncoder().encode(`${file}\0`), await Deno.readFile(file));
  }
  const all = new Uint8Array(await new Blob(parts).arrayBuffer());
  return new Uint8Array(await crypto.subtle.digest("SHA-256", all)).toHex();
}

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

/** Runs Stryker over one module; resolves to its tally and wall time. */
async function mutate(module: string): Promise<{ tally: Tally; seconds: number }> {
  const slug = module.replace("/", "_");
  const dir = "reports/mutation";
  await Deno.mkdir(dir, { recursive: true });
  const digest = await inputsDigest(module);
  const digestFile = `${dir}/${slug}.inputs`;
  const previous = await Deno.readTextFile(digestFile).catch(() => "");
  const config = {
    ...JSON.parse(await Deno.readTextFile("mutation/stryker.config.json")),
    mutate: [`src/${module}.ts`],
    commandRunner: {
      // --no-check: Stryker marks the instrumented file @ts-nocheck anyway, and `deno task check`
      // type-checks the real code; --fail-fast: a mutant is killed by its first failing test.
      command: `deno test --allow-all --frozen --no-check --fail-fast ${MODULES[module].join(" ")}`,
    },
    jsonReporter: { fileName: `${dir}/${slug}.json` },
    incrementalFile: `${dir}/${slug}.incremental.json`,
    force: previous !== digest,
  };
  const configFile = `${dir}/${slug}.stryker.json`;
  await Deno.writeTextFile(configFile, JSON.stringify(config, null, 2));
  const started = performance.now();
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-lock",
      "--allow-all",
      "--node-modules-dir=auto",
      STRYKER,
      "run",
      configFile,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`Stryker failed on "src/${module}.ts": exit code ${code}`);
  await Deno.writeTextFile(digestFile, digest);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/${slug}.json`));
  return { tally: tally(report.files[`src/${module}.ts`].mutants), seconds };
}

/** One row of the summary table printed at the end (and kept in docs/testing.md). */
export function row(module: string, t: Tally, seconds: number): string {
  const cells = [module, t.killed, t.survived, t.timeout, t.noCoverage, t.errors];
  return `| ${cells.join(" | ")} | ${score(t).toFixed(1)} % | ${seconds.toFixed(0)} s |`;
}

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((name) => !(name in MODULES));
  if (unknown.length > 0) {
    console.error(
      `Unknown module "${unknown[0]}": expected one of ${Object.keys(MODULES).join(", ")}`,
    );
    return 2;
  }
  const rows = ["| module | killed | survived | timeout | no cov | errors | score | wall |"];
  rows.push("| --- | --: | --: | --: | --: | --: | --: | --: |");
  let below = 0;
  for (const module of args.length > 0 ? args : Object.keys(MODULES)) {
    const result = await mutate(module);
    rows.push(row(module, result.tally, result.seconds));
    if (score(result.tally) < BREAK_SCORE) below++;
  }
  console.log(`\n${rows.join("\n")}`);
  if (below > 0) console.error(`${below} module(s) under the ${BREAK_SCORE} % mutation score`);
  return below > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
