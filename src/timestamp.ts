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

/**
 * The canonical shape the API uses, `YYYY-MM-DDTHH:MM:SS.sssZ`, whose string order is time order.
 * A leap second (`:60`) is left to `Temporal`, which reads it as `:59`.
 */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:[0-5]\d\.\d{3}Z$/;

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
  const m = RFC3339.exec(text);
  if (m === null) return "not an RFC 3339 timestamp with offset";
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
    throw new RangeError(`expected an RFC 3339 timestamp with offset, got "${text}" (${problem})`);
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
  if (since.millisecondPrefix !== undefined && text.length === 24 && CANONICAL.test(text)) {
    const prefix = text.slice(0, 23);
    if (prefix !== since.millisecondPrefix) return prefix > since.millisecondPrefix;
    return !since.hasSubMillisecond;
  }
  return Temporal.Instant.from(text).epochNanoseconds >= since.epochNanoseconds;
}
