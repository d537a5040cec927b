/**
 * OpenTelemetry: one trace per run, read through Deno's own exporter (`OTEL_DENO=true`). A root
 * span for the run, a span per site, a span per HTTP request with a child per attempt, retry waits
 * as events, and the log lines exported as OTel logs under the span active when they were written.
 *
 * Deno registers its tracer on `Deno.telemetry.tracerProvider`; that object is all this module
 * uses, so tracing costs no dependency. Until {@link startTracing} finds `OTEL_DENO=true`, every
 * function here runs its callback directly and touches nothing else: a run without OTel does no
 * more work than before. Every string that goes into an attribute, an event or a log passes the
 * run's redactor first: no key leaves through telemetry.
 * @module
 */

import type { LogLevel } from "./logger.ts";
import { createRedactor, type Redactor } from "./redact.ts";
import type { SiteReport } from "./report.ts";

/** An attribute value, as OTLP carries it. */
type AttributeValue = string | number | boolean;
/** Attributes of a span or an event. */
export type Attributes = Record<string, AttributeValue | undefined>;

/** The part of an OpenTelemetry span this module uses. */
interface OtelSpan {
  setAttribute(key: string, value: AttributeValue): unknown;
  addEvent(name: string, attributes?: Record<string, AttributeValue>): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

/** The part of an OpenTelemetry tracer this module uses. */
interface OtelTracer {
  startActiveSpan<T>(
    name: string,
    options: { attributes?: Record<string, AttributeValue>; kind?: number },
    fn: (span: OtelSpan) => T,
  ): T;
}

/** The tracer of this run and what it redacts, once tracing is on. */
interface Tracing {
  readonly tracer: OtelTracer;
  readonly redact: Redactor;
  /** How Deno handles `console` calls (`OTEL_DENO_CONSOLE`): how log lines are exported. */
  readonly console: "capture" | "replace" | "ignore";
}

let tracing: Tracing | undefined;

/** The key OpenTelemetry's JavaScript API stores the active span under (`createContextKey`). */
const SPAN_KEY = Symbol.for("OpenTelemetry Context Key SPAN");
/** OTLP's status code for an error, and its span kinds. */
const STATUS_ERROR = 2;
const KIND_CLIENT = 2;

/**
 * Turns tracing on when the process runs with `OTEL_DENO=true` (Deno's own switch, read from the
 * real environment: Deno decides at start-up whether it exports). `secrets` are redacted from every
 * attribute, event and log line. Returns whether tracing is on.
 */
export function startTracing(
  env: (name: string) => string | undefined,
  secrets: readonly string[],
  version: string,
): boolean {
  tracing = undefined;
  if (env("OTEL_DENO") !== "true") return false;
  try {
    const tracer = Deno.telemetry.tracerProvider.getTracer("outage-sync", version) as OtelTracer;
    const mode = env("OTEL_DENO_CONSOLE");
    tracing = {
      tracer,
      redact: createRedactor(secrets),
      console: mode === "replace" || mode === "ignore" ? mode : "capture",
    };
  } catch {
    // Deno without its telemetry (an older runtime): the run goes on untraced.
  }
  return tracing !== undefined;
}

/** Turns tracing off again (tests that run several runs in one process). */
export function stopTracing(): void {
  tracing = undefined;
}

/** Only the defined values, strings redacted. */
function clean(attributes: Attributes, redact: Redactor): Record<string, AttributeValue> {
  const result: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    result[key] = typeof value === "string" ? redact(value) : value;
  }
  return result;
}

/**
 * Runs `fn` in a new active span named `name`, ended when `fn` settles; a throw marks it failed.
 * `finish` adds what only the result tells. Without tracing, `fn` alone runs.
 */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: () => Promise<T>,
  finish?: (span: SpanNotes, result: T) => void,
  kind?: "client",
): Promise<T> {
  const on = tracing;
  if (on === undefined) return fn();
  let started: Promise<T> | undefined;
  try {
    const options = {
      attributes: clean(attributes, on.redact),
      ...(kind === "client" ? { kind: KIND_CLIENT } : {}),
    };
    started = on.tracer.startActiveSpan(name, options, async (span) => {
      const notes = new SpanNotes(span, on.redact);
      try {
        const result = await fn();
        finish?.(notes, result);
        return result;
      } catch (error) {
        notes.fail(error instanceof Error ? error.message : String(error));
        throw error;
      } finally {
        span.end();
      }
    });
  } catch {
    // The tracer itself failed: trace nothing rather than fail the run.
  }
  return started ?? fn();
}

/** What may be said of a span: attributes, events and a failure, all redacted. */
export class SpanNotes {
  readonly #span: OtelSpan;
  readonly #redact: Redactor;

  constructor(span: OtelSpan, redact: Redactor) {
    this.#span = span;
    this.#redact = redact;
  }

  /** Sets attributes (undefined values skipped). */
  set(attributes: Attributes): void {
    for (const [key, value] of Object.entries(clean(attributes, this.#redact))) {
      this.#span.setAttribute(key, value);
    }
  }

  /** Adds a timed event. */
  event(name: string, attributes: Attributes): void {
    this.#span.addEvent(name, clean(attributes, this.#redact));
  }

  /** Marks the span failed, with a message. */
  fail(message: string): void {
    this.#span.setStatus({ code: STATUS_ERROR, message: this.#redact(message) });
  }
}

/** The active span, when tracing is on and a span is active. */
export function activeSpan(): SpanNotes | undefined {
  const on = tracing;
  if (on === undefined) return undefined;
  try {
    const span = Deno.telemetry.contextManager.active()?.getValue(SPAN_KEY) as OtelSpan | undefined;
    return span === undefined ? undefined : new SpanNotes(span, on.redact);
  } catch {
    return undefined;
  }
}

/** The run's root span around `fn`. */
export function traceRun<T>(mode: string, sites: number, fn: () => Promise<T>): Promise<T> {
  return inSpan(`outage-sync ${mode}`, {
    "outage_sync.mode": mode,
    "outage_sync.sites": sites,
  }, fn);
}

/** A site's span around `fn`: its id, then what its report says. */
export function traceSite(siteId: string, fn: () => Promise<SiteReport>): Promise<SiteReport> {
  if (tracing === undefined) return fn();
  return inSpan("site", { "outage_sync.site.id": siteId }, fn, (span, report) => {
    span.set({
      "outage_sync.site.status": report.status,
      "outage_sync.site.kept": report.kept,
      "outage_sync.site.dropped_before_since": report.droppedBeforeSince,
      "outage_sync.site.dropped_unknown_device": report.droppedUnknownDevice,
      "outage_sync.site.devices": report.devices,
      "outage_sync.site.added": report.changes?.added,
      "outage_sync.site.removed": report.changes?.removed,
    });
    if (report.status === "failed") span.fail(report.error?.message ?? "failed");
  });
}

/** One API request's span (all its attempts) around `fn`. */
export function traceRequest<T>(method: string, path: string, fn: () => Promise<T>): Promise<T> {
  if (tracing === undefined) return fn();
  // The name stays one per endpoint; the site id is an attribute.
  const route = path.replace(/^(site-info|site-outages)\/.*$/, "$1/{siteId}");
  return inSpan(`${method} /${route}`, {
    "http.request.method": method,
    "url.path": `/${path}`,
  }, fn);
}

/** One attempt's span around `fn`: its number; {@link noteStatus} adds the answer's status. */
export function traceAttempt<T>(attempt: number, fn: () => Promise<T>): Promise<T> {
  if (tracing === undefined) return fn();
  return inSpan("attempt", { "outage_sync.attempt": attempt }, fn, undefined, "client");
}

/** The HTTP status of the answer, on the active (attempt) span. */
export function noteStatus(status: number): void {
  if (tracing === undefined) return;
  activeSpan()?.set({ "http.response.status_code": status });
}

/** A retry's wait, as an event on the active (request) span. */
export function noteRetry(attempt: number, waitMs: number, reason: string): void {
  if (tracing === undefined) return;
  activeSpan()?.event("retry wait", {
    "outage_sync.attempt": attempt,
    "outage_sync.wait_ms": waitMs,
    "outage_sync.reason": reason,
  });
}

/** ANSI colour sequences: a log record carries the text, not the terminal's paint. */
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Hands one line to `console` at its level: Deno's only way to export a log record. */
function exportLine(level: LogLevel, text: string): void {
  switch (level) {
    case "error":
      // deno-lint-ignore no-console
      return console.error(text);
    case "warn":
      // deno-lint-ignore no-console
      return console.warn(text);
    case "info":
      // deno-lint-ignore no-console
      return console.info(text);
    case "debug":
      // deno-lint-ignore no-console
      return console.debug(text);
  }
}

/**
 * The logger's writer: `write` as is without tracing. With tracing, each (already redacted) line
 * also goes to `console`, which is how Deno exports logs, with the active span's ids:
 * - `OTEL_DENO_CONSOLE=replace`: Deno exports console calls without printing them, so every line
 *   is written by `write` and exported at its own severity;
 * - `capture` (Deno's default) prints what it exports, and prints `console.info`/`debug` on
 *   stdout, where the report goes: error and warning lines are handed to `console.error`/`warn`
 *   instead of `write` (printed once, on stderr, and exported); info and debug lines are written,
 *   not exported;
 * - `ignore`: nothing is exported.
 */
export function logWriter(
  write: (line: string) => void,
): (line: string, level: LogLevel) => void {
  const on = tracing;
  if (on === undefined || on.console === "ignore") return write;
  const exported = (line: string, level: LogLevel) => {
    try {
      exportLine(level, on.redact(line.replace(/\n$/, "").replace(ANSI, "")));
    } catch {
      // A console that cannot write (stderr closed) loses the line, as the writer would: no more.
    }
  };
  if (on.console === "replace") {
    return (line, level) => {
      write(line);
      exported(line, level);
    };
  }
  return (line, level) => {
    if (level === "error" || level === "warn") exported(line, level);
    else write(line);
  };
}
