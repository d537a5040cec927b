/**
 * The dispatcher, in process: `--help` and `--version`, each command's own help, unknown
 * commands, and that the help texts and `.env.example` document every option of the option table.
 */

import assert from "node:assert/strict";
import { checkCommand, syncCommand } from "../src/cli/sync_command.ts";
import { demoCommand } from "../src/cli/demo_command.ts";
import { mainHelp } from "../src/cli/main.ts";
import { mockApiCommand } from "../src/cli/mock_api_command.ts";
import { SYNC_ONLY_OPTIONS, SYNC_OPTIONS } from "../src/config/sync_options.ts";
import { runMain } from "./in_process.ts";

const ENV_EXAMPLE = await Deno.readTextFile(new URL("../.env.example", import.meta.url));

Deno.test("--help, -h and help print the main help on stdout: exit 0", async () => {
  for (const word of ["--help", "-h", "help"]) {
    const result = await runMain([word]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, mainHelp());
    assert.equal(result.stderr, "");
  }
  const help = mainHelp();
  for (const command of ["sync", "check", "mock-api", "demo"]) {
    assert.match(help, new RegExp(`^  outage-sync \\[?${command}\\]? `, "m"), command);
  }
  for (const code of ["0", "1", "2", "3", "4", "130"]) {
    assert.match(help, new RegExp(`^  ${code} `, "m"), `exit code ${code}`);
  }
  assert.match(help, /; 143 by SIGTERM/);
});

Deno.test("every --help fits 80 columns, no flag runs into its help, exit codes list unchanged", () => {
  const helps = {
    "outage-sync --help": mainHelp(),
    "sync --help": syncCommand.help,
    "check --help": checkCommand.help,
    "demo --help": demoCommand.help,
    "mock-api --help": mockApiCommand.help,
  };
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
  const commands = {
    sync: { help: syncCommand.help, has: ["--dry-run", "--since"], lacks: ["--rate-limit"] },
    check: { help: checkCommand.help, has: ["--since", "--api-key-file"], lacks: ["--port"] },
    demo: { help: demoCommand.help, has: ["--json", "--verbose"], lacks: ["--since", "--port"] },
    "mock-api": {
      help: mockApiCommand.help,
      has: ["--rate-limit N", "--port N", "--fail-rate P", "--synthetic N", "--data FILE"],
      lacks: ["--since", "--dry-run"],
    },
  };
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
      "Commands: sync, check, mock-api, demo. Run `outage-sync --help`.\n",
  );
  const inherited = await runMain(["toString"]);
  assert.equal(inherited.code, 2);
  assert.match(inherited.stderr, /^outage-sync: Unknown command "toString"/);
});
