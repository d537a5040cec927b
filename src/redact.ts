/**
 * Redaction of secrets from text meant for output: every occurrence of the key — raw, JSON-escaped
 * once or twice, URL-encoded, base64 (at any alignment) and HTML-escaped — becomes `[redacted]`.
 * Output is redacted before it is cut or escaped, so that no cut can leave part of a key behind.
 * @module
 */

/** What a secret is replaced with. */
export const REDACTED = "[redacted]";

/** Turns text into text with no secret in it. */
export type Redactor = (text: string) => string;

function percentAll(text: string, upper: boolean): string {
  return Array.from(new TextEncoder().encode(text), (byte) => {
    const hex = byte.toString(16).padStart(2, "0");
    return `%${upper ? hex.toUpperCase() : hex}`;
  }).join("");
}

function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

/**
 * The forms in which `secret` may be echoed back. Base64 of a longer text that contains the
 * secret depends on where it starts, so the parts that do not depend on it are listed for each of
 * the three alignments (a character or two of base64 at either end may stay).
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>();
  const add = (form: string) => {
    if (form.length > 0) forms.add(form);
  };
  add(secret);
  const once = JSON.stringify(secret).slice(1, -1);
  add(once);
  add(JSON.stringify(once).slice(1, -1));
  add(encodeURIComponent(secret));
  add(percentAll(secret, true));
  add(percentAll(secret, false));
  for (let skip = 0; skip < 3; skip++) {
    const whole = secret.length - skip - ((secret.length - skip) % 3);
    if (whole < 6) continue;
    const encoded = base64(secret.slice(skip, skip + whole));
    add(encoded);
    add(encoded.replaceAll("+", "-").replaceAll("/", "_"));
  }
  add(
    secret.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
      .replaceAll('"', "&quot;").replaceAll("'", "&#39;"),
  );
  add(Array.from(secret, (c) => `&#${c.codePointAt(0)};`).join(""));
  add(Array.from(secret, (c) => `&#x${c.codePointAt(0)!.toString(16)};`).join(""));
  return [...forms].sort((a, b) => b.length - a.length);
}

/** A redactor of every form of every secret, longest forms first. */
export function createRedactor(secrets: readonly string[]): Redactor {
  const forms = [...new Set(secrets.filter((s) => s !== "").flatMap(secretForms))]
    .sort((a, b) => b.length - a.length);
  if (forms.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const form of forms) {
      if (out.includes(form)) out = out.replaceAll(form, REDACTED);
    }
    return out;
  };
}
