/**
 * A holder for the API key that never prints it.
 * @module
 */

import { REDACTED } from "./redact.ts";

/**
 * The API key. `String(secret)`, `JSON.stringify(secret)`, `console.log(secret)` and
 * `Deno.inspect(secret)` all print `[redacted]`; only {@link Secret.reveal} gives the value. Two
 * callers need it: the HTTP client, for the `x-api-key` header, and the sync command
 * (`src/cli/sync_command.ts`), to give the logger and the report's redactor the text to hide.
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
