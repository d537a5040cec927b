/**
 * The dispatcher, in process: `--help` and `--version`, each command's own help, unknown
 * commands, and that the help texts and `.env.example` document every option of the option table.
 */

import assert from "node:assert/strict";
import { checkCommand, syncCommand } from "../src/cli/sync_command.ts";
import { demoCommand } from "../src/cli/demo_command.ts";
import { COMMAND_NAMES, mainHelp } from "../src/cli/main.ts";
import { mockApiCommand } from "../src/cli/mock_api_command.ts";
import { SYNC_ONLY_OPTIONS, SYNC_OPTIONS } from "../src/config/sync_options.ts";
import { runMain } from "./in_process.ts";

const ENV_EXAMPLE = await Deno.readTextFile(new URL("../.env.example", import.meta.url));
const README = await Deno.readTextFile(new URL("../README.md", import.meta.url));

/**
 * Each command's help and what it must and must not name: one entry per command of the
 * dispatcher's table (checked below), used by every test of the helps.
 */
const COMMAND_HELPS: Record<string, { help: string; has: string[]; lacks: string[] }> = {
  sync: { help: syncCommand.help, has: ["--dry-run", "--since"], lacks: ["--rate-limit"] },
  check: { help: checkCommand.help, has: ["--since", "--api-key-file"], lacks: ["--port"] },
  demo: { help: demoCommand.help, has: ["--json", "--verbose"], lacks: ["--since", "--port"] },
  "mock-api": {
    help: mockApiCommand.help,
    has: ["--rate-limit N", "--port N", "--fail-rate P", "--synthetic N", "--data FILE"],
    lacks: ["--since", "--dry-run"],
  },
};

/** Variables the program reads that are no option of its own: systemd's, for `--state-dir`. */
const FOREIGN_VARIABLES = ["STATE_DIRECTORY"];

/** The flags and variables of the README's configuration table: its first two columns. */
function readmeOptionTable(readme: string): { flags: Set<string>; variables: Set<string> } {
  const section = readme.split(/^## /m).find((part) => part.startsWith("Configuration\n")) ?? "";
  const rows = section.split("\n").filter((line) => /^\| `/.test(line) || /^\| — /.test(line));
  const cells = rows.map((row) => row.split(/(?<!\\)\|/).slice(1, 3));
  return {
    flags: new Set(
      cells.flatMap(([flag]) => [...flag.matchAll(/--([a-z][\w-]*)/g)].map((m) => m[1])),
    ),
    variables: new Set(
      cells.flatMap(([, env]) => [...env.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1])),
    ),
  };
}

/** The variables `.env.example` sets or shows commented out (`NAME=` or `# NAME=`). */
function envExampleVariables(text: string): Set<string> {
  return new Set([...text.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
}

/** The flags and variables of the option table, but `--help`, which configures nothing. */
function tableOptions(): { flags: string[]; variables: string[] } {
  const specs = Object.values(SYNC_OPTIONS);
  return {
    flags: specs.flatMap((spec) =>
      spec.flag === undefined || spec.flag === "help" ? [] : [spec.flag]
    ).sort(),
    variables: specs.flatMap((spec) => spec.env ?? []).sort(),
  };
}

Deno.test("the README's configuration table lists exactly the options of SYNC_OPTIONS", () => {
  const table = readmeOptionTable(README);
  const options = tableOptions();
  assert.deepEqual([...table.flags].sort(), options.flags, "the flags of the table");
  assert.deepEqual(
    [...table.variables].filter((name) => !FOREIGN_VARIABLES.includes(name)).sort(),
    options.variables,
    "the environment variables of the table",
  );
});

Deno.test(".env.example names exactly the variables of SYNC_OPTIONS", () => {
  assert.deepEqual([...envExampleVariables(ENV_EXAMPLE)].sort(), tableOptions().variables);
});

Deno.test("the table readers find a missing row and a row too many", () => {
  const readme = "## Configuration\n\n| flag | environment |\n| --- | --- |\n" +
    "| `--site ID` | `KRAKENFLEX_SITE` |\n| `--log-format text\\|json` | — |\n" +
    "| `--log-level L`, `-q/--quiet` | `KRAKENFLEX_LOG_LEVEL` (or `OTHER`) |\n| — | `NO_COLOR` |\n" +
    "\n## Next\n| `--not-read` | `NOT_READ` |\n";
  const table = readmeOptionTable(readme);
  assert.deepEqual([...table.flags], ["site", "log-format", "log-level", "quiet"]);
  assert.deepEqual([...table.variables], [
    "KRAKENFLEX_SITE",
    "KRAKENFLEX_LOG_LEVEL",
    "OTHER",
    "NO_COLOR",
  ]);
  const example = "# KRAKENFLEX_SITE=a\nNO_COLOR=1\n# the value: KRAKENFLEX_SINCE=x  # no\n";
  assert.deepEqual([...envExampleVariables(example)], ["KRAKENFLEX_SITE", "NO_COLOR"]);
});

Deno.test("the README's Commands block lists exactly the commands of COMMANDS", () => {
  const section = README.split(/^## /m).find((part) => part.startsWith("Commands\n")) ?? "";
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const names = [...block.matchAll(/^outage-sync \[?([a-z][\w-]*)\]? /gm)].map((match) => match[1]);
  assert.deepEqual(names.sort(), [...COMMAND_NAMES].sort());
});

Deno.test("--help, -h and help print the main help on stdout: exit 0", async () => {
  for (const word of ["--help", "-h", "help"]) {
    const result = await runMain([word]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, mainHelp());
    assert.equal(result.stderr, "");
  }
  const help = mainHelp();
  for (const command of COMMAND_NAMES) {
    assert.match(help, new RegExp(`^  outage-sync \\[?${command}\\]? `, "m"), command);
  }
  for (const code of ["0", "1", "2", "3", "4", "130"]) {
    assert.match(help, new RegExp(`^  ${code} `, "m"), `exit code ${code}`);
  }
  assert.match(help, /; 143 by SIGTERM/);
});

Deno.test("every --help fits 80 columns, no flag runs into its help, exit codes list unchanged", () => {
  assert.deepEqual(Object.keys(COMMAND_HELPS).sort(), [...COMMAND_NAMES].sort());
  const helps: Record<string, string> = { "outage-sync --help": mainHelp() };
  for (const [name, { help }] of Object.entries(COMMAND_HELPS)) helps[`${name} --help`] = help;
  for (const [where, help] of Object.entries(helps)) {
    for (const line of help.split("\n")) {
      assert.ok(line.length <= 80, `${where}: ${line.length} columns: ${line}`);
      // An option line: its flag (and value name) then at least two spaces, then its help.
      const option = /^ {2}(?:-\w, | {4})--\S+(?: [A-Z][A-Z0-9_=]*)?(?<gap> *)(?<rest>.*)$/.exec(
        line,
      );
      if (option !== null && option.groups!.rest !== "") {
        assert.ok(option.groups!.gap.length >= 2, `${where}: ${line}`);
      }
    }
  }
  for (const help of [mainHelp(), syncCommand.help, checkCommand.help, demoCommand.help]) {
    assert.match(help, /^ {2}0 .*unchanged/m);
  }
});

Deno.test("every option of sync and check, flag and variable, is documented everywhere", async (t) => {
  const helps = {
    "outage-sync --help": mainHelp(),
    "outage-sync sync --help": syncCommand.help,
    "outage-sync check --help": checkCommand.help,
  };
  for (const [name, spec] of Object.entries(SYNC_OPTIONS)) {
    await t.step(name, () => {
      assert.ok(spec.flag !== undefined || spec.env !== undefined, `${name} can be set no way`);
      for (const [where, help] of Object.entries(helps)) {
        if (where.includes("check") && (SYNC_ONLY_OPTIONS as readonly string[]).includes(name)) {
          assert.doesNotMatch(help, new RegExp(`--${spec.flag}(?![\\w-])`), `${where} lists it`);
          continue;
        }
        if (spec.flag !== undefined) {
          const flag = spec.short === undefined
            ? `--${spec.flag}`
            : `-${spec.short}, --${spec.flag}`;
          assert.ok(help.includes(flag), `${where} lacks ${flag}`);
          const words = help.replace(/\s+/g, " ");
          assert.ok(words.includes(spec.help), `${where} lacks the help of ${flag}`);
        }
        if (spec.env !== undefined) {
          assert.ok(help.includes(spec.env), `${where} lacks ${spec.env}`);
        }
        if (spec.type !== "boolean" && spec.default !== undefined) {
          assert.ok(help.includes(`default: ${spec.default}`), `${where} lacks ${name}'s default`);
        }
      }
      if (spec.env !== undefined) {
        assert.match(ENV_EXAMPLE, new RegExp(`^(# )?${spec.env}=`, "m"), `.env.example lacks it`);
      }
    });
  }
});

Deno.test("each command's --help prints its own text: what that command takes", async (t) => {
  const commands = COMMAND_HELPS;
  await t.step("every command of the dispatcher's table is here", () => {
    assert.deepEqual(Object.keys(commands).sort(), [...COMMAND_NAMES].sort());
  });
  for (const [name, expected] of Object.entries(commands)) {
    await t.step(name, async () => {
      for (const flag of ["--help", "-h"]) {
        const result = await runMain([name, flag]);
        assert.equal(result.code, 0);
        assert.equal(result.stdout, expected.help);
        assert.equal(result.stderr, "");
      }
      assert.ok(
        expected.help.startsWith(`Usage: outage-sync ${name === "sync" ? "[sync]" : name} `),
      );
      for (const word of expected.has) assert.ok(expected.help.includes(word), `lacks ${word}`);
      for (const word of expected.lacks) assert.ok(!expected.help.includes(word), `has ${word}`);
    });
  }

  await t.step("the texts all differ, and from the main help", () => {
    const texts = [...Object.values(commands).map((command) => command.help), mainHelp()];
    assert.equal(new Set(texts).size, texts.length);
  });

  await t.step("--help wins over the command's other flags, even bad ones", async () => {
    const result = await runMain(["mock-api", "--port", "nope", "--help"]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, mockApiCommand.help);
  });
});

Deno.test("--version, alone or after a command name", async () => {
  const line = `outage-sync test (${Deno.build.target})\n`;
  for (const args of [["--version"], ["-V"], ["check", "--version"]]) {
    const result = await runMain(args);
    assert.equal(result.code, 0, args.join(" "));
    assert.equal(result.stdout, line);
    assert.equal(result.stderr, "");
  }
});

Deno.test("an unknown command: exit 2, the commands listed, nothing on stdout", async () => {
  const result = await runMain(["frobnicate", "--help"]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.equal(
    result.stderr,
    'outage-sync: Unknown command "frobnicate"\n' +
      `Commands: ${COMMAND_NAMES.join(", ")}. Run \`outage-sync --help\`.\n`,
  );
  const inherited = await runMain(["toString"]);
  assert.equal(inherited.code, 2);
  assert.match(inherited.stderr, /^outage-sync: Unknown command "toString"/);
});
