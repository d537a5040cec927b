import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { resolveSyncConfig } from "../src/config/sync_config.ts";
import { pushMetrics } from "../src/http/pushgateway.ts";
import {
  parsePushInstance,
  parsePushUrl,
  pushBody,
  pushBudgetMs,
  pushGroupUrl,
} from "../src/metrics_push.ts";
import { startMockServer } from "../src/mock/server.ts";
import { syntheticDataset, syntheticSiteId } from "../src/mock/synthetic.ts";
import { memoryFiles, usageError } from "./helpers.ts";
import { runMain } from "./in_process.ts";
import { pushgatewayRequired, startPushgateway } from "./pushgateway.ts";
import { startScriptedServer } from "./scripted_server.ts";

const KEY = "SENTINEL-push-key-7c2a";

/** The value of the one sample line that has `name` and every label in `labels`, if any. */
function sample(lines: string[], name: string, labels: Record<string, string> = {}) {
  const found = lines.filter((line) =>
    line.startsWith(`${name}{`) &&
    Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))
  );
  assert.ok(found.length <= 1, `more than one sample: ${found.join("\n")}`);
  return found.length === 0 ? undefined : Number(found[0].split(" ").at(-1));
}

Deno.test("parsePushUrl: http or https anywhere, the path kept; no credentials, query, fragment or job path", () => {
  assert.equal(parsePushUrl("http://pushgateway:9091", "x").href, "http://pushgateway:9091/");
  assert.equal(parsePushUrl("https://gw.example/pg", "x").href, "https://gw.example/pg/");
  for (
    const bad of [
      "pushgateway:9091",
      "ftp://gw",
      "http://",
      "http://user:pass@gw:9091",
      "http://gw:9091/?x=1",
      "http://gw:9091/#top",
      "http://gw:9091/metrics/job/outage-sync",
    ]
  ) {
    usageError(() => parsePushUrl(bad, '"--metrics-push-url"'), /--metrics-push-url/);
  }
  usageError(() => parsePushInstance("", "i"), /expected 1 to 256 printable/);
  usageError(() => parsePushInstance("a\x1b[2Jb", "i"), /"a\\x1b\[2Jb"/);
  assert.equal(parsePushInstance("web-1", "i"), "web-1");
});

Deno.test("pushGroupUrl: the job, then the instance plain or in the gateway's base64url form", () => {
  const base = parsePushUrl("http://gw:9091/prefix", "x");
  assert.equal(pushGroupUrl(base, undefined).href, "http://gw:9091/prefix/metrics/job/outage-sync");
  assert.equal(
    pushGroupUrl(base, "web-1.example").href,
    "http://gw:9091/prefix/metrics/job/outage-sync/instance/web-1.example",
  );
  // "a/b" as base64url, without padding; ".." would be a path segment the URL resolves away.
  assert.equal(
    pushGroupUrl(base, "a/b").pathname,
    "/prefix/metrics/job/outage-sync/instance@base64/YS9i",
  );
  assert.equal(
    pushGroupUrl(base, "..").pathname,
    "/prefix/metrics/job/outage-sync/instance@base64/Li4",
  );
});

Deno.test("pushBody: PUT everything after a success; after a failure POST all but the last success", () => {
  const text = [
    "# HELP outage_sync_run_exit_code Exit code of the last run.",
    "# TYPE outage_sync_run_exit_code gauge",
    "outage_sync_run_exit_code 1",
    "# HELP outage_sync_last_success_timestamp_seconds When a run last ended with exit code 0 (0: never).",
    "# TYPE outage_sync_last_success_timestamp_seconds gauge",
    "outage_sync_last_success_timestamp_seconds 0",
    "",
  ].join("\n");
  assert.deepEqual(pushBody(text, 0), { method: "PUT", text });
  const failed = pushBody(text, 1);
  assert.equal(failed.method, "POST");
  assert.equal(failed.text, text.split("\n").slice(0, 3).join("\n") + "\n");
});

Deno.test("the push's time: the per-attempt timeout, cut to the deadline; past it nothing is sent", async () => {
  assert.equal(pushBudgetMs(10_000, 1_000, 100_000), 10_000);
  assert.equal(pushBudgetMs(10_000, 95_000, 100_000), 5_000);
  assert.equal(pushBudgetMs(10_000, 100_500, 100_000), -500);
  let called = false;
  const problem = await pushMetrics({
    url: new URL("http://127.0.0.1:9/metrics/job/outage-sync"),
    body: { method: "PUT", text: "" },
    budgetMs: 0,
    version: "test",
    fetch: () => (called = true, Promise.reject(new Error("sent"))),
  });
  assert.equal(called, false);
  assert.match(problem ?? "", /deadline \(--deadline\) passed before the push/);
});

Deno.test("--metrics-push-url: one PUT of the file's series, without the key, to the job's group", async () => {
  await using api = await startMockServer({ apiKey: KEY, port: 0 });
  await using gateway = startScriptedServer(() => new Response("", { status: 200 }));
  const { files, fs } = memoryFiles();
  const result = await runMain(
    ["--base-url", api.url, "--metrics-file", "/m.prom", "--metrics-push-url", gateway.url],
    { KRAKENFLEX_API_KEY: KEY },
    { files, fs },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(gateway.requests.length, 1);
  const [push] = gateway.requests;
  assert.equal(push.method, "PUT");
  assert.equal(push.path, "/metrics/job/outage-sync");
  assert.match(push.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  assert.equal(push.headers.get("authorization"), null);
  assert.equal(push.body, files["/m.prom"], "the same series as the file");
  for (const [name, value] of push.headers) assert.ok(!`${name}: ${value}`.includes(KEY));
  assert.ok(!push.body.includes(KEY));
});

Deno.test("check and dry runs push nothing; a malformed push URL is exit 2 before any request", async () => {
  await using api = await startMockServer({ apiKey: KEY, port: 0 });
  await using gateway = startScriptedServer(() => new Response("", { status: 200 }));
  for (const args of [["check"], ["sync", "--dry-run"]]) {
    const result = await runMain([
      ...args,
      "--base-url",
      api.url,
      "--metrics-push-url",
      gateway.url,
    ], {
      KRAKENFLEX_API_KEY: KEY,
    });
    assert.equal(result.code, 0, result.stderr);
  }
  assert.equal(gateway.requests.length, 0);
  const before = api.api.requests().length;
  for (
    const [args, pattern] of [
      [["--metrics-push-url", "gw:9091"], /expected an absolute http or https URL, got "gw:9091"/],
      [["--metrics-push-url", "http://u:secret@gw"], /credentials, a query or a fragment/],
      [["--metrics-push-instance", "web-1"], /without a Pushgateway/],
    ] as const
  ) {
    const result = await runMain(["--base-url", api.url, ...args], { KRAKENFLEX_API_KEY: KEY });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, pattern);
  }
  const env = await runMain(["check", "--base-url", api.url], {
    KRAKENFLEX_API_KEY: KEY,
    KRAKENFLEX_METRICS_PUSH_URL: "http://gw:9091/?job=x",
  });
  assert.equal(env.code, 2, env.stderr);
  assert.match(env.stderr, /KRAKENFLEX_METRICS_PUSH_URL/);
  assert.equal(api.api.requests().length, before, "nothing requested");
});

Deno.test("a usage error still pushes exit 2, when the Pushgateway can be found", async () => {
  await using gateway = startScriptedServer(() => new Response("", { status: 200 }));
  const noKey = await runMain(["--metrics-push-url", gateway.url, "--metrics-push-instance", "w1"]);
  assert.equal(noKey.code, 2, noKey.stderr);
  const fromEnv = await runMain(["--bogus"], { KRAKENFLEX_METRICS_PUSH_URL: gateway.url });
  assert.equal(fromEnv.code, 2, fromEnv.stderr);
  assert.deepEqual(
    gateway.requests.map((r) => `${r.method} ${r.path}`),
    ["POST /metrics/job/outage-sync/instance/w1", "POST /metrics/job/outage-sync"],
  );
  for (const request of gateway.requests) {
    assert.match(request.body, /^outage_sync_run_exit_code 2$/m);
    assert.doesNotMatch(request.body, /outage_sync_last_success_timestamp_seconds/);
  }
  // A dry run's usage error pushes nothing, as it writes no file.
  await runMain(["--dry-run", "--metrics-push-url", gateway.url]);
  assert.equal(gateway.requests.length, 2);
});

Deno.test("a failed push: exit 4 after a good sync, the report names the URL and the status", async () => {
  await using api = await startMockServer({ apiKey: KEY, port: 0 });
  await using gateway = startScriptedServer(() =>
    new Response("pushed metrics are invalid\x1b[2J", { status: 400 })
  );
  const args = [
    "--base-url",
    api.url,
    "--metrics-push-url",
    gateway.url,
    "--metrics-push-instance",
    "a/b",
  ];
  const text = await runMain(args, { KRAKENFLEX_API_KEY: KEY });
  assert.equal(text.code, 4, text.stderr);
  assert.match(text.stdout, /^posted +norwich-pear-tree/m);
  const url = `${gateway.url}/metrics/job/outage-sync/instance@base64/YS9i`;
  assert.ok(
    text.stdout.includes(
      `metrics not written: cannot push to "${url}": the Pushgateway answered 400: pushed metrics are invalid\\x1b[2J\n`,
    ),
    text.stdout,
  );
  assert.match(text.stderr, /ERROR cannot push the metrics url=/);
  const json = JSON.parse((await runMain([...args, "--json"], { KRAKENFLEX_API_KEY: KEY })).stdout);
  assert.match(json.metricsError, /cannot push to ".*": the Pushgateway answered 400/);
  // A sync that failed already keeps its own code.
  const failed = await runMain(args, { KRAKENFLEX_API_KEY: "wrong-key-1234" });
  assert.equal(failed.code, 1);
  assert.equal(gateway.requests.at(-1)?.method, "POST");
});

Deno.test("a run that used up its deadline pushes nothing, and says so", async () => {
  await using api = await startMockServer({ apiKey: KEY, port: 0, latencyMs: 50 });
  await using gateway = startScriptedServer(() => new Response("", { status: 200 }));
  const result = await runMain(
    ["--base-url", api.url, "--deadline", "0.02", "--metrics-push-url", gateway.url],
    { KRAKENFLEX_API_KEY: KEY },
  );
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stdout, /cannot push to ".*": the run's deadline \(--deadline\) passed/);
  assert.equal(gateway.requests.length, 0);
});

Deno.test("a push nobody answers: exit 4 within the timeout; a refused connection: exit 4", async () => {
  await using api = await startMockServer({ apiKey: KEY, port: 0 });
  // Accepts connections and never answers.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) connections.push(conn);
  })();
  const silent = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  try {
    const hung = await runMain(
      ["--base-url", api.url, "--timeout", "0.3", "--metrics-push-url", silent],
      { KRAKENFLEX_API_KEY: KEY },
    );
    assert.equal(hung.code, 4, hung.stderr);
    assert.match(hung.stdout, /cannot push to ".*": no answer within 0\.3 s/);
  } finally {
    listener.close();
    for (const conn of connections) conn.close();
    await accepting.catch(() => {});
  }
  const refused = await runMain(["--base-url", api.url, "--metrics-push-url", silent], {
    KRAKENFLEX_API_KEY: KEY,
  });
  assert.equal(refused.code, 4, refused.stderr);
  assert.match(refused.stdout, /cannot push to ".*": connection refused/);
});

const gatewayTests = pushgatewayRequired();

Deno.test({
  name:
    `Pushgateway: the series appear, a second run replaces them, a failure keeps the last success, the key appears nowhere${gatewayTests.skipReason}`,
  ignore: !gatewayTests.run,
  async fn() {
    const dataset = syntheticDataset({ outages: 50, sites: 2, devicesPerSite: 5, seed: 7 });
    await using api = await startMockServer({ apiKey: KEY, port: 0, dataset });
    const started = await startPushgateway();
    assert.ok(started, "prometheus-pushgateway is required under CI=true");
    await using gateway = started;
    const [one, two] = [syntheticSiteId(1), syntheticSiteId(2)];
    const push = ["--base-url", api.url, "--metrics-push-url", gateway.url];
    const group = { job: "outage-sync", instance: "rack/7 b" };
    const run = (sites: string, key = KEY) =>
      runMain(
        [...push, "--metrics-push-instance", group.instance, "--post-empty", "--site", sites],
        {
          KRAKENFLEX_API_KEY: key,
        },
      );

    assert.equal((await run(`${one},${two}`)).code, 0);
    const first = await gateway.metrics();
    const posted = (site: string) => ({ ...group, site, status: "posted" });
    assert.equal(sample(first.lines, "outage_sync_site_status", posted(one)), 1);
    assert.equal(sample(first.lines, "outage_sync_site_status", posted(two)), 1);
    assert.equal(sample(first.lines, "outage_sync_run_exit_code", group), 0);
    const success = sample(first.lines, "outage_sync_last_success_timestamp_seconds", group);
    assert.ok(success !== undefined && Math.abs(success - Date.now() / 1000) < 600);

    // The group is replaced: the site the second run no longer syncs is gone.
    assert.equal((await run(two)).code, 0);
    const second = await gateway.metrics();
    assert.equal(sample(second.lines, "outage_sync_site_status", posted(one)), undefined);
    assert.equal(sample(second.lines, "outage_sync_site_status", posted(two)), 1);
    const secondSuccess = sample(second.lines, "outage_sync_last_success_timestamp_seconds", group);

    // A failed run replaces the run's series and leaves the last success where it was.
    assert.equal((await run(two, "wrong-key-1234")).code, 1);
    const third = await gateway.metrics();
    assert.equal(sample(third.lines, "outage_sync_run_exit_code", group), 1);
    assert.equal(
      sample(third.lines, "outage_sync_site_status", { ...group, site: two, status: "failed" }),
      1,
    );
    assert.equal(
      sample(third.lines, "outage_sync_last_success_timestamp_seconds", group),
      secondSuccess,
    );
    for (const { text } of [first, second, third]) assert.ok(!text.includes(KEY));
  },
});

Deno.test("deploy/kubernetes/cronjob.yaml: one run at a time, a read-only root, the key from a Secret, a configuration that resolves", () => {
  const manifest = parseYaml(
    Deno.readTextFileSync(new URL("../deploy/kubernetes/cronjob.yaml", import.meta.url)),
  );
  assert.equal(manifest.kind, "CronJob");
  assert.equal(manifest.spec.concurrencyPolicy, "Forbid");
  const pod = manifest.spec.jobTemplate.spec.template.spec;
  assert.equal(pod.securityContext.runAsNonRoot, true);
  const [container] = pod.containers;
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  const env: Record<string, string> = Object.fromEntries(
    container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
  );
  assert.equal(env.KRAKENFLEX_API_KEY, undefined, "the key is a file from the Secret, not a value");
  const keyDir = env.KRAKENFLEX_API_KEY_FILE.replace(/\/[^/]+$/, "");
  const mount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === keyDir);
  const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
  assert.ok(volume.secret.secretName, "the key file's directory is a Secret volume");
  // What the container runs resolves: known variables only, the key file read, the push group.
  const args = container.args[0] === "sync" ? container.args.slice(1) : container.args;
  const files: Record<string, string> = { [env.KRAKENFLEX_API_KEY_FILE]: `${KEY}\n` };
  const config = resolveSyncConfig(args, {
    env: (name) => env[name],
    envNames: () => Object.keys(env),
    readTextFile: (path) => files[path],
  });
  assert.equal(config.mode, "sync");
  assert.deepEqual(config.warnings, []);
  assert.equal(config.apiKeyFile, env.KRAKENFLEX_API_KEY_FILE);
  assert.equal(
    config.metricsPush?.href,
    `${env.KRAKENFLEX_METRICS_PUSH_URL}/metrics/job/outage-sync/instance/${env.KRAKENFLEX_METRICS_PUSH_INSTANCE}`,
  );
  assert.ok(config.deadlineMs / 1000 < manifest.spec.jobTemplate.spec.activeDeadlineSeconds);
});
