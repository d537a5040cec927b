/**
 * Where a run's metrics go on a Prometheus Pushgateway (`--metrics-push-url`), and how: the
 * pushgateway's URL and grouping label checked before any request, the group's URL, the method and
 * the text of a push, and the time it may take. Pure: the request itself is `http/pushgateway.ts`.
 * @module
 */

import { UsageError } from "./errors.ts";
import { escapeControls } from "./printable.ts";

/** The job every push is grouped under: `URL/metrics/job/outage-sync`. */
export const PUSH_JOB = "outage-sync";

/** The metric a failed run leaves alone on the gateway, so that the last success stays. */
const LAST_SUCCESS = "outage_sync_last_success_timestamp_seconds";

/**
 * Parses the Pushgateway's URL: http or https, anywhere — the API key is never sent there, and a
 * gateway usually sits on a private network over plain http — with no credentials, query or
 * fragment. The path is kept (a gateway behind a path prefix) and ends in `/`.
 */
export function parsePushUrl(text: string, from: string): URL {
  let url: URL | undefined;
  try {
    url = /^https?:\/\//i.test(text) ? new URL(text) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.hostname === "") {
    throw new UsageError(
      `Cannot parse ${from}: expected an absolute http or https URL, got "${escapeControls(text)}"`,
      "Give the Pushgateway's address, e.g. http://pushgateway.monitoring:9091.",
    );
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new UsageError(
      `Cannot use ${from}: credentials, a query or a fragment are not allowed in the Pushgateway URL`,
      "Give its address alone; the job and instance are added to its path.",
    );
  }
  if (/\/metrics\/job\//.test(url.pathname)) {
    throw new UsageError(
      `Cannot use ${from} "${url.href}": give the Pushgateway's address without "/metrics/job/…"`,
      `The job (${PUSH_JOB}) is added to it; the instance is --metrics-push-instance.`,
    );
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

/** Parses the `instance` grouping label: a non-empty value of at most 256 printable characters. */
export function parsePushInstance(text: string, from: string): string {
  if (text === "" || text.length > 256 || escapeControls(text) !== text) {
    throw new UsageError(
      `Cannot use ${from}: expected 1 to 256 printable characters, got "${escapeControls(text)}"`,
      "Name the host or the job's instance, e.g. --metrics-push-instance web-1.",
    );
  }
  return text;
}

/**
 * The group's URL on the gateway: `URL/metrics/job/outage-sync`, plus `/instance/NAME` when an
 * instance is given. A value that is not a plain path segment (a `/`, a space, `.`, `..`) is sent
 * in the gateway's `instance@base64/…` form (base64url), which it decodes back to the value.
 */
export function pushGroupUrl(base: URL, instance: string | undefined): URL {
  let path = `metrics/job/${PUSH_JOB}`;
  if (instance !== undefined) {
    const plain = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/.test(instance);
    path += plain
      ? `/instance/${instance}`
      : `/instance@base64/${
        new TextEncoder().encode(instance).toBase64({ alphabet: "base64url", omitPadding: true })
      }`;
  }
  return new URL(path, base);
}

/** What one push sends. */
export interface PushBody {
  /**
   * `PUT` after a success: the group becomes exactly this run's series. `POST` after a failure:
   * the series pushed replace those of the same names, and the last success time stays.
   */
  readonly method: "PUT" | "POST";
  readonly text: string;
}

/**
 * The push for a run's metrics text (the same as the file's). A failed run cannot know the last
 * success time the gateway holds, so it leaves that metric out and pushes with `POST`, which keeps
 * it there; every other series it pushes replaces the previous run's.
 */
export function pushBody(metrics: string, exitCode: number): PushBody {
  if (exitCode === 0) return { method: "PUT", text: metrics };
  const kept = metrics.split("\n").filter((line) =>
    line !== `# HELP ${LAST_SUCCESS}` && !line.startsWith(`# HELP ${LAST_SUCCESS} `) &&
    line !== `# TYPE ${LAST_SUCCESS} gauge` && !line.startsWith(`${LAST_SUCCESS} `)
  );
  return { method: "POST", text: kept.join("\n") };
}

/**
 * How long the push may take: the per-attempt timeout, cut to what is left of the run's deadline.
 * 0 or less: the deadline has passed, and nothing may be sent.
 */
export function pushBudgetMs(timeoutMs: number, now: number, deadline: number): number {
  return Math.min(timeoutMs, deadline - now);
}
