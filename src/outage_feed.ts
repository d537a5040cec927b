/**
 * The `GET /outages` body, read record by record into a validated {@link OutageFeed}: valid outages
 * kept (`id`, `begin`, `end` only), invalid records counted, the first few kept for the log. The
 * body is never turned into one big array of values, so its memory is the text plus the valid
 * outages, whatever the body holds, and no body under the size cap can crash the process.
 *
 * The API's own shape — `{"id":"…","begin":"…","end":"…"}` with plain strings — takes a sticky
 * pattern that reads a record in one step (faster than `JSON.parse` and the guards together,
 * docs/benchmarks.md); anything else is read member by member with `json_scan.ts`, as `JSON.parse`
 * would read it (escapes decoded, the last of duplicate keys wins, extra members skipped unbuilt).
 * @module
 */

import type { Outage } from "./api_shapes.ts";
import { JsonSyntaxError, scanString, scanValue, skipWhitespace } from "./json_scan.ts";
import { isRfc3339Span, OutageTable, OutageTableBuilder } from "./outage_table.ts";
import { type InvalidOutage, outageProblem } from "./validate.ts";

/** How many invalid records a feed keeps, with their problems, for the log and the error. */
export const INVALID_SAMPLES = 100;

/** A validated `GET /outages` body. */
export interface OutageFeed {
  /** The valid outages, in body order, held compactly. */
  readonly outages: OutageTable;
  /** How many records the body held, valid or not. */
  readonly total: number;
  /** How many of them were invalid. */
  readonly invalidCount: number;
  /** The first {@link INVALID_SAMPLES} invalid records, with their index and problem. */
  readonly invalidSamples: readonly InvalidOutage[];
  /**
   * How many invalid records named each device, for those whose `id` is a string: a site all of
   * whose records were skipped must fail rather than post an empty list. Counts only, never the
   * records, and at most {@link MAX_INVALID_IDS} ids, so a hostile feed of a million distinct
   * invalid ids costs no more than a bounded map.
   */
  readonly invalidByDevice: ReadonlyMap<string, number>;
  /**
   * Invalid records whose string `id` could not be counted under it: the map was full. Any site
   * might have lost records among them.
   */
  readonly invalidUnattributed: number;
}

/** The body is JSON, but not an array of records: what it is instead. */
export class NotAnArrayError extends Error {
  override name = "NotAnArrayError";
}

/** A feed built from records already parsed (a test's stub, say), with the same rules. */
export function feedFromRecords(records: readonly unknown[]): OutageFeed {
  // Stryker disable next-line StringLiteral: a builder given records adds them decoded, so its body text is never read
  const builder = new FeedBuilder("");
  for (const record of records) builder.add(record);
  return builder.feed();
}

/** The most distinct ids whose invalid records are counted one by one. */
export const MAX_INVALID_IDS = 10_000;

class FeedBuilder {
  readonly table: OutageTableBuilder;
  readonly samples: InvalidOutage[] = [];
  readonly byDevice = new Map<string, number>();
  unattributed = 0;
  readonly #body: string;
  total = 0;
  invalid = 0;

  constructor(body: string) {
    this.#body = body;
    // The API's records take 114 characters (`{"id":"…36…","begin":"…24…","end":"…24…"},`):
    // sized for a little more than that, grown if need be.
    // Stryker disable next-line ArithmeticOperator: only the first allocation's size; the table grows or is trimmed to the same outages
    this.table = new OutageTableBuilder(body, Math.ceil(body.length / 110));
  }

  /**
   * Adds a record of the API's own shape, `{"id":"…","begin":"…","end":"…"}` at `pos` with plain
   * strings (no escape, no quote): its fields are found by their quotes, and kept as spans.
   */
  addPlain(pos: number): void {
    const text = this.#body;
    const idStart = pos + 7; // {"id":"
    const idEnd = text.indexOf('"', idStart);
    const beginStart = idEnd + 11; // ","begin":"
    const beginEnd = text.indexOf('"', beginStart);
    const endStart = beginEnd + 9; // ","end":"
    const endEnd = text.indexOf('"', endStart);
    // Stryker disable next-line ConditionalExpression: a plain record refused here is decoded and checked by add, with the same outcome
    if (isRfc3339Span(text, beginStart, beginEnd) && isRfc3339Span(text, endStart, endEnd)) {
      this.total++;
      this.table.addSpans(idStart, idEnd, beginStart, beginEnd, endStart, endEnd);
    } else {
      this.add({
        id: text.slice(idStart, idEnd),
        begin: text.slice(beginStart, beginEnd),
        end: text.slice(endStart, endEnd),
      });
    }
  }

  /** Adds any record: kept as `{id, begin, end}` when valid, counted when not. */
  add(record: unknown): void {
    const problem = outageProblem(record);
    if (problem === undefined) {
      this.total++;
      const { id, begin, end } = record as Outage;
      this.table.addDecoded(id, begin, end);
    } else {
      const id = typeof record === "object" && record !== null && !Array.isArray(record)
        ? (record as { id?: unknown }).id
        : undefined;
      this.addInvalid(problem, typeof id === "string" ? id : undefined);
    }
  }

  /**
   * Counts an invalid record, under its device when its `id` is a string; its problem is only
   * worded while samples are still kept.
   */
  addInvalid(problem: string | (() => string), id?: string): void {
    const index = this.total++;
    this.invalid++;
    if (id !== undefined) {
      const count = this.byDevice.get(id);
      if (count !== undefined || this.byDevice.size < MAX_INVALID_IDS) {
        this.byDevice.set(id, (count ?? 0) + 1);
      } else {
        this.unattributed++;
      }
    }
    if (this.samples.length < INVALID_SAMPLES) {
      this.samples.push({ index, problem: typeof problem === "string" ? problem : problem() });
    }
  }

  feed(): OutageFeed {
    return {
      outages: this.table.build(),
      total: this.total,
      invalidCount: this.invalid,
      invalidSamples: this.samples,
      invalidByDevice: this.byDevice,
      invalidUnattributed: this.unattributed,
    };
  }
}

// Stryker disable next-line StringLiteral: a pattern that never matches sends every record down the general path, with the same outcome
const PLAIN = String.raw`"[^"\\\x00-\x1f]*"`;
/**
 * One record of the API's own shape, then the separator after it. No capture groups: a match
 * then builds no strings (the fields are found by their quotes, `FeedBuilder.addPlain`).
 */
const API_RECORD = new RegExp(
  String.raw`\{"id":${PLAIN},"begin":${PLAIN},"end":${PLAIN}\}[ \t\n\r]*[,\]]`,
  "y",
);

const QUOTE = 34, COMMA = 44, LBRACKET = 91, RBRACKET = 93, LBRACE = 123, RBRACE = 125;

/** A stand-in of the same JSON kind as the value at `pos`, for the problem's wording. */
function standIn(text: string, pos: number): unknown {
  switch (text.charCodeAt(pos)) {
    case QUOTE:
      // Stryker disable next-line StringLiteral: any string stands in for a string: only its kind is worded
      return "";
    case LBRACKET:
      // Stryker disable next-line ArrayDeclaration: any array stands in for an array: only its kind is worded
      return [];
    case LBRACE:
      return {};
    case 116: // t
    case 102: // f
      // Stryker disable next-line BooleanLiteral: either boolean stands in for a boolean: only its kind is worded
      return false;
    case 110: // n
      return null;
    default:
      return 0;
  }
}

/**
 * Reads the object record at `pos` member by member: `id`, `begin` and `end` are decoded, every
 * other member is checked and skipped without being built. Returns the record (with stand-ins for
 * values that are not strings) and the index past it.
 */
function readObjectRecord(text: string, pos: number): [Record<string, unknown>, number] {
  const record: Record<string, unknown> = {};
  pos = skipWhitespace(text, pos + 1);
  if (text.charCodeAt(pos) === RBRACE) return [record, pos + 1];
  for (;;) {
    const nameEnd = scanString(text, pos);
    const name = JSON.parse(text.slice(pos, nameEnd)) as string;
    pos = skipWhitespace(text, nameEnd);
    if (text.charCodeAt(pos) !== 58) throw new JsonSyntaxError('expected ":"', pos);
    const valueStart = skipWhitespace(text, pos + 1);
    const valueEnd = scanValue(text, valueStart);
    if (name === "id" || name === "begin" || name === "end") {
      // Stryker disable next-line ConditionalExpression: JSON.parse of a non-string value gives a value of the same kind as its stand-in, so the same problem
      record[name] = text.charCodeAt(valueStart) === QUOTE
        ? JSON.parse(text.slice(valueStart, valueEnd))
        : standIn(text, valueStart);
    }
    pos = skipWhitespace(text, valueEnd);
    const c = text.charCodeAt(pos);
    if (c === RBRACE) return [record, pos + 1];
    if (c !== COMMA) {
      throw new JsonSyntaxError(Number.isNaN(c) ? "unexpected end" : 'expected "," or "}"', pos);
    }
    pos = skipWhitespace(text, pos + 1);
  }
}

/**
 * Reads a `GET /outages` body. Throws {@link JsonSyntaxError} when it is not JSON (at the offset
 * where it stops being JSON) and {@link NotAnArrayError} when it is JSON but not an array.
 */
export function parseOutageFeed(text: string): OutageFeed {
  let pos = skipWhitespace(text, 0);
  if (text.charCodeAt(pos) !== LBRACKET) {
    const end = skipWhitespace(text, scanValue(text, pos));
    if (end < text.length) throw new JsonSyntaxError("unexpected data after the value", end);
    const kind = standIn(text, pos);
    const what = kind === null
      ? "null"
      : typeof kind === "object"
      ? "an object"
      : `a ${typeof kind}`;
    throw new NotAnArrayError(`expected a JSON array of outages, got ${what}`);
  }
  const builder = new FeedBuilder(text);
  pos = skipWhitespace(text, pos + 1);
  if (text.charCodeAt(pos) === RBRACKET) return finish(text, pos + 1, builder);
  for (;;) {
    API_RECORD.lastIndex = pos;
    let separator: number;
    // Stryker disable next-line ConditionalExpression: skipping the fast path sends the record down the general path, with the same outcome
    if (API_RECORD.test(text)) {
      builder.addPlain(pos);
      pos = API_RECORD.lastIndex;
      separator = text.charCodeAt(pos - 1);
    } else {
      if (text.charCodeAt(pos) === LBRACE) {
        const [record, end] = readObjectRecord(text, pos);
        builder.add(record);
        pos = end;
      } else {
        const start = pos;
        pos = scanValue(text, pos);
        // Stryker disable next-line StringLiteral: outageProblem of a stand-in that is not an object always has a problem, so the fallback is never used
        builder.addInvalid(() => outageProblem(standIn(text, start)) ?? "");
      }
      pos = skipWhitespace(text, pos);
      separator = text.charCodeAt(pos);
      if (separator !== COMMA && separator !== RBRACKET) {
        throw new JsonSyntaxError(
          Number.isNaN(separator) ? "unexpected end" : 'expected "," or "]"',
          pos,
        );
      }
      pos++;
    }
    if (separator === RBRACKET) return finish(text, pos, builder);
    pos = skipWhitespace(text, pos);
  }
}

function finish(text: string, pos: number, builder: FeedBuilder): OutageFeed {
  const end = skipWhitespace(text, pos);
  if (end < text.length) throw new JsonSyntaxError("unexpected data after the array", end);
  return builder.feed();
}
