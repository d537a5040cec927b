/**
 * The rows of `docs/fault-matrix.md`'s "Hostile inputs" table, filled in by the tests that prove
 * them: a row is recorded only once its test's assertions have passed, with the exit code and the
 * POSTs the server actually saw. Regenerate (see the doc) with
 * `HOSTILE_INPUTS_TABLE=DIR deno test -A tests/hostile_server_test.ts tests/hostile_output_test.ts`:
 * each test file writes its rows to `DIR/<file>.md`.
 * @module
 */

/** One row: what was sent, what the program did, and the test that proves it. */
export interface HostileRow {
  readonly input: string;
  readonly outcome: string;
  /** The exit code, as the run returned it (or a word for a subprocess-free case). */
  readonly exit: number | string;
  /** What reached the server's POST route, in words. */
  readonly posted: string;
  /** The `Deno.test` name that proves the row. */
  readonly test: string;
}

/** What the server saw of the POST route, in words: `no`, `once`, `3 times`. */
export function postedWords(count: number): string {
  return count === 0 ? "no" : count === 1 ? "once" : `${count} times`;
}

/** The rows of one test file, and the step that writes them when asked. */
export function hostileTable(file: string): {
  record(row: HostileRow): void;
  /** Writes the rows to `$HOSTILE_INPUTS_TABLE/<file>.md` when that variable is set. */
  writeIfAsked(): Promise<void>;
} {
  const rows: HostileRow[] = [];
  return {
    record: (row) => void rows.push(row),
    async writeIfAsked() {
      const dir = Deno.env.get("HOSTILE_INPUTS_TABLE");
      if (dir === undefined || dir === "") return;
      const cell = (text: string | number) => String(text).replaceAll("|", "\\|");
      const lines = rows.map((row) =>
        `| ${cell(row.input)} | ${cell(row.outcome)} | ${cell(row.exit)} | ${cell(row.posted)} | ` +
        `${cell(row.test)} |`
      );
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(`${dir}/${file}.md`, lines.join("\n") + "\n");
    },
  };
}
