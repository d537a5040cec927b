/**
 * JSON syntax without building values: a scanner that finds where a value ends and says exactly
 * where the text stops being JSON, with an explicit stack (any nesting depth, no recursion), and a
 * bounded `JSON.parse` that refuses bodies with more values than it may build. Hostile bodies under
 * the size cap (a 268 MB `[0,0,…]`, a million-key object) end in an error, never in a crash.
 * @module
 */

/** The text is not JSON; `offset` is the index (UTF-16 code units) where it stopped being JSON. */
export class JsonSyntaxError extends Error {
  override name = "JsonSyntaxError";
  /** Where the text stopped being JSON. */
  readonly offset: number;
  constructor(problem: string, offset: number) {
    super(`${problem} at offset ${offset}`);
    this.offset = offset;
  }
}

/** The JSON holds more values than the caller allows to be built. */
export class JsonLimitError extends Error {
  override name = "JsonLimitError";
}

const TAB = 9,
  LF = 10,
  CR = 13,
  SPACE = 32,
  QUOTE = 34,
  COMMA = 44,
  MINUS = 45,
  PLUS = 43,
  DOT = 46,
  ZERO = 48,
  NINE = 57,
  COLON = 58,
  LOWER_E = 101,
  UPPER_E = 69,
  LBRACKET = 91,
  BACKSLASH = 92,
  RBRACKET = 93,
  LBRACE = 123,
  RBRACE = 125,
  LOWER_U = 117;

/** The index of the first non-whitespace character at or after `pos` (JSON whitespace only). */
export function skipWhitespace(text: string, pos: number): number {
  for (;;) {
    const c = text.charCodeAt(pos);
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) return pos;
    pos++;
  }
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** The index just past the string that starts with the quote at `pos`. */
export function scanString(text: string, pos: number): number {
  if (text.charCodeAt(pos) !== QUOTE) throw new JsonSyntaxError("expected a string", pos);
  for (let i = pos + 1;;) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const e = text.charCodeAt(i + 1);
      if (e === LOWER_U) {
        for (let k = 2; k < 6; k++) {
          if (!isHex(text.charCodeAt(i + k))) {
            throw new JsonSyntaxError("bad \\u escape in a string", i);
          }
        }
        i += 6;
      } else if (
        e === QUOTE || e === BACKSLASH || e === 47 || e === 98 || e === 102 || e === 110 ||
        e === 114 || e === 116
      ) {
        i += 2;
      } else {
        throw new JsonSyntaxError("bad escape in a string", i);
      }
    } else if (c < SPACE || Number.isNaN(c)) {
      throw new JsonSyntaxError(
        Number.isNaN(c) ? "unterminated string" : "control character in a string",
        i,
      );
    } else {
      i++;
    }
  }
}

function scanDigits(text: string, pos: number): number {
  const start = pos;
  for (let c = text.charCodeAt(pos); c >= ZERO && c <= NINE; c = text.charCodeAt(++pos));
  if (pos === start) throw new JsonSyntaxError("expected a digit", pos);
  return pos;
}

/** The index just past the number that starts at `pos`. */
function scanNumber(text: string, pos: number): number {
  if (text.charCodeAt(pos) === MINUS) pos++;
  if (text.charCodeAt(pos) === ZERO) pos++;
  else pos = scanDigits(text, pos);
  if (text.charCodeAt(pos) === DOT) pos = scanDigits(text, pos + 1);
  const e = text.charCodeAt(pos);
  if (e === LOWER_E || e === UPPER_E) {
    pos++;
    const sign = text.charCodeAt(pos);
    if (sign === PLUS || sign === MINUS) pos++;
    pos = scanDigits(text, pos);
  }
  return pos;
}

/** Past `"key"` and `:` and whitespace: where the member's value starts. */
function scanMemberName(text: string, pos: number): number {
  if (text.charCodeAt(pos) !== QUOTE) throw new JsonSyntaxError("expected a member name", pos);
  pos = skipWhitespace(text, scanString(text, pos));
  if (text.charCodeAt(pos) !== COLON) throw new JsonSyntaxError('expected ":"', pos);
  return skipWhitespace(text, pos + 1);
}

/** Counts of what a scan saw. */
export interface ScanCounts {
  /** Values of every kind, containers and their members included. */
  values: number;
}

const ARRAY = 1, OBJECT = 2;

/**
 * The index just past the JSON value that starts at `pos` (after whitespace), checking its syntax
 * as `JSON.parse` would, without building it. Throws {@link JsonSyntaxError}. `counts.values` is
 * increased by the number of values seen.
 */
export function scanValue(text: string, pos: number, counts?: ScanCounts): number {
  const stack: number[] = [];
  let values = 0;
  pos = skipWhitespace(text, pos);
  for (;;) {
    values++;
    const c = text.charCodeAt(pos);
    if (c === QUOTE) {
      pos = scanString(text, pos);
    } else if (c === LBRACKET || c === LBRACE) {
      const close = c === LBRACKET ? RBRACKET : RBRACE;
      pos = skipWhitespace(text, pos + 1);
      if (text.charCodeAt(pos) === close) {
        pos++;
      } else {
        stack.push(c === LBRACKET ? ARRAY : OBJECT);
        if (c === LBRACE) pos = scanMemberName(text, pos);
        continue;
      }
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      pos = scanNumber(text, pos);
    } else if (text.startsWith("true", pos) || text.startsWith("null", pos)) {
      pos += 4;
    } else if (text.startsWith("false", pos)) {
      pos += 5;
    } else {
      throw new JsonSyntaxError(Number.isNaN(c) ? "unexpected end" : "expected a value", pos);
    }
    // After a value: close what ends here, or move on to the next member.
    for (;;) {
      if (stack.length === 0) {
        if (counts !== undefined) counts.values += values;
        return pos;
      }
      pos = skipWhitespace(text, pos);
      const d = text.charCodeAt(pos);
      const top = stack[stack.length - 1];
      if (d === COMMA) {
        pos = skipWhitespace(text, pos + 1);
        if (top === OBJECT) pos = scanMemberName(text, pos);
        break;
      }
      if (d === (top === ARRAY ? RBRACKET : RBRACE)) {
        stack.pop();
        pos++;
        continue;
      }
      throw new JsonSyntaxError(
        Number.isNaN(d)
          ? "unexpected end"
          : top === ARRAY
          ? 'expected "," or "]"'
          : 'expected "," or "}"',
        pos,
      );
    }
  }
}

/**
 * `JSON.parse(text)` for a text that holds at most `maxValues` values: checked first by a scan, so
 * that a body under the size cap can never make the process build more than that (a huge array
 * of zeros would otherwise end the process in a fatal V8 error). Throws {@link JsonSyntaxError}
 * or {@link JsonLimitError}.
 */
export function parseJsonBounded(text: string, maxValues: number): unknown {
  // Every value takes a character and all but the last a separator: a text this short cannot hold
  // more, and `JSON.parse` alone decides (its own error, whose message quotes the text, is
  // replaced by the scanner's, which does not).
  // Stryker disable next-line ArithmeticOperator,BlockStatement: skipping JSON.parse's shortcut leaves the scan, which gives the same value or the same error
  if (text.length <= 2 * maxValues) {
    // Stryker disable next-line BlockStatement: an empty try falls through to the scan, which gives the same value
    try {
      return JSON.parse(text);
      // Stryker disable next-line BlockStatement: an empty catch falls through to the scan, which gives the same value or the same error
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
    }
  }
  const counts = { values: 0 };
  const end = skipWhitespace(text, scanValue(text, 0, counts));
  if (end < text.length) throw new JsonSyntaxError("unexpected data after the value", end);
  if (counts.values > maxValues) {
    throw new JsonLimitError(
      `it holds ${counts.values} JSON values, more than the ${maxValues} this request may build`,
    );
  }
  return JSON.parse(text);
}
