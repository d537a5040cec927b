/**
 * Redaction of secrets from text meant for output: every occurrence of the key becomes
 * `[redacted]`, in any letter case (a URL's host and a charset name are case-folded, by servers and
 * by parsers), and in the encodings a server may echo it in: with any of its characters
 * JSON-escaped once or twice, percent-encoded once or twice (hex digits in either case), or written
 * as an HTML character reference (named, decimal or hex); and whole in base64 or base64url (at any
 * alignment) or hex. Output is redacted before it is cut or escaped, so that no cut can leave part
 * of a key behind. A key the server transformed in some other way (cut, reversed, hashed,
 * re-encoded otherwise) cannot be recognised, and is not redacted.
 * @module
 */

/** What a secret is replaced with. */
export const REDACTED = "[redacted]";

/** Turns text into text with no secret in it. */
export type Redactor = (text: string) => string;

/** HTML's named character references for the ASCII characters a key may hold. */
const NAMED_REFERENCES: Readonly<Record<string, readonly string[]>> = {
  "!": ["excl"],
  '"': ["quot"],
  "#": ["num"],
  "$": ["dollar"],
  "%": ["percnt"],
  "&": ["amp"],
  "'": ["apos"],
  "(": ["lpar"],
  ")": ["rpar"],
  "*": ["ast", "midast"],
  "+": ["plus"],
  ",": ["comma"],
  ".": ["period"],
  "/": ["sol"],
  ":": ["colon"],
  ";": ["semi"],
  "<": ["lt"],
  "=": ["equals"],
  ">": ["gt"],
  "?": ["quest"],
  "@": ["commat"],
  "[": ["lsqb", "lbrack"],
  "\\": ["bsol"],
  "]": ["rsqb", "rbrack"],
  "^": ["hat"],
  "_": ["lowbar", "underbar"],
  "`": ["grave", "diacriticalgrave"],
  "{": ["lcub", "lbrace"],
  "|": ["verbar", "vert", "verticalline"],
  "}": ["rcub", "rbrace"],
};

const utf8 = new TextEncoder();

/** The text between the quotes of `text` as a JSON string. */
function jsonInner(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** One character in JSON: as `JSON.stringify` writes it, as `\uXXXX`, and `/` as `\/`. */
function jsonForms(c: string): string[] {
  const units = Array.from(
    { length: c.length },
    (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`,
  ).join("");
  return [jsonInner(c), units, ...(c === "/" ? ["\\/"] : [])];
}

/**
 * The regular expressions, one per layer of encoding, that each match `c` written in that layer:
 * as it is (unless the layer must escape it) or escaped. Within a layer no form is a prefix of
 * another, so a key's pattern is matched without backtracking across characters.
 */
function characterLayers(c: string): string[][] {
  const literal = (forms: string[]) => forms.map((form) => RegExp.escape(form));
  const bytes = utf8.encode(c);
  const percent = (prefix: string) =>
    Array.from(bytes, (byte) => `${prefix}${new Uint8Array([byte]).toHex()}`).join("");
  const code = c.codePointAt(0)!;
  return [
    literal([c]),
    literal(jsonForms(c)),
    literal(jsonForms(c).map(jsonInner)),
    literal([...(c === "%" ? [] : [c]), percent("%")]),
    literal([...(c === "%" ? [] : [c]), percent("%25")]),
    [
      ...literal(c === "&" ? [] : [c]),
      `&#0{0,6}${code};`,
      `&#x0{0,6}${code.toString(16)};`,
      ...literal((NAMED_REFERENCES[c] ?? []).map((name) => `&${name};`)),
    ],
  ];
}

/**
 * The forms of `secret` that are not written character by character: base64 and base64url, and
 * hex. Base64 of a longer text that contains the secret depends on where it starts, so the parts
 * that do not depend on it are listed for each of the three alignments (a character or two of
 * base64 at either end may stay).
 */
function wholeForms(secret: string): string[] {
  const bytes = utf8.encode(secret);
  const forms = [bytes.toHex()];
  for (let skip = 0; skip < 3; skip++) {
    const whole = bytes.length - skip - ((bytes.length - skip) % 3);
    if (whole < 6) continue;
    const part = bytes.subarray(skip, skip + whole);
    forms.push(part.toBase64(), part.toBase64({ alphabet: "base64url" }));
  }
  return forms;
}

/**
 * The source of a regular expression (to be used with the `i` flag) that matches `secret` in every
 * form {@link createRedactor} redacts: one alternative per layer of encoding, each character of the
 * secret written as it is or escaped in that layer, then the whole forms, longest first.
 */
export function secretPattern(secret: string): string {
  const layers: string[][] = [];
  for (const c of secret) {
    for (const [i, forms] of characterLayers(c).entries()) {
      const unique = [...new Set(forms)];
      (layers[i] ??= []).push(unique.length === 1 ? unique[0] : `(?:${unique.join("|")})`);
    }
  }
  const whole = wholeForms(secret).sort((a, b) => b.length - a.length).map((f) => RegExp.escape(f));
  return [...new Set([...layers.map((layer) => layer.join("")), ...whole])].join("|");
}

/**
 * A redactor of every form of every secret, in any letter case: longer secrets first, so that a
 * secret that contains another is redacted whole.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const sorted = [...new Set(secrets.filter((s) => s !== ""))].sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return (text) => text;
  const pattern = new RegExp(sorted.map(secretPattern).join("|"), "gi");
  return (text) => text.replace(pattern, REDACTED);
}
