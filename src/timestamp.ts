/**
 * RFC 3339 timestamps: a cheap syntax-and-range check used on every record, and exact
 * instant comparison against the cut-off (`--since`), to the nanosecond.
 * @module
 */

/**
 * RFC 3339 `date-time` with a mandatory offset: `T`/`t`, `Z`/`z` or `±hh:mm`, 0–9 fraction digits.
 * Groups: year, month, day, hour, minute, second, fraction (with its dot), offset.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** The character codes of `-`, `T`, `:`, `.` and `Z`. */
const DASH = 45, T = 84, COLON = 58, DOT = 46, Z = 90;

/** The digit whose character code is `code`, or a number above 9 when it is not a digit. */
// Stryker disable next-line BlockStatement: no character reads as a digit, so the fast paths defer.
function digit(code: number): number {
  // Stryker disable next-line ArithmeticOperator: then no digit, so the fast paths defer.
  return (code - 48) >>> 0;
}

/**
 * Whether `text` has the canonical shape the API uses, `YYYY-MM-DDTHH:MM:SS.sssZ`: 24 characters,
 * upper-case `T` and `Z`, a digit or the separator at every position. Field ranges are not checked
 * here. Character codes rather than a pattern: this runs twice per outage, a million times.
 */
// Stryker disable next-line BlockStatement: not canonical, so `Temporal` compares, exactly.
function isCanonicalShape(text: string): boolean {
  // Stryker disable next-line EqualityOperator: valid, with `T` at 10, `Z` at 23: it has these.
  return text.length === 24 && text.charCodeAt(4) === DASH && text.charCodeAt(7) === DASH &&
    text.charCodeAt(10) === T && text.charCodeAt(13) === COLON &&
    // Stryker disable next-line ConditionalExpression,EqualityOperator: implied by `T`, `Z`.
    text.charCodeAt(16) === COLON && text.charCodeAt(19) === DOT && text.charCodeAt(23) === Z &&
    // Stryker disable next-line ConditionalExpression,EqualityOperator: implied by `T`, `Z`.
    digit(text.charCodeAt(0)) <= 9 && digit(text.charCodeAt(1)) <= 9 &&
    // Stryker disable next-line ConditionalExpression,EqualityOperator: implied by `T`, `Z`.
    digit(text.charCodeAt(2)) <= 9 && digit(text.charCodeAt(3)) <= 9 &&
    // Stryker disable next-line ConditionalExpression,EqualityOperator: implied by `T`, `Z`.
    digit(text.charCodeAt(5)) <= 9 && digit(text.charCodeAt(6)) <= 9 &&
    // Stryker disable next-line ConditionalExpression,EqualityOperator: implied by `T`, `Z`.
    digit(text.charCodeAt(8)) <= 9 && digit(text.charCodeAt(9)) <= 9 &&
    // Stryker disable next-line ConditionalExpression,EqualityOperator: implied by `T`, `Z`.
    digit(text.charCodeAt(11)) <= 9 && digit(text.charCodeAt(12)) <= 9 &&
    // Stryker disable next-line ConditionalExpression,EqualityOperator: implied by `T`, `Z`.
    digit(text.charCodeAt(14)) <= 9 && digit(text.charCodeAt(15)) <= 9 &&
    // Stryker disable next-line ConditionalExpression,EqualityOperator: implied by `T`, `Z`.
    digit(text.charCodeAt(17)) <= 9 && digit(text.charCodeAt(18)) <= 9 &&
    // Stryker disable next-line ConditionalExpression,EqualityOperator: implied by `T`, `Z`.
    digit(text.charCodeAt(20)) <= 9 && digit(text.charCodeAt(21)) <= 9 &&
    // Stryker disable next-line ConditionalExpression,EqualityOperator: implied by `T`, `Z`.
    digit(text.charCodeAt(22)) <= 9;
}

/**
 * The fast path of {@link rfc3339Problem}: `true` when `text` is canonical and every field is in
 * range, so that the general path would find no problem either. `false` says nothing: the
 * general path then decides, and words the problem. Reads each character once.
 */
// Stryker disable next-line BlockStatement: `false`, so the general path decides.
function isValidCanonical(text: string): boolean {
  if (
    text.length !== 24 || text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH ||
    text.charCodeAt(10) !== T || text.charCodeAt(13) !== COLON ||
    text.charCodeAt(16) !== COLON || text.charCodeAt(19) !== DOT || text.charCodeAt(23) !== Z
  ) {
    return false;
  }
  const y0 = digit(text.charCodeAt(0)), y1 = digit(text.charCodeAt(1));
  const y2 = digit(text.charCodeAt(2)), y3 = digit(text.charCodeAt(3));
  const mo0 = digit(text.charCodeAt(5)), mo1 = digit(text.charCodeAt(6));
  const d0 = digit(text.charCodeAt(8)), d1 = digit(text.charCodeAt(9));
  const h0 = digit(text.charCodeAt(11)), h1 = digit(text.charCodeAt(12));
  const mi0 = digit(text.charCodeAt(14)), mi1 = digit(text.charCodeAt(15));
  const s0 = digit(text.charCodeAt(17)), s1 = digit(text.charCodeAt(18));
  if (
    y0 > 9 || y1 > 9 || y2 > 9 || y3 > 9 || mo0 > 9 || mo1 > 9 || d0 > 9 || d1 > 9 ||
    h0 > 9 || h1 > 9 || mi0 > 9 || mi1 > 9 || s0 > 9 || s1 > 9 ||
    digit(text.charCodeAt(20)) > 9 || digit(text.charCodeAt(21)) > 9 ||
    digit(text.charCodeAt(22)) > 9
  ) {
    return false;
  }
  const month = mo0 * 10 + mo1;
  const day = d0 * 10 + d1;
  if (month < 1 || month > 12 || day < 1) return false;
  // Stryker disable next-line ArithmeticOperator,LogicalOperator: defers only 29 February.
  if (day > 28 && day > daysInMonth(y0 * 1000 + y1 * 100 + y2 * 10 + y3, month)) return false;
  // Minutes 00–59 and seconds 00–60 (a leap second), as the general path allows.
  return h0 * 10 + h1 <= 23 && mi0 <= 5 && s0 * 10 + s1 <= 60;
}

/** The problem of a text that does not even have the shape of a timestamp. */
const NOT_RFC3339 = "not an RFC 3339 timestamp with offset";

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Why `text` is not an RFC 3339 timestamp with offset, or `undefined` when it is one.
 * Checks the pattern and the ranges of every field (month, day of month, hour, minute, second
 * 00–60 as RFC 3339 allows a leap second, offset hours 00–23 and minutes 00–59).
 */
export function rfc3339Problem(text: string): string | undefined {
  if (isValidCanonical(text)) return undefined;
  const m = RFC3339.exec(text);
  if (m === null) return NOT_RFC3339;
  const year = +m[1], month = +m[2], day = +m[3];
  if (month < 1 || month > 12) return "month out of range";
  if (day < 1 || day > daysInMonth(year, month)) return "day of month out of range";
  if (+m[4] > 23) return "hour out of range";
  if (+m[5] > 59) return "minute out of range";
  if (+m[6] > 60) return "second out of range";
  if (m[9] !== undefined && (+m[9] > 23 || +m[10] > 59)) return "offset out of range";
  return undefined;
}

/** Whether `text` is an RFC 3339 timestamp with offset whose fields are all in range. */
export function isRfc3339(text: string): boolean {
  return isValidCanonical(text) || rfc3339Problem(text) === undefined;
}

/**
 * The cut-off instant with what is needed to compare timestamps against it quickly.
 * Build it with {@link parseSince}.
 */
export interface Since {
  /** The text as given, for reports. */
  readonly text: string;
  /** The instant, nanoseconds since the epoch. */
  readonly epochNanoseconds: bigint;
  /**
   * The instant as `YYYY-MM-DDTHH:MM:SS.sss` UTC (23 characters) for the canonical fast path, or
   * `undefined` when the instant falls outside years 0000–9999 and only `Temporal` can compare.
   */
  readonly millisecondPrefix: string | undefined;
  /** Whether the instant has nanoseconds below the millisecond (a canonical equal prefix is then earlier). */
  readonly hasSubMillisecond: boolean;
}

/**
 * Parses the cut-off. Throws a `RangeError` whose message says what is wrong when `text` is not an
 * RFC 3339 timestamp with an offset: a time zone is never guessed.
 */
export function parseSince(text: string): Since {
  const problem = rfc3339Problem(text);
  if (problem !== undefined) {
    const detail = problem === NOT_RFC3339 ? "" : ` (${problem})`;
    throw new RangeError(`expected an RFC 3339 timestamp with offset, got "${text}"${detail}`);
  }
  const instant = Temporal.Instant.from(text);
  const utc = instant.toString({ smallestUnit: "nanosecond" }); // YYYY-MM-DDTHH:MM:SS.fffffffffZ
  const fourDigitYear = utc.length === 30;
  return {
    text,
    epochNanoseconds: instant.epochNanoseconds,
    millisecondPrefix: fourDigitYear ? utc.slice(0, 23) : undefined,
    hasSubMillisecond: utc.slice(23, 29) !== "000000",
  };
}

/**
 * Whether the valid RFC 3339 timestamp `text` is at or after the cut-off, exactly.
 * The API's canonical millisecond UTC shape is compared as a string (its order is time order);
 * any other shape goes through `Temporal.Instant`.
 */
export function isAtOrAfter(text: string, since: Since): boolean {
  const prefix = since.millisecondPrefix;
  // A leap second (`:60`) is left to `Temporal`, which reads it as `:59`.
  // Stryker disable next-line BlockStatement: `Temporal` compares, exactly.
  if (prefix !== undefined && isCanonicalShape(text) && text.charCodeAt(17) < 54 /* "6" */) {
    // Same shape, same width, digits in the same places: the first differing character decides.
    for (let i = 0; i < 23; i++) {
      const a = text.charCodeAt(i);
      const b = prefix.charCodeAt(i);
      if (a !== b) return a > b;
    }
    return !since.hasSubMillisecond;
  }
  return Temporal.Instant.from(text).epochNanoseconds >= since.epochNanoseconds;
}
