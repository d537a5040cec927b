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

/** The problem of a text that does not even have the shape of a timestamp. */
const NOT_RFC3339 = "not an RFC 3339 timestamp with offset";

/** The API's canonical shape, `YYYY-MM-DDTHH:MM:SS.sssZ`, as character codes, `d` for a digit. */
// Stryker disable next-line StringLiteral: no separator matches then, so the general path decides.
const CANONICAL = new TextEncoder().encode("dddd-dd-ddTdd:dd:dd.dddZ");

/** Where {@link CANONICAL} has a separator (`-`, `T`, `:`, `.` or `Z`). */
const SEPARATOR_AT = Uint8Array.of(4, 7, 10, 13, 16, 19, 23);

/** Where {@link CANONICAL} has a digit. */
const DIGIT_AT = Uint8Array.of(0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22);

/** The digits {@link readCanonical} read last, at their positions (reused: no allocation). */
const DIGITS = new Uint8Array(24);

/**
 * Whether `text[start, end)` (all of `text` by default) has the {@link CANONICAL} shape, reading
 * its digits into {@link DIGITS} for {@link canonicalProblem}. Upper-case `T` and `Z` only; field
 * ranges are not checked here. Two small tables walked once rather than a pattern (faster than one
 * loop over all 24 positions): this runs twice per outage, a million times, in place in the body
 * (`isRfc3339Span`). `false` means "ask the general path", never "invalid".
 */
// Stryker disable next-line BlockStatement: `undefined` means "not canonical": the general path.
export function readCanonical(text: string, start = 0, end = text.length): boolean {
  if (end !== start + 24) return false;
  // Stryker disable next-line UpdateOperator: index -1 matches no separator: the general path.
  for (let k = 0; k < SEPARATOR_AT.length; k++) {
    const at = SEPARATOR_AT[k];
    if (text.charCodeAt(start + at) !== CANONICAL[at]) return false;
  }
  for (let k = 0; k < DIGIT_AT.length; k++) {
    const at = DIGIT_AT[k];
    const code = text.charCodeAt(start + at);
    // Below `0`, the unsigned difference wraps round to above 9.
    // Stryker disable next-line ArithmeticOperator: a sum is above 9, so the general path decides.
    const digit = (code - 48) >>> 0;
    if (digit > 9) return false;
    DIGITS[at] = digit;
  }
  // Stryker disable next-line BooleanLiteral: "not canonical", so the general path decides.
  return true;
}

/**
 * The first field out of range of the timestamp {@link readCanonical} read last (it must have
 * answered `true`), or `undefined` when all are in range: the same words as {@link rfc3339Problem}.
 */
export function canonicalProblem(): string | undefined {
  const year = pairAt(0) * 100 + pairAt(2);
  return fieldProblem(year, pairAt(5), pairAt(8), pairAt(11), pairAt(14), pairAt(17), 0, 0);
}

/** The two-digit number at position `at` of the {@link DIGITS} read last. */
function pairAt(at: number): number {
  return DIGITS[at] * 10 + DIGITS[at + 1];
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The first field out of range, in the order of the text, or `undefined` when all are in range. */
function fieldProblem(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  offsetHour: number,
  offsetMinute: number,
): string | undefined {
  if (month < 1 || month > 12) return "month out of range";
  if (day < 1 || (day > 28 && day > daysInMonth(year, month))) return "day of month out of range";
  if (hour > 23) return "hour out of range";
  if (minute > 59) return "minute out of range";
  if (second > 60) return "second out of range";
  if (offsetHour > 23 || offsetMinute > 59) return "offset out of range";
  return undefined;
}

/**
 * Why `text` is not an RFC 3339 timestamp with offset, or `undefined` when it is one.
 * Checks the pattern and the ranges of every field (month, day of month, hour, minute, second
 * 00–60 as RFC 3339 allows a leap second, offset hours 00–23 and minutes 00–59).
 */
export function rfc3339Problem(text: string): string | undefined {
  if (readCanonical(text)) return canonicalProblem();
  const m = RFC3339.exec(text);
  if (m === null) return NOT_RFC3339;
  // An offset `Z` has no hours and minutes to check: 0.
  const offsetHour = +(m[9] ?? 0), offsetMinute = +(m[10] ?? 0);
  // Stryker disable next-line UnaryOperator: `-year` is a leap year exactly when `year` is one.
  const year = +m[1];
  return fieldProblem(year, +m[2], +m[3], +m[4], +m[5], +m[6], offsetHour, offsetMinute);
}

/** Whether `text` is an RFC 3339 timestamp with offset whose fields are all in range. */
export function isRfc3339(text: string): boolean {
  return rfc3339Problem(text) === undefined;
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
  if (prefix !== undefined && readCanonical(text) && text.charCodeAt(17) < 54 /* "6" */) {
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
