/**
 * Command-line flags for every command: option tables declared once — flag, short flag,
 * environment variable, default, parser, help line — and what is derived from them: strict
 * parsing with a "did you mean" hint, the help lines, and the value parsers' shared messages.
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";

interface CommonSpec {
  /** The long flag without its dashes; absent for a setting read from the environment only. */
  readonly flag?: string;
  /** A one-letter short flag. */
  readonly short?: string;
  /** The environment variable (real environment, then `.env`) that sets it when the flag is absent. */
  readonly env?: string;
  /** The help line. */
  readonly help: string;
  /**
   * For a setting with no flag: what to say to someone who gives it as one (`--api-key`), in
   * place of "Unknown option". Never echoes the value given.
   */
  readonly notAFlag?: string;
}

/** A switch: given or not. */
export interface BooleanSpec extends CommonSpec {
  readonly type: "boolean";
}

/** A flag that takes one value (given twice, it is a usage error). */
export interface ValueSpec<T, D extends string | undefined = string | undefined>
  extends CommonSpec {
  readonly type: "string";
  /** The value's placeholder in help, e.g. `SECONDS`. */
  readonly valueName: string;
  /** The value when nothing sets it, as text: shown in help and parsed like a given value. */
  readonly default: D;
  /** Turns text into the value; throws a {@link UsageError} naming `from` when it cannot. */
  readonly parse: (text: string, from: string) => T;
}

/**
 * A repeatable flag: each text given is parsed on its own (the environment variable and the default
 * count as one text each).
 */
export interface ListSpec<T> extends Omit<ValueSpec<T, string | undefined>, "type"> {
  readonly type: "list";
}

/** One entry of an option table. */
export type OptionSpec = BooleanSpec | ValueSpec<unknown> | ListSpec<unknown>;

/** An option table: every option of a command, by name. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** Declares a value option, keeping its value type and whether it has a default. */
export function valueOption<T, const D extends string | undefined>(
  spec: ValueSpec<T, D>,
): ValueSpec<T, D> {
  return spec;
}

/** Declares a repeatable option. */
export function listOption<T>(spec: Omit<ListSpec<T>, "type">): ListSpec<T> {
  return { type: "list", ...spec };
}

/** Declares a switch. */
export function booleanOption(spec: Omit<BooleanSpec, "type">): BooleanSpec {
  return { type: "boolean", ...spec };
}

/** The flags as given: every value flag's texts in order, and the switches that were given. */
export interface GivenFlags {
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly switches: ReadonlySet<string>;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/**
 * The known name closest to `name`, when one is close enough to be a likely typo: within
 * `maxDistance` edits (default: two, or a third of the name's length when that is more).
 */
export function closestName(
  name: string,
  known: Iterable<string>,
  options: { readonly maxDistance?: number } = {},
): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  const most = options.maxDistance ?? Math.max(2, name.length / 3);
  return best !== undefined && bestDistance <= most ? best : undefined;
}

/**
 * The value given to `--flag` in `args`, read leniently, for words that did not parse (a usage
 * error is being reported): `--flag VALUE` or `--flag=VALUE`, the last one given, trimmed;
 * `undefined` when none is.
 */
export function peekFlag(args: readonly string[], flag: string): string | undefined {
  let found: string | undefined;
  args.forEach((arg, i) => {
    if (arg === `--${flag}` && i + 1 < args.length) found = args[i + 1];
    else if (arg.startsWith(`--${flag}=`)) found = arg.slice(flag.length + 3);
  });
  return found?.trim();
}

/**
 * Parses `args` strictly against `table` (no positionals, no unknown flags). A value flag that is
 * not a `list` may be given once. Errors are {@link UsageError}s with a one-line hint that names
 * `outage-sync COMMAND --help`, and the closest known flag for an unknown one.
 */
export function parseFlags(
  args: readonly string[],
  table: OptionTable,
  command: string,
): GivenFlags {
  const config: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> =
    {};
  const byFlag = new Map<string, OptionSpec>();
  for (const spec of Object.values(table)) {
    if (spec.flag === undefined) continue;
    byFlag.set(spec.flag, spec);
    // node:util's parseArgs rejects a `short` property that is present but undefined.
    config[spec.flag] = {
      type: spec.type === "boolean" ? "boolean" : "string",
      multiple: true,
      ...(spec.short === undefined ? {} : { short: spec.short }),
    };
  }
  const help = `Run \`outage-sync ${command} --help\` for the options.`;
  let parsed: Record<string, (string | boolean)[] | undefined>;
  try {
    parsed = parseArgs({ args: [...args], options: config, strict: true, allowPositionals: false })
      .values as Record<string, (string | boolean)[] | undefined>;
  } catch (error) {
    throw flagError(error, table, help);
  }
  const values = new Map<string, readonly string[]>();
  const switches = new Set<string>();
  for (const [flag, given] of Object.entries(parsed)) {
    const spec = byFlag.get(flag);
    if (given === undefined || spec === undefined) continue;
    if (spec.type === "boolean") {
      switches.add(flag);
      continue;
    }
    const texts = given as string[];
    if (spec.type === "string" && texts.length > 1) {
      throw new UsageError(
        `Option "--${flag}" is given ${texts.length} times: ${
          texts.map((text) => JSON.stringify(text)).join(", ")
        }`,
        `Give it once. ${help}`,
      );
    }
    values.set(flag, texts);
  }
  return { values, switches };
}

/** The flag a setting read only from a variable would have: `KRAKENFLEX_API_KEY` → `api-key`. */
function flagOfVariable(variable: string): string {
  return variable.replace(/^KRAKENFLEX_/, "").toLowerCase().replaceAll("_", "-");
}

/** An unknown flag (shown without any `=value`, which may be a secret) as a usage error. */
function unknownFlagError(flag: string, table: OptionTable, help: string): UsageError {
  const name = flag.split("=")[0];
  const bare = name.replace(/^-+/, "");
  const flags = Object.values(table).flatMap((spec) => spec.flag ?? []);
  const variableOnly = Object.values(table).filter((spec) =>
    spec.flag === undefined && spec.env !== undefined
  );
  const setting = variableOnly.find((spec) =>
    closestName(bare, [flagOfVariable(spec.env as string)]) !== undefined
  );
  if (setting !== undefined) {
    return new UsageError(
      `Option "${name}" does not exist: ${setting.env} is read from the environment or .env only`,
      setting.notAFlag ?? `Set ${setting.env} in the environment or in .env.`,
    );
  }
  const near = closestName(bare, flags);
  return new UsageError(
    `Unknown option "${name}"`,
    near === undefined ? help : `Did you mean "--${near}"? ${help}`,
  );
}

/** node:util's parse error as a one-line {@link UsageError}. */
function flagError(error: unknown, table: OptionTable, help: string): UsageError {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const flag = /'(-[^']*)'/.exec(text)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag !== undefined) {
    return unknownFlagError(flag, table, help);
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const value = /'([^']*)'/.exec(text)?.[1] ?? "";
    return new UsageError(`Unexpected argument "${value}"`, help);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && flag !== undefined) {
    const name = flag.split(" ")[0];
    return new UsageError(
      `Option "${name}" ${
        /argument missing|ambiguous/.test(text) ? "needs a value" : "takes no value"
      }`,
      help,
    );
  }
  return new UsageError(text.split(". ")[0], help);
}

/** The shape of a number option. */
export interface NumberShape {
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
}

/** A parser of plain decimal numbers (no sign, exponent or hex) within `shape`'s range. */
export function numberParser(shape: NumberShape): (text: string, from: string) => number {
  const pattern = shape.integer ? /^\d+$/ : /^(\d+(\.\d+)?|\.\d+)$/;
  return (text, from) => {
    const value = Number(text);
    if (!pattern.test(text) || !(value >= shape.min && value <= shape.max)) {
      const kind = shape.integer ? "a whole number" : "a number";
      throw new UsageError(
        `Cannot parse ${from}: expected ${kind} from ${shape.min} to ${shape.max}, got "${text}"`,
      );
    }
    return value;
  };
}

/** A parser that accepts one of `choices`. */
export function choiceParser<const C extends string>(
  choices: readonly C[],
): (text: string, from: string) => C {
  return (text, from) => {
    if ((choices as readonly string[]).includes(text)) return text as C;
    const listed = choices.map((choice) => `"${choice}"`);
    const expected = listed.length === 2
      ? `${listed[0]} or ${listed[1]}`
      : `one of ${listed.join(", ")}`;
    throw new UsageError(`Cannot parse ${from}: expected ${expected}, got "${text}"`);
  };
}

/** How a flag is written in help: `-q, --quiet` or `    --since RFC3339`. */
function flagText(spec: OptionSpec): string {
  if (spec.flag === undefined) return "";
  const long = spec.type === "boolean" ? `--${spec.flag}` : `--${spec.flag} ${spec.valueName}`;
  return spec.short === undefined ? `    ${long}` : `-${spec.short}, ${long}`;
}

/** The width help is written to: a terminal's default. */
export const HELP_WIDTH = 80;

/**
 * `text` as lines of at most {@link HELP_WIDTH} columns, each after `column` spaces; a word too long
 * for that (a URL) gets a line of its own, moved left as far as it must to fit.
 */
function wrapHelp(text: string, column: number): string[] {
  const room = HELP_WIDTH - column;
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > room) {
      lines.push(" ".repeat(column) + line);
      line = "";
    }
    if (line === "" && word.length > room) {
      lines.push(" ".repeat(Math.max(0, HELP_WIDTH - word.length)) + word);
      continue;
    }
    line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(" ".repeat(column) + line);
  return lines;
}

/**
 * An option's notes (default, variable): on one line when they fit, else a line each; a note too
 * long for its column (a URL default) is moved left to fit.
 */
function noteLines(notes: readonly string[], column: number): string[] {
  const joined = notes.join("; ");
  if (joined === "") return [];
  if (column + joined.length <= HELP_WIDTH) return [" ".repeat(column) + joined];
  return notes.map((note) =>
    " ".repeat(Math.max(0, Math.min(column, HELP_WIDTH - note.length))) + note
  );
}

/**
 * The help lines of a table: a line per option with its flag and help, and under it, when it has
 * them, its default and environment variable; all within {@link HELP_WIDTH} columns. A flag too
 * long for its column puts its help on the next line. Settings with no flag list their variable.
 */
export function renderOptions(table: OptionTable, indent = "  "): string {
  const column = indent.length + 26;
  const lines: string[] = [];
  for (const spec of Object.values(table)) {
    const head = `${indent}${spec.flag === undefined ? (spec.env ?? "") : flagText(spec)}`;
    const help = wrapHelp(spec.help, column);
    if (head.length + 2 <= column) {
      lines.push(head.padEnd(column) + help[0].trimStart(), ...help.slice(1));
    } else {
      lines.push(head, ...help);
    }
    const notes: string[] = [];
    if (spec.type !== "boolean" && spec.default !== undefined) {
      notes.push(`default: ${spec.default}`);
    }
    if (spec.env !== undefined && spec.flag !== undefined) notes.push(`env: ${spec.env}`);
    lines.push(...noteLines(notes, column));
  }
  return lines.join("\n") + "\n";
}
