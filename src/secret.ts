/**
 * A holder for the API key that never prints it.
 * @module
 */

import { REDACTED } from "./redact.ts";

/**
 * The API key. `String(secret)`, `JSON.stringify(secret)`, `console.log(secret)` and
 * `Deno.inspect(secret)` all print `[redacted]`; only {@link Secret.reveal} gives the value, and
 * only the HTTP layer calls it, to set the `x-api-key` header.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The key itself, for the request header and for the logger's redaction list. */
  reveal(): string {
    return this.#value;
  }

  /** `[redacted]`. */
  toString(): string {
    return REDACTED;
  }

  /** `[redacted]`. */
  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for("Deno.customInspect")](): string {
    return `Secret(${REDACTED})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Secret(${REDACTED})`;
  }
}
