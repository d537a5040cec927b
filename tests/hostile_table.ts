/**
 * The rows of `docs/fault-matrix.md`'s "Hostile inputs" table that the tests prove: a test records
 * its row only once its assertions have passed, with the exit code and the POSTs the server
 * actually saw, and the last test of the file checks that the doc's rows naming that file are
 * exactly the rows recorded (in any order). Also reads the doc's tables for
 * `tests/fault_matrix_test.ts`.
 * @module
 */

import assert from "node:assert/strict";

/** One row: what was sent, what the program did, and the test that proves it. */
export interface HostileRow {
  readonly input: string;
  readonly outcome: string;
  /** The exit code, as the run returned it (or a word for a subprocess-free case). */
  readonly exit: number | string;
  /** What reached the server's POST route, in words. */
  readonly posted: string;
  /** The start of the `Deno.test` name that proves the row. */
  readonly test: string;
}

/** What the server saw of the POST route, in words: `no`, `once`, `3 times`. */
export function postedWords(count: number): string {
  return count === 0 ? "no" : count === 1 ? "once" : `${count} times`;
}

/** The text of `docs/fault-matrix.md`. */
export function faultMatrixDoc(): string {
  return Deno.readTextFileSync(new URL("../docs/fault-matrix.md", import.meta.url));
}

/**
 * The body rows of the Markdown table after the line `heading` (the first, or the `skip`+1-th),
 * each as its trimmed cells with `\|` read as `|`; the header and the `---` line are left out.
 */
export function tableRows(markdown: string, heading: string, skip = 0): string[][] {
  const lines = markdown.split("\n");
  let end = lines.indexOf(heading);
  assert.ok(end >= 0, `docs/fault-matrix.md has no line "${heading}"`);
  let start = end;
  for (let table = 0; table <= skip; table++) {
    start = lines.findIndex((line, i) => i > end && line.startsWith("|"));
    assert.ok(start >= 0, `docs/fault-matrix.md: no table ${skip + 1} after "${heading}"`);
    end = lines.findIndex((line, i) => i > start && !line.startsWith("|"));
    if (end < 0) end = lines.length;
  }
  return lines.slice(start + 2, end).map((line) =>
    line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll("\\|", "|"))
  );
}

/** The rows a test file records, and the check that the doc holds exactly those. */
export function hostileTable(file: string): {
  record(row: HostileRow): void;
  /** Fails unless the doc's rows proved by `tests/<file>.ts` are the recorded rows. */
  check(): void;
} {
  const rows: HostileRow[] = [];
  const provedBy = `\`${file}.ts\`: `;
  return {
    record: (row) => void rows.push(row),
    check() {
      const recorded = rows.map((row) =>
        [row.input, row.outcome, String(row.exit), row.posted, provedBy + row.test].join(" | ")
      );
      const documented = tableRows(faultMatrixDoc(), "## Hostile inputs")
        .filter((cells) => cells[4]?.startsWith(provedBy))
        .map((cells) => cells.join(" | "));
      assert.deepEqual(
        documented.sort(),
        recorded.sort(),
        `docs/fault-matrix.md, "Hostile inputs": the rows proved by ${file}.ts must be the rows ` +
          "its tests recorded (run the whole file: a --filter records fewer); add or fix the " +
          "doc's rows to match",
      );
    },
  };
}
