/** The `.env` file: its variables, and a warning for each value that `parseEnv` cut at a `#`. */

import assert from "node:assert/strict";
import { ENV_FILE_MAX_BYTES, readEnvFile } from "../src/config/env_file.ts";
import { readNamedFile, requireNamedFile } from "../src/config/named_file.ts";
import { FileRefused, UsageError } from "../src/errors.ts";
import { usageError } from "./helpers.ts";

const SECRET = "SENTINEL-env-value";

/** `readEnvFile` of `text` as `./.env` (or as `path`), through an in-memory reader. */
function read(text: string, path?: string) {
  const limits: number[] = [];
  const file = readEnvFile(path, (name, maxBytes) => {
    limits.push(maxBytes);
    return name === (path ?? ".env") ? text : undefined;
  });
  assert.deepEqual(limits, [ENV_FILE_MAX_BYTES]);
  return file;
}

const cut = (where: string, line: number, key: string) =>
  `${where} line ${line}: the value of ${key} was cut at "#" (read as a comment); ` +
  `quote the value if "#" belongs to it`;

Deno.test("an unquoted # cuts the value, with or without a space before it, and is warned about", () => {
  const { entries, warnings } = read(
    [
      "# a comment line",
      `KRAKENFLEX_API_KEY=${SECRET}#rest`,
      "KRAKENFLEX_SITE=norwich-pear-tree #rest",
      "",
      "export KRAKENFLEX_LOG_LEVEL = debug\t# rest",
      "KRAKENFLEX_SINCE=#2022",
    ].join("\r\n"),
  );
  assert.equal(entries.get("KRAKENFLEX_API_KEY"), SECRET);
  assert.equal(entries.get("KRAKENFLEX_SITE"), "norwich-pear-tree");
  assert.equal(entries.get("KRAKENFLEX_LOG_LEVEL"), "debug");
  assert.equal(entries.get("KRAKENFLEX_SINCE"), "");
  assert.deepEqual(warnings, [
    cut(".env", 2, "KRAKENFLEX_API_KEY"),
    cut(".env", 3, "KRAKENFLEX_SITE"),
    cut(".env", 5, "KRAKENFLEX_LOG_LEVEL"),
    cut(".env", 6, "KRAKENFLEX_SINCE"),
  ]);
  assert.ok(!warnings.join("\n").includes("SENTINEL"), "a warning never holds a value");
});

Deno.test("no warning when nothing was cut, or the cut value is not the one in effect", () => {
  const { entries, warnings } = read(
    [
      `A="${SECRET} #1"`,
      `B='x#y'`,
      "C=`x #y`",
      `D="quoted" # a comment after a quoted value`,
      "E=plain",
      "F=first#cut",
      "F=second",
      `G="multi`,
      `H=inside#quotes"`,
      "#I=commented#out",
    ].join("\n"),
  );
  assert.equal(entries.get("A"), `${SECRET} #1`);
  assert.equal(entries.get("B"), "x#y");
  assert.equal(entries.get("C"), "x #y");
  assert.equal(entries.get("D"), "quoted");
  assert.equal(entries.get("F"), "second");
  assert.equal(entries.get("G"), "multi\nH=inside#quotes");
  assert.equal(entries.has("H"), false);
  assert.equal(entries.has("I"), false);
  assert.deepEqual(warnings, []);
});

Deno.test("--env-file: the warning names the file given", () => {
  const { warnings } = read("KRAKENFLEX_API_KEY=abc#def\n", "/etc/outage-sync/env");
  assert.deepEqual(warnings, [
    cut('.env file "/etc/outage-sync/env"', 1, "KRAKENFLEX_API_KEY"),
  ]);
});

Deno.test("a key that is not a plain name is quoted in the warning", () => {
  const { warnings } = read("A.B=abc#def\n");
  assert.deepEqual(warnings, [cut(".env", 1, '"A.B"')]);
});

Deno.test("no ./.env: no variables, no warnings; a refused file: a usage error naming it once", () => {
  assert.deepEqual(readEnvFile(undefined, () => undefined), { entries: new Map(), warnings: [] });
  const error = usageError(() =>
    readEnvFile("/x/env", (path) => {
      throw new FileRefused(path, "is a FIFO (named pipe), not a regular file");
    })
  );
  assert.equal(
    error.message,
    'Cannot read the env file "/x/env": it is a FIFO (named pipe), not a regular file',
  );
  assert.equal(error.hint, "The env file must be a regular file of at most 1 MiB.");
  const denied = usageError(() =>
    readEnvFile(undefined, (path) => {
      throw new FileRefused(path, "cannot be read: permission denied");
    })
  );
  assert.equal(
    denied.message,
    'Cannot read the env file ".env": it cannot be read: permission denied',
  );
  assert.equal(
    denied.hint,
    "Check the file's path and permissions: this user must be able to read it.",
  );
});

Deno.test("a deliberate inline comment after a quoted value: read intact, never warned about", () => {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  // The README's own example of the form, so that what it documents is what is read.
  const example = /`(KRAKENFLEX_\w+="[^"]*" +# [^`]+)`/.exec(readme)?.[1];
  assert.ok(example !== undefined, "README.md shows a quoted value with an inline comment");
  const file = readEnvFile(
    ".env",
    () => `${example}\nKRAKENFLEX_SINCE='2023-01-01T00:00:00Z' # x\n`,
  );
  assert.deepEqual(file.warnings, []);
  assert.equal(file.entries.get("KRAKENFLEX_SITE"), "norwich-pear-tree");
  assert.equal(file.entries.get("KRAKENFLEX_SINCE"), "2023-01-01T00:00:00Z");
});

Deno.test("a file named by a flag: bounded, missing or refused, every failure a usage error", () => {
  const file = {
    what: "the sites file",
    path: "f",
    from: "--sites-file",
    maxBytes: 10,
    shape: "A sites file must be small.",
    missingHint: "Check the path.",
  };
  const limits: number[] = [];
  const reader = (text: string | undefined) => (_: string, maxBytes: number) => {
    limits.push(maxBytes);
    return text;
  };
  assert.equal(readNamedFile(file, reader("a\n")), "a\n");
  assert.equal(readNamedFile(file, reader(undefined)), undefined);
  assert.deepEqual(limits, [10, 10]);
  assert.throws(() => requireNamedFile(file, reader(undefined)), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.equal(error.message, 'Cannot read the sites file "f" (--sites-file): no such file');
    assert.equal(error.hint, "Check the path.");
    return true;
  });
  const refuse = (reason: string) => () => {
    throw new FileRefused("f", reason);
  };
  assert.throws(() => readNamedFile(file, refuse("is a FIFO, not a regular file")), {
    message: 'Cannot read the sites file "f" (--sites-file): it is a FIFO, not a regular file',
    hint: "A sites file must be small.",
  });
  assert.throws(() => readNamedFile({ ...file, from: undefined }, refuse("cannot be read: x")), {
    message: 'Cannot read the sites file "f": it cannot be read: x',
    hint: "Check the file's path and permissions: this user must be able to read it.",
  });
});
