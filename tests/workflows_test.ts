/**
 * The GitHub workflows: both files pass a workflow linter (`@action-validator/core`, GitHub's
 * published workflow schema), and say what they are for: CI runs `.ci/run` on every push and pull
 * request and the portable tests on macOS and Windows; a `v*` tag builds every binary, writes
 * `SHA256SUMS`, runs what it can and attaches it all to the release. What `deno task test:portable`
 * runs is checked by tests/test_suites_test.ts, which runs it.
 */

import assert from "node:assert/strict";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import denoJson from "../deno.json" with { type: "json" };
import { TARGETS } from "../scripts/build.ts";

const read = (path: string) => Deno.readTextFileSync(new URL(`../${path}`, import.meta.url));

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  "runs-on": string;
  needs?: string | string[];
  strategy?: { matrix: { os?: string[]; include?: { os: string; files: string }[] } };
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { tags?: string[]; branches?: string[] } | null>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflows = {
  ci: read(".github/workflows/ci.yml"),
  release: read(".github/workflows/release.yml"),
};
const ci = parse(workflows.ci) as Workflow;
const release = parse(workflows.release) as Workflow;
const runs = (job: Job) => job.steps.map((step) => step.run ?? "").join("\n");
const tasks = denoJson.tasks as Record<string, string>;

Deno.test("the workflow linter: no errors in either workflow", () => {
  for (const [name, text] of Object.entries(workflows)) {
    const { errors } = validateWorkflow(text);
    assert.deepEqual(errors, [], `${name}.yml`);
  }
});

Deno.test("the linter is not a rubber stamp: it rejects a broken workflow", () => {
  const broken = workflows.ci.replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest");
  assert.notEqual(broken, workflows.ci);
  assert.ok(validateWorkflow(broken).errors.length > 0);
  assert.ok(validateWorkflow("on: [push\n").errors.length > 0);
});

Deno.test("ci: .ci/run on every push and pull request; the portable tests on macOS and Windows", () => {
  assert.deepEqual(Object.keys(ci.on).sort(), ["pull_request", "push"]);
  assert.equal(ci.on.push, null, "every branch");
  assert.equal(ci.permissions?.contents, "read");
  const gate = Object.values(ci.jobs).filter((job) => /\.ci\/run\b/.test(runs(job)));
  assert.equal(gate.length, 1);
  assert.match(gate[0]["runs-on"], /^ubuntu-/);
  const portable = Object.values(ci.jobs).filter((job) =>
    /deno task test:portable/.test(runs(job))
  );
  assert.equal(portable.length, 1);
  assert.deepEqual(portable[0].strategy?.matrix.os, ["macos-latest", "windows-latest"]);
  assert.match(runs(portable[0]), /core\.autocrlf false/, "LF line endings on Windows");
});

Deno.test("release: a v* tag builds every target, writes SHA256SUMS, smoke-tests, attaches all", () => {
  assert.deepEqual(Object.keys(release.on), ["push"]);
  assert.deepEqual(release.on.push?.tags, ["v*"]);
  const build = release.jobs.build;
  assert.match(runs(build), /deno task compile:all/);
  assert.match(runs(build), /deno task bundle/);
  assert.match(runs(build), /\.ci\/run/, "the gate first");
  assert.match(runs(build), /sha256sum outage-sync-\* outage-sync\.js > SHA256SUMS/);

  const smoke = release.jobs.smoke;
  const smoked = (smoke.strategy?.matrix.include ?? []).flatMap((entry) => entry.files.split(" "));
  assert.ok(smoked.includes("outage-sync.js"), "the bundle");
  for (const file of smoked.filter((file) => file !== "outage-sync.js")) {
    const target = file.replace(/^outage-sync-/, "").replace(/\.exe$/, "");
    assert.ok((TARGETS as readonly string[]).includes(target), `${file}: a target of compile:all`);
  }
  assert.match(runs(smoke), /--version/);
  assert.match(runs(smoke), /" demo$/m);

  const publish = release.jobs.release;
  assert.deepEqual(publish.needs, ["build", "smoke"]);
  assert.equal(publish.permissions?.contents, "write");
  assert.equal(release.permissions?.contents, "read", "write only where the release is made");
  assert.match(runs(publish), /sha256sum -c SHA256SUMS/);
  assert.match(
    runs(publish),
    /gh release create [^\n]*\\\n\s+dist\/outage-sync-\* dist\/outage-sync\.js dist\/SHA256SUMS/,
  );
});

Deno.test("every deno task and Deno version the workflows use exists", () => {
  for (const [name, text] of Object.entries(workflows)) {
    for (const [, task] of text.matchAll(/deno task ([\w:-]+)/g)) {
      assert.ok(task in tasks, `${name}.yml: deno task ${task}`);
    }
    for (const [, version] of text.matchAll(/deno-version: v(\S+)/g)) {
      assert.match(read(".ci/run"), new RegExp(`deno@${version.replaceAll(".", "\\.")}`));
    }
  }
});
