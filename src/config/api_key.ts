/**
 * Where the API key comes from (docs/spec.md §5): never a flag; `--api-key-file`, else
 * `KRAKENFLEX_API_KEY` or `KRAKENFLEX_API_KEY_FILE` from the environment or `.env`. The key is
 * trimmed, must be sendable in a header, and is never echoed in a message.
 * @module
 */

import { UsageError } from "../errors.ts";
import { Secret } from "../secret.ts";
import { type ReadTextFile, requireNamedFile } from "./named_file.ts";
import type { EnvLookup } from "./settings.ts";

/** The key and where it came from (e.g. `KRAKENFLEX_API_KEY (.env)`), for hints after a 403. */
export interface ApiKey {
  readonly key: Secret;
  readonly source: string;
  /** The key file it was read from, if it was. */
  readonly file?: string;
}

/** The variable that holds the key itself. */
export const KEY_VARIABLE = "KRAKENFLEX_API_KEY";
/** The variable that names a file holding the key. */
export const KEY_FILE_VARIABLE = "KRAKENFLEX_API_KEY_FILE";

/**
 * The shortest key accepted: every occurrence of the key in output is redacted, which would garble
 * ordinary words for a shorter one (`chec[redacted]ed`).
 */
export const MIN_KEY_LENGTH = 8;

/** Characters that can go in an HTTP header value. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

function checkKey(key: string, from: string): Secret {
  if (key === "") {
    throw new UsageError(
      `The API key is empty: ${from}`,
      "Put the key in KRAKENFLEX_API_KEY (environment or .env) or in a file named by --api-key-file.",
    );
  }
  if (key.length < MIN_KEY_LENGTH) {
    throw new UsageError(
      `The API key from ${from} is ${key.length} characters long; keys shorter than ` +
        `${MIN_KEY_LENGTH} are refused`,
      "Output is redacted wherever the key appears, which would garble it for so short a key; " +
        "check that the whole key was copied.",
    );
  }
  if (!HEADER_SAFE.test(key)) {
    throw new UsageError(
      `The API key from ${from} contains spaces or characters that cannot be sent in an HTTP header`,
      "Check that the whole key, and only the key, was copied.",
    );
  }
  return new Secret(key);
}

/** The largest key file read: a key is a few dozen bytes; a key file holds only the key. */
export const KEY_FILE_MAX_BYTES = 4096;

function fromFile(path: string, from: string, readTextFile: ReadTextFile): ApiKey {
  const text = requireNamedFile({
    what: "the API key file",
    path,
    from,
    maxBytes: KEY_FILE_MAX_BYTES,
    shape: "A key file must be a regular file of at most 4 KiB that holds only the key.",
    missingHint: "Check the path.",
  }, readTextFile);
  const source = `the API key file "${path}"`;
  return { key: checkKey(text.trim(), source), source, file: path };
}

/**
 * The API key: the file named by `--api-key-file` (`flagFile`) wins; otherwise, at the same level,
 * `KRAKENFLEX_API_KEY` wins over `KRAKENFLEX_API_KEY_FILE`, and the real environment over `.env`.
 */
export function readApiKey(
  flagFile: string | undefined,
  lookup: EnvLookup,
  readTextFile: ReadTextFile,
): ApiKey {
  if (flagFile !== undefined) return fromFile(flagFile, "--api-key-file", readTextFile);
  const key = lookup(KEY_VARIABLE);
  const file = lookup(KEY_FILE_VARIABLE);
  if (
    key !== undefined && (file === undefined || key.from === "environment" || file.from === ".env")
  ) {
    const source = `${KEY_VARIABLE} (${key.from})`;
    return { key: checkKey(key.text, source), source };
  }
  if (file !== undefined) {
    return fromFile(file.text, `${KEY_FILE_VARIABLE} (${file.from})`, readTextFile);
  }
  throw new UsageError(
    "No API key: KRAKENFLEX_API_KEY is not set",
    "Set KRAKENFLEX_API_KEY in the environment or in .env, or name a key file with --api-key-file.",
  );
}
