/**
 * The files of `deploy/` and the steps of docs/operations.md that they rely on: the systemd unit
 * starts even before the metrics directory exists and points at documentation the guide installs;
 * the cron line keeps outage-sync's exit code, keeps the report out of syslog and logs a skipped
 * run. The cron line is also run, with stand-ins for outage-sync and logger, through bash and the
 * real `flock`; the unit and timer go through `systemd-analyze verify` where it is installed.
 */

import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { startMockServer } from "../src/mock/server.ts";
import { runCli, runProcess } from "./cli_process.ts";
import { tempDir } from "./helpers.ts";
import { parsePrometheus, promtool, promtoolRequired } from "./prometheus.ts";

const read = (path: string) => Deno.readTextFileSync(new URL(`../${path}`, import.meta.url));
const service = read("deploy/outage-sync.service");
const timer = read("deploy/outage-sync.timer");
const crontab = read("deploy/crontab");
const operations = read("docs/operations.md");

/** A unit file's `[Section]` → key → every value given, in order (comments and blanks skipped). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section !== null) {
      current = new Map();
      sections.set(section[1], current);
      continue;
    }
    const equals = line.indexOf("=");
    assert.ok(current !== undefined && equals > 0, `line ${index + 1}: not key=value: ${raw}`);
    const key = line.slice(0, equals).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(equals + 1).trim()]);
  }
  return sections;
}

const unit = parseUnit(service);
const serviceSection = unit.get("Service")!;
const metricsFile = /--metrics-file (\S+)/.exec(serviceSection.get("ExecStart")![0])![1];
const metricsDir = metricsFile.slice(0, metricsFile.lastIndexOf("/"));

/** The cron job line: `m h dom mon dow user command`. */
function cronJob(): { user: string; command: string } {
  const jobs = crontab.split("\n").filter((line) => /^[\d*]/.test(line));
  assert.equal(jobs.length, 1, "one job line");
  const match = /^(\S+\s+){5}(\S+)\s+(.+)$/.exec(jobs[0]);
  assert.ok(match !== null, jobs[0]);
  return { user: match[2], command: match[3] };
}

Deno.test("the service: starts without the metrics directory, no no-op settings, documentation installed", () => {
  const readWrite = serviceSection.get("ReadWritePaths") ?? [];
  assert.ok(readWrite.length > 0);
  for (const value of readWrite) {
    for (const path of value.split(/\s+/)) {
      assert.match(path, /^-\//, `ReadWritePaths=${path}: a missing path would stop the unit`);
    }
  }
  assert.ok(readWrite.join(" ").split(/\s+/).includes(`-${metricsDir}`), metricsDir);
  assert.ok(
    (denoJson.permissions.default.write as string[]).includes(metricsDir),
    "the binary may write the metrics directory",
  );
  assert.equal(serviceSection.get("SuccessExitStatus"), undefined, "exit 0 is success already");

  const documentation = unit.get("Unit")!.get("Documentation")!;
  assert.equal(documentation.length, 1);
  const path = /^file:\/\/(\/\S+)$/.exec(documentation[0])?.[1];
  assert.ok(path !== undefined, `a file the guide installs, not ${documentation[0]}`);
  assert.match(
    operations,
    new RegExp(`install [^\\n]*docs/operations\\.md ${path.replaceAll(".", "\\.")}`),
    `docs/operations.md installs ${path}`,
  );
});

Deno.test("the guide creates every directory the service and the cron line write to", () => {
  const dirs = [metricsDir, "/var/log/outage-sync"];
  for (const dir of dirs) {
    assert.match(
      operations,
      new RegExp(`install -d [^\\n]*-o outage-sync [^\\n]*${dir}`),
      `docs/operations.md: install -d ... ${dir}`,
    );
  }
  assert.ok(cronJob().command.includes("/var/log/outage-sync/"));
});

Deno.test("the timer starts the service every 15 minutes, catching up missed runs", () => {
  const section = parseUnit(timer).get("Timer")!;
  assert.deepEqual(section.get("OnCalendar"), ["*:0/15"]);
  assert.deepEqual(section.get("Persistent"), ["true"]);
  assert.equal(section.get("Unit"), undefined, "outage-sync.timer starts outage-sync.service");
});

Deno.test("the cron line: exit code kept (pipefail), report in a file, skips logged, no %", () => {
  assert.match(crontab, /^SHELL=\/bin\/bash$/m);
  const { user, command } = cronJob();
  assert.equal(user, "outage-sync");
  assert.ok(!command.includes("%"), "cron turns % into a newline");
  assert.match(command, /pipefail/);
  assert.match(command, /flock -n -E 75 /, "a held lock must not look like outage-sync's exit 1");
  assert.match(command, /75\) logger [^;]*"skipped: the previous run still holds the lock"/);
  // Only stderr goes down a pipe to logger: `2>&1 >FILE |` sends stdout (the report) to FILE.
  const pipes = [...command.matchAll(/\|\s*logger/g)].length;
  const stderrOnly = [...command.matchAll(/2>&1 >\/\S+ \| logger/g)].length;
  assert.ok(pipes > 0);
  assert.equal(stderrOnly, pipes, "stdout is never piped into logger");
});

/** Whether `command` runs here (e.g. `systemd-analyze`, `flock`, `bash`). */
async function available(command: string, args: string[]): Promise<boolean> {
  try {
    return (await runProcess(command, args)).code === 0;
  } catch {
    return false;
  }
}

const posix = Deno.build.os !== "windows";
const cronTools = posix && await available("bash", ["-c", "flock --help | grep -q -- -E"]);

Deno.test({
  name: `the cron line run through bash and flock: success, failure and a skipped run${
    cronTools ? "" : " (skipped: needs bash and util-linux flock)"
  }`,
  ignore: !cronTools,
  async fn() {
    await using dir = await tempDir("outage-sync-cron-");
    const d = dir.path;
    await Deno.mkdir(`${d}/bin`);
    await Deno.mkdir(`${d}/etc`);
    await Deno.mkdir(`${d}/log`);
    const command = cronJob().command
      .replaceAll("/usr/local/bin/outage-sync", `${d}/bin/outage-sync`)
      .replaceAll("/etc/outage-sync", `${d}/etc`)
      .replaceAll("/var/log/outage-sync", `${d}/log`)
      .replaceAll("/run/lock/outage-sync.lock", `${d}/lock`);
    // Stand-ins: logger records what it was given; outage-sync prints its report, runs the cron
    // line again while it holds the lock when asked, logs a line and exits with $EXIT.
    await Deno.writeTextFile(
      `${d}/bin/logger`,
      `#!/bin/bash
while getopts t:p: option; do [ "$option" = p ] && priority=$OPTARG; done
shift $((OPTIND - 1))
if [ $# -gt 0 ]; then echo "\${priority:-user.notice} $*" >>${d}/syslog
else while IFS= read -r line; do echo "stdin $line" >>${d}/syslog; done; fi
`,
    );
    await Deno.writeTextFile(
      `${d}/bin/outage-sync`,
      `#!/bin/bash
echo "report of a run in $PWD"
if [ -n "$AGAIN" ]; then AGAIN= bash -c "$CRON_COMMAND"; fi
echo '{"level":"info","msg":"a log line"}' >&2
exit "$EXIT"
`,
    );
    await Deno.chmod(`${d}/bin/logger`, 0o755);
    await Deno.chmod(`${d}/bin/outage-sync`, 0o755);
    const run = async (env: Record<string, string>) => {
      await Deno.writeTextFile(`${d}/syslog`, "");
      const result = await runProcess("bash", ["-c", command], {
        env: { PATH: `${d}/bin:/usr/bin:/bin`, CRON_COMMAND: command, ...env },
      });
      return {
        code: result.code,
        stderr: result.stderr,
        syslog: await Deno.readTextFile(`${d}/syslog`),
        report: await Deno.readTextFile(`${d}/log/last-report.txt`),
      };
    };
    const report = `report of a run in ${d}/etc\n`;

    const ok = await run({ EXIT: "0" });
    assert.equal(ok.stderr, "");
    assert.equal(ok.syslog, 'stdin {"level":"info","msg":"a log line"}\n');
    assert.equal(ok.report, report);

    const failed = await run({ EXIT: "3" });
    assert.equal(
      failed.syslog,
      'stdin {"level":"info","msg":"a log line"}\n' +
        `user.err run failed: exit 3 (report: ${d}/log/last-report.txt)\n`,
    );

    // A second run starts while the first holds the lock: it is skipped, says so, and leaves the
    // first run's report alone.
    const overlapped = await run({ EXIT: "0", AGAIN: "1" });
    assert.equal(
      overlapped.syslog,
      "user.warning skipped: the previous run still holds the lock\n" +
        'stdin {"level":"info","msg":"a log line"}\n',
    );
    assert.equal(overlapped.report, report);
  },
});

const systemdAnalyze = posix && await available("systemd-analyze", ["--version"]);

Deno.test({
  name: `systemd-analyze verify: the service and the timer, no findings${
    systemdAnalyze ? "" : " (skipped: systemd-analyze is not installed here)"
  }`,
  ignore: !systemdAnalyze,
  async fn() {
    await using dir = await tempDir("outage-sync-units-");
    // verify insists that ExecStart's program exists: stand /bin/true in for the binary.
    await Deno.writeTextFile(
      `${dir.path}/outage-sync.service`,
      service.replace("ExecStart=/usr/local/bin/outage-sync ", "ExecStart=/bin/true "),
    );
    await Deno.writeTextFile(`${dir.path}/outage-sync.timer`, timer);
    const result = await runProcess("systemd-analyze", [
      "verify",
      "--man=no",
      `${dir.path}/outage-sync.service`,
      `${dir.path}/outage-sync.timer`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "", "no warnings either (e.g. an unknown key)");
  },
});

Deno.test("the guide quotes the shipped rule file as it is, and names where it is", () => {
  const rules = read("deploy/prometheus/outage-sync.rules.yml");
  const blocks = [...operations.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.deepEqual(blocks.filter((block) => block.includes("\ngroups:\n")), [rules]);
  assert.ok(blocks.includes(read("deploy/kubernetes/cronjob.yaml")), "the CronJob, quoted whole");
  assert.ok(operations.includes("`deploy/prometheus/outage-sync.rules.yml`"));
});

const promtoolTests = await promtoolRequired();
const RULES_DIR = new URL("../deploy/prometheus/", import.meta.url).pathname;

/** promtool's result, failing the test when it is missing (only CI runs these without it). */
async function mustPromtool(args: string[], options: { stdin?: string; cwd?: string } = {}) {
  const result = await promtool(args, options);
  assert.ok(result !== undefined, "promtool is required under CI=true: apt-get install prometheus");
  return result;
}

Deno.test({
  name: `promtool: the shipped alert rules load${promtoolTests.skipReason}`,
  ignore: !promtoolTests.run,
  async fn() {
    const check = await mustPromtool(["check", "rules", "outage-sync.rules.yml"], {
      cwd: RULES_DIR,
    });
    assert.equal(check.code, 0, check.output);
    assert.match(check.output, /SUCCESS: 5 rules found/);
  },
});

Deno.test({
  name:
    `promtool: the rule tests pass on the shipped rules, and fail when an alert is missing or silenced${promtoolTests.skipReason}`,
  ignore: !promtoolTests.run,
  async fn() {
    // The unit tests are only worth something if they can fail: break each alert in turn.
    await using dir = await tempDir("outage-sync-rules-");
    const rules = read("deploy/prometheus/outage-sync.rules.yml");
    const mutants: [string, string][] = [
      ["> 3600", "> 360000"],
      ["absent(outage_sync_run_timestamp_seconds)", "vector(0) == 1"],
      ['{status="failed"} == 1', '{status="failed"} == 2'],
      ["> 7 * 86400", "> 70 * 86400"],
      ["for: 5m", "for: 0m"],
      ["outage_sync_run_exit_code != 0 unless", "outage_sync_run_exit_code > 1 unless"],
    ];
    // One promtool run for the shipped rules and every mutant (it tests each file on its own and
    // says which passed): directory 0 holds the rules as shipped.
    const files = await Promise.all([["", ""], ...mutants].map(async ([from, to], i) => {
      assert.ok(rules.includes(from), from);
      const cwd = `${dir.path}/${i}`;
      await Deno.mkdir(cwd);
      await Deno.copyFile(
        `${RULES_DIR}/outage-sync.rules.test.yml`,
        `${cwd}/outage-sync.rules.test.yml`,
      );
      await Deno.writeTextFile(
        `${cwd}/outage-sync.rules.yml`,
        i === 0 ? rules : rules.replace(from, to),
      );
      return `${i}/outage-sync.rules.test.yml`;
    }));
    const result = await mustPromtool(["test", "rules", ...files], { cwd: dir.path });
    assert.equal(result.code, 1, result.output);
    const verdicts = result.stdout.split(/^Unit Testing: +/m).slice(1).map((chunk) => {
      const [file, ...rest] = chunk.split("\n");
      return [file, rest.join("\n").includes("SUCCESS") ? "passed" : "failed"];
    });
    assert.deepEqual(
      verdicts,
      files.map((file, i) => [file, i === 0 ? "passed" : "failed"]),
      result.output,
    );
    // Failed as alert tests fail (an expected alert missing or unexpected), not by a broken file.
    assert.equal(result.output.match(/^ +FAILED:$/gm)?.length, mutants.length, result.output);
  },
});

Deno.test({
  name: `promtool: the metrics file of real runs passes check metrics${promtoolTests.skipReason}`,
  ignore: !promtoolTests.run,
  async fn() {
    await using server = await startMockServer({ apiKey: "SENTINEL-deploy-key-77", port: 0 });
    await using dir = await tempDir("outage-sync-metrics-");
    const path = `${dir.path}/outage_sync.prom`;
    const permissions = [
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      "--allow-sys=uid",
      `--allow-write=${dir.path}`,
      "--allow-sys=uid", // The state directory's owner check, as deno.json's permissions allow.
    ];
    // A sync that posts, with a state directory (so the last-change series is there too), then
    // one that fails on a wrong key: both files must be what Prometheus accepts.
    for (const [key, code] of [["SENTINEL-deploy-key-77", 0], ["wrong-key-000", 1]] as const) {
      const result = await runCli(
        ["sync", "--base-url", server.url, "--metrics-file", path, "--state-dir", `${dir.path}/s`],
        { env: { KRAKENFLEX_API_KEY: key }, permissions },
      );
      assert.equal(result.code, code, result.stderr);
      const text = await Deno.readTextFile(path);
      assert.ok(parsePrometheus(text).samples.length > 10);
      const check = await mustPromtool(["check", "metrics"], { stdin: text });
      assert.equal(check.code, 0, check.output);
    }
  },
});
