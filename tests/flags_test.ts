/** Option tables: strict parsing, "did you mean", the shared value parsers and the help lines. */

import assert from "node:assert/strict";
import { UsageError } from "../src/errors.ts";
import { usageError } from "./helpers.ts";
import {
  booleanOption,
  choiceParser,
  closestName,
  listOption,
  numberParser,
  parseFlags,
  peekFlag,
  renderOptions,
  valueOption,
} from "../src/config/flags.ts";

const text = (value: string) => value;

const TABLE = {
  site: listOption({
    flag: "site",
    env: "X_SITE",
    valueName: "ID",
    default: "home",
    help: "a site",
    parse: text,
  }),
  since: valueOption({
    type: "string",
    flag: "since",
    env: "X_SINCE",
    valueName: "WHEN",
    default: undefined,
    help: "a cut-off",
    parse: text,
  }),
  key: valueOption({
    type: "string",
    env: "X_KEY",
    valueName: "KEY",
    default: undefined,
    help: "from the environment only",
    parse: text,
  }),
  dryRun: booleanOption({ flag: "dry-run", help: "post nothing" }),
  quiet: booleanOption({ flag: "quiet", short: "q", help: "errors only" }),
};

Deno.test("parseFlags: what was given", async (t) => {
  await t.step("value flags keep every text in order; switches are a set", () => {
    const flags = parseFlags(
      ["--site", "a", "--site=b,c", "--since", "x", "-q", "--dry-run"],
      TABLE,
      "sync",
    );
    assert.deepEqual([...flags.values], [["site", ["a", "b,c"]], ["since", ["x"]]]);
    assert.deepEqual([...flags.switches].sort(), ["dry-run", "quiet"]);
  });

  await t.step("nothing given: nothing set", () => {
    const flags = parseFlags([], TABLE, "sync");
    assert.equal(flags.values.size, 0);
    assert.equal(flags.switches.size, 0);
  });

  await t.step("a switch given twice is still one switch", () => {
    assert.deepEqual([...parseFlags(["-q", "--quiet"], TABLE, "sync").switches], ["quiet"]);
  });
});

Deno.test("parseFlags: usage errors name the flag and the command's help", async (t) => {
  await t.step("a single-value flag given twice", () => {
    const error = usageError(() => parseFlags(["--since", "A", "--since=B"], TABLE, "check"));
    assert.equal(error.message, 'Option "--since" is given 2 times: "A", "B"');
    assert.equal(error.hint, "Give it once. Run `outage-sync check --help` for the options.");
  });

  await t.step("an unknown flag gets the closest known one", () => {
    const error = usageError(() => parseFlags(["--dryrun"], TABLE, "sync"));
    assert.equal(error.message, 'Unknown option "--dryrun"');
    assert.equal(
      error.hint,
      'Did you mean "--dry-run"? Run `outage-sync sync --help` for the options.',
    );
    assert.match(usageError(() => parseFlags(["--sit=x"], TABLE, "sync")).hint ?? "", /"--site"/);
  });

  await t.step("an unknown flag far from every known one gets no guess", () => {
    const error = usageError(() => parseFlags(["--zzzzzzzzzzzz"], TABLE, "demo"));
    assert.equal(error.hint, "Run `outage-sync demo --help` for the options.");
  });

  await t.step("an unknown short flag", () => {
    assert.equal(
      usageError(() => parseFlags(["-x"], TABLE, "sync")).message,
      'Unknown option "-x"',
    );
  });

  await t.step("a value flag without its value, or followed by another flag", () => {
    for (const args of [["--site"], ["--site", "--dry-run"]]) {
      const error = usageError(() => parseFlags(args, TABLE, "sync"));
      assert.equal(error.message, 'Option "--site" needs a value');
    }
  });

  await t.step("a switch given a value", () => {
    const error = usageError(() => parseFlags(["--dry-run=yes"], TABLE, "sync"));
    assert.equal(error.message, 'Option "--dry-run" takes no value');
  });

  await t.step("a positional argument", () => {
    const error = usageError(() => parseFlags(["norwich-pear-tree"], TABLE, "sync"));
    assert.equal(error.message, 'Unexpected argument "norwich-pear-tree"');
  });

  await t.step("a setting with no flag cannot be given as one", () => {
    const error = usageError(() => parseFlags(["--key", "k"], TABLE, "sync"));
    assert.equal(
      error.message,
      'Option "--key" does not exist: X_KEY is read from the environment or .env only',
    );
    assert.equal(error.hint, "Set X_KEY in the environment or in .env.");
  });
  await t.step("an unknown flag is named without the value given with it", () => {
    const error = usageError(() => parseFlags(["--sincee=SECRET-VALUE"], TABLE, "sync"));
    assert.equal(error.message, 'Unknown option "--sincee"');
    assert.ok(!`${error.message} ${error.hint}`.includes("SECRET-VALUE"));
  });
});

Deno.test("closestName", () => {
  const known = ["site", "since", "dry-run", "timeout", "max-attempts"];
  assert.equal(closestName("sit", known), "site");
  assert.equal(closestName("dryrun", known), "dry-run");
  assert.equal(closestName("max-atempts", known), "max-attempts");
  assert.equal(closestName("timeuot", known), "timeout");
  assert.equal(closestName("zzzzzzzzzzzz", known), undefined);
  assert.equal(closestName("x", []), undefined);
});

Deno.test("numberParser", async (t) => {
  const port = numberParser({ integer: true, min: 0, max: 65535 });
  const rate = numberParser({ integer: false, min: 0, max: 1 });

  await t.step("plain decimals within the range", () => {
    assert.equal(port("0", "p"), 0);
    assert.equal(port("65535", "p"), 65535);
    assert.equal(port("0080", "p"), 80);
    assert.equal(rate("0.25", "r"), 0.25);
    assert.equal(rate(".5", "r"), 0.5);
    assert.equal(rate("1", "r"), 1);
  });

  await t.step("anything else: a message naming where it came from and the value", () => {
    for (const bad of ["", " 1", "1.5", "-1", "+1", "1e3", "0x10", "65536", "abc"]) {
      assert.throws(
        () => port(bad, '"--port"'),
        new UsageError(
          `Cannot parse "--port": expected a whole number from 0 to 65535, got "${bad}"`,
        ),
        bad,
      );
    }
    for (const bad of ["1.5", "-0.1", "1.", "NaN", "Infinity"]) {
      assert.throws(
        () => rate(bad, "X_RATE (.env)"),
        new UsageError(`Cannot parse X_RATE (.env): expected a number from 0 to 1, got "${bad}"`),
        bad,
      );
    }
  });
});

Deno.test("choiceParser", () => {
  const two = choiceParser(["text", "json"]);
  const three = choiceParser(["a", "b", "c"]);
  assert.equal(two("json", "f"), "json");
  assert.equal(three("c", "f"), "c");
  assert.throws(
    () => two("xml", '"--log-format"'),
    new UsageError('Cannot parse "--log-format": expected "text" or "json", got "xml"'),
  );
  assert.throws(
    () => three("JSON", "F"),
    new UsageError('Cannot parse F: expected one of "a", "b", "c", got "JSON"'),
  );
});

Deno.test("renderOptions: a line per option, its default and variable under it", () => {
  assert.equal(
    renderOptions(TABLE),
    [
      "      --site ID             a site",
      "                            default: home; env: X_SITE",
      "      --since WHEN          a cut-off",
      "                            env: X_SINCE",
      "  X_KEY                     from the environment only",
      "      --dry-run             post nothing",
      "  -q, --quiet               errors only",
      "",
    ].join("\n"),
  );
  assert.equal(
    renderOptions({ dryRun: TABLE.dryRun }, ""),
    "    --dry-run             post nothing\n",
  );
});

Deno.test("peekFlag reads a flag's value leniently: either form, the last one given, trimmed", () => {
  assert.equal(peekFlag(["--log-format", " json "], "log-format"), "json");
  assert.equal(peekFlag(["--log-format=json", "--bogus"], "log-format"), "json");
  assert.equal(peekFlag(["--log-format", "text", "--log-format=json"], "log-format"), "json");
  assert.equal(peekFlag(["--log-format"], "log-format"), undefined);
  assert.equal(peekFlag(["--log-formats=json", "--log-format-x", "json"], "log-format"), undefined);
  assert.equal(peekFlag(["--metrics-file="], "metrics-file"), "");
});
