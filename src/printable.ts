/**
 * Text that came from outside (a server's message, a site's name) made safe to print for people:
 * control characters, and the invisible characters that reorder or hide text, are shown as escapes
 * and never interpreted by a terminal; long text is cut, saying how much was left out.
 * @module
 */

/** C0 and C1 controls, DEL, line and paragraph separators, bidi controls and invisible format characters. */
const UNSAFE =
  // deno-lint-ignore no-control-regex -- control characters are what it finds.
  /[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;

/** `text` with every unsafe character shown as an escape (`\x1b`, `\n`, `\u202e`). */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => {
    switch (c) {
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
    }
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** `text` cut to at most about `max` characters, saying how many were left out. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // never split a surrogate pair
  return `${text.slice(0, end)}… (${text.length - end} more characters)`;
}

/** Unsafe characters that JSON leaves as they are (it escapes only those below U+0020). */
const JSON_UNSAFE =
  /[\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;

/**
 * JSON text with the unsafe characters that `JSON.stringify` leaves raw written as `\uXXXX`
 * escapes: the same JSON value, which no terminal can interpret when the output is read there.
 */
export function escapeJsonText(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
