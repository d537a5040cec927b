/**
 * OpenTelemetry end to end: the real program, run with `OTEL_DENO=true` against the emulator,
 * exports one trace per run to an OTLP/HTTP receiver started here (JSON payloads): the run's root
 * span, a span per site, the requests and their attempts under them, retry waits as events, the
 * log lines as log records under the span active when they were written, and never the key.
 */

import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { startMockServer } from "../src/mock/server.ts";
import { createRedactor } from "../src/redact.ts";
import {
  activeSpan,
  inSpan,
  logWriter,
  SpanNotes,
  startTracing,
  stopTracing,
} from "../src/tracing.ts";
import { NARROW, spawnCli } from "./cli_process.ts";
import { tempDir } from "./helpers.ts";

const KEY = "SENTINEL-otel-key-7d3e";
const SITE = "norwich-pear-tree";
const MISSING = "no-such-site";

/** An OTLP/HTTP receiver on 127.0.0.1: the raw JSON bodies it was sent, by path. */
function startReceiver() {
  const bodies: Record<string, string[]> = {};
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    (bodies[path] ??= []).push(await req.text());
    return Response.json({});
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    bodies,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: OtlpAttribute[];
  events: { name: string; attributes: OtlpAttribute[] }[];
  status?: { code?: number; message?: string };
  scope: string;
}
interface OtlpLog {
  traceId: string;
  spanId: string;
  severityText: string;
  body: { stringValue?: string };
}

function spansOf(bodies: readonly string[]): OtlpSpan[] {
  return bodies.flatMap((text) =>
    JSON.parse(text).resourceSpans.flatMap((resource: { scopeSpans: unknown[] }) =>
      resource.scopeSpans.flatMap((scope) => {
        const { scope: { name }, spans } = scope as { scope: { name: string }; spans: OtlpSpan[] };
        return spans.map((span) => ({ ...span, scope: name }));
      })
    )
  );
}

function logsOf(bodies: readonly string[]): OtlpLog[] {
  return bodies.flatMap((text) =>
    JSON.parse(text).resourceLogs.flatMap((resource: { scopeLogs: { logRecords: OtlpLog[] }[] }) =>
      resource.scopeLogs.flatMap((scope) => scope.logRecords)
    )
  );
}

function attr(attributes: readonly OtlpAttribute[], key: string): string | number | boolean {
  const found = attributes.find((a) => a.key === key);
  assert.ok(found !== undefined, `no attribute "${key}" in ${JSON.stringify(attributes)}`);
  const { stringValue, intValue, doubleValue, boolValue } = found.value;
  return stringValue ?? (intValue === undefined ? undefined : Number(intValue)) ?? doubleValue ??
    boolValue!;
}

Deno.test("without OTEL_DENO=true tracing is off: the logger's writer is its own, spans only run their callback", () => {
  const env = (name: string) => name === "OTEL_DENO" ? "1" : undefined; // Deno's switch is "true"
  assert.equal(startTracing(env, [KEY], "1.0.0"), false);
  const write = (_line: string) => {};
  assert.equal(logWriter(write), write);
  assert.equal(activeSpan(), undefined);
  const work = Promise.resolve(7);
  assert.equal(inSpan("site", {}, () => work), work);
});

Deno.test("OTEL_DENO=true in a process Deno did not start with it: the run goes on untraced", async () => {
  try {
    startTracing((name) => name === "OTEL_DENO" ? "true" : undefined, [KEY], "1.0.0");
    // Deno's tracer throws "otel not initialized" here: the callback still runs, once.
    let runs = 0;
    assert.equal(await inSpan("site", { id: "x" }, () => Promise.resolve(++runs)), 1);
    assert.equal(runs, 1);
    assert.equal(activeSpan(), undefined);
  } finally {
    stopTracing();
  }
});

Deno.test("span notes redact the key from attributes, events and failures", () => {
  const seen: unknown[] = [];
  const span = {
    setAttribute: (key: string, value: unknown) => seen.push([key, value]),
    addEvent: (name: string, attributes: unknown) => seen.push([name, attributes]),
    setStatus: (status: unknown) => seen.push(status),
    end: () => {},
  };
  const notes = new SpanNotes(span, createRedactor([KEY]));
  notes.set({ reason: `bad key ${KEY}`, count: 2, skipped: undefined });
  notes.event("retry wait", { reason: encodeURIComponent(KEY) });
  notes.fail(`failed: ${KEY.toLowerCase()}`);
  assert.deepEqual(seen, [
    ["reason", "bad key [redacted]"],
    ["count", 2],
    ["retry wait", { reason: "[redacted]" }],
    { code: 2, message: "failed: [redacted]" },
  ]);
});

/** A sync of two sites (one missing: 404) with state, a 500 first on the known site's info. */
async function tracedRun(console?: "replace") {
  await using receiver = await startReceiver();
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  // The 500's body echoes the key: the retry's reason must not carry it into the trace.
  server.api.script(`GET /site-info/${SITE}`, [{
    kind: "status",
    status: 500,
    body: { message: `internal error for key ${KEY} (${btoa(KEY)})` },
  }]);
  await using dir = await tempDir();
  await using run = spawnCli([
    "--base-url",
    server.url,
    "--site",
    `${SITE},${MISSING}`,
    "--state-dir",
    `${dir.path}/state`,
    "--log-level",
    "debug",
  ], {
    env: {
      KRAKENFLEX_API_KEY: KEY,
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: "outage-sync",
      ...(console === undefined ? {} : { OTEL_DENO_CONSOLE: console }),
    },
    permissions: [...NARROW, "--allow-sys=uid", `--allow-write=${dir.path}`],
  });
  const result = await run.output();
  return { result, bodies: receiver.bodies };
}

let replaced: ReturnType<typeof tracedRun> | undefined;

/**
 * The traced run with `OTEL_DENO_CONSOLE=replace`, made once (a subprocess and its exporter cost
 * about 0.25 s of CPU) and read by each test below that needs it: plain data, the process ended and
 * the receiver closed before the first reads it.
 */
function replacedRun(): ReturnType<typeof tracedRun> {
  return replaced ??= tracedRun("replace");
}

Deno.test("OTEL_DENO=true: one trace per run, the run span its root, a span per site, requests and attempts under them", async () => {
  const { result, bodies } = await replacedRun();
  assert.equal(result.code, 3, result.stderr); // Some sites failed: the missing one.
  const spans = spansOf(bodies["/v1/traces"] ?? []);
  assert.equal(new Set(spans.map((span) => span.traceId)).size, 1, "one trace id for the run");
  const ours = spans.filter((span) => span.scope === "outage-sync");
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const roots = spans.filter((span) => !span.parentSpanId);
  assert.deepEqual(roots.map((span) => span.name), ["outage-sync sync"]);
  const run = roots[0];
  assert.equal(attr(run.attributes, "outage_sync.sites"), 2);

  const sites = ours.filter((span) => span.name === "site");
  assert.equal(sites.length, 2);
  const site = (id: string) => sites.find((s) => attr(s.attributes, "outage_sync.site.id") === id)!;
  const known = site(SITE);
  const missing = site(MISSING);
  for (const span of sites) assert.equal(span.parentSpanId, run.spanId);
  assert.equal(attr(known.attributes, "outage_sync.site.status"), "posted");
  const kept = attr(known.attributes, "outage_sync.site.kept");
  assert.ok(typeof kept === "number" && kept > 0);
  assert.equal(attr(known.attributes, "outage_sync.site.added"), kept); // never posted before
  assert.equal(attr(known.attributes, "outage_sync.site.removed"), 0);
  assert.equal(attr(missing.attributes, "outage_sync.site.status"), "failed");
  assert.equal(missing.status?.code, 2);
  assert.match(missing.status?.message ?? "", /404/);

  const named = (name: string) => ours.filter((span) => span.name === name);
  const [outages] = named("GET /outages");
  assert.equal(outages.parentSpanId, run.spanId, "the one GET /outages belongs to the run");
  const infos = named("GET /site-info/{siteId}");
  assert.equal(infos.length, 2);
  const info = infos.find((span) => attr(span.attributes, "url.path") === `/site-info/${SITE}`)!;
  assert.equal(info.parentSpanId, known.spanId);
  const [post] = named("POST /site-outages/{siteId}");
  assert.equal(post.parentSpanId, known.spanId);
  assert.equal(
    infos.find((span) => span !== info)!.parentSpanId,
    missing.spanId,
  );

  // Attempts: 500 then 200 under the site-info request, the retry's wait an event on it.
  const attempts = named("attempt").filter((span) => span.parentSpanId === info.spanId)
    .map((
      span,
    ) => [
      attr(span.attributes, "outage_sync.attempt"),
      attr(span.attributes, "http.response.status_code"),
    ]);
  assert.deepEqual(attempts.sort(), [[1, 500], [2, 200]]);
  const waits = info.events.filter((event) => event.name === "retry wait");
  assert.equal(waits.length, 1);
  assert.equal(attr(waits[0].attributes, "outage_sync.attempt"), 1);
  assert.ok(Number(attr(waits[0].attributes, "outage_sync.wait_ms")) > 0);
  assert.match(String(attr(waits[0].attributes, "outage_sync.reason")), /500/);

  // Deno's own fetch spans hang under our attempts, in the same trace.
  const fetches = spans.filter((span) => span.scope !== "outage-sync" && span.parentSpanId);
  assert.ok(fetches.length >= 5, `Deno's fetch spans: ${fetches.length}`);
  for (const span of fetches) {
    assert.equal(byId.get(span.parentSpanId!)?.name, "attempt", span.name);
  }
});

Deno.test("OTEL_DENO=true: log lines are exported under the span active when they were written, and printed once", async () => {
  const { result, bodies } = await replacedRun();
  const spans = spansOf(bodies["/v1/traces"] ?? []);
  const logs = logsOf(bodies["/v1/logs"] ?? []);
  const site = (id: string) =>
    spans.find((s) => s.name === "site" && s.attributes.some((a) => a.value.stringValue === id))!;
  const record = (pattern: RegExp) => {
    const found = logs.filter((log) => pattern.test(log.body.stringValue ?? ""));
    assert.equal(found.length, 1, `one record for ${pattern}: ${JSON.stringify(found)}`);
    return found[0];
  };
  const traceId = spans[0].traceId;
  const posted = record(/ posted site=norwich-pear-tree/);
  assert.deepEqual([posted.traceId, posted.spanId], [traceId, site(SITE).spanId]);
  assert.equal(posted.severityText, "INFO");
  const failed = record(/ site failed site=no-such-site/);
  assert.deepEqual([failed.traceId, failed.spanId], [traceId, site(MISSING).spanId]);
  assert.equal(failed.severityText, "ERROR");
  const retrying = record(/ retrying endpoint=/);
  const request = spans.find((s) => s.spanId === retrying.spanId);
  assert.equal(request?.name, "GET /site-info/{siteId}");
  assert.equal(retrying.severityText, "WARN");
  // With OTEL_DENO_CONSOLE=replace, Deno prints nothing of its own: each line once, on stderr.
  assert.equal(result.stderr.match(/ posted site=/g)?.length, 1, result.stderr);
  assert.equal(result.stderr.match(/ site failed site=/g)?.length, 1, result.stderr);
  assert.doesNotMatch(result.stdout, /site failed|retrying/);
});

Deno.test("OTEL_DENO=true with Deno's default console capture: warnings and errors exported, every line printed once on stderr", async () => {
  const { result, bodies } = await tracedRun();
  const logs = logsOf(bodies["/v1/logs"] ?? []).map((log) => log.body.stringValue ?? "");
  assert.equal(logs.filter((text) => / site failed site=/.test(text)).length, 1);
  assert.equal(logs.filter((text) => / retrying endpoint=/.test(text)).length, 1);
  assert.equal(logs.filter((text) => / posted site=/.test(text)).length, 0);
  for (const line of [/ posted site=/g, / site failed site=/g, / retrying endpoint=/g]) {
    assert.equal(result.stderr.match(line)?.length, 1, `${line} once: ${result.stderr}`);
    assert.doesNotMatch(result.stdout, line);
  }
});

Deno.test("OTEL_DENO=true: the key is in no exported span, event, log or metric, in any encoding", async () => {
  const { result, bodies } = await replacedRun();
  assert.equal(result.code, 3, result.stderr);
  const all = Object.values(bodies).flat().join("\n");
  assert.match(all, /retry wait/); // the payloads that could have carried it did arrive
  assert.match(all, /internal error for key \[redacted\]/);
  const bytes = new TextEncoder().encode(KEY);
  for (
    const form of [
      KEY,
      KEY.toLowerCase(),
      encodeURIComponent(KEY),
      bytes.toBase64(),
      bytes.toBase64({ alphabet: "base64url", omitPadding: true }),
      bytes.toHex(),
    ]
  ) {
    assert.ok(!all.toLowerCase().includes(form.toLowerCase()), `the key as ${form}`);
  }
});

Deno.test("the guide quotes the shipped collector config as it is; it receives where the drop-in sends", () => {
  const read = (path: string) => Deno.readTextFileSync(new URL(`../${path}`, import.meta.url));
  const guide = read("docs/operations.md");
  const shipped = read("deploy/opentelemetry/collector.yaml");
  assert.ok(guide.includes("```yaml\n" + shipped + "```"), "docs/operations.md quotes it");
  const config = parseYaml(shipped);
  assert.equal(config.receivers.otlp.protocols.http.endpoint, "127.0.0.1:4318");
  assert.match(guide, /^Environment=OTEL_EXPORTER_OTLP_ENDPOINT=http:\/\/127\.0\.0\.1:4318 /m);
  for (const signal of ["traces", "logs"]) {
    const pipeline = config.service.pipelines[signal];
    assert.deepEqual(pipeline.receivers, ["otlp"]);
    for (const exporter of pipeline.exporters) assert.ok(exporter in config.exporters, exporter);
  }
});
