/**
 * One push of a run's metrics to a Prometheus Pushgateway (`--metrics-push-url`): one attempt,
 * bounded in time, never carrying the API key. A failure comes back in words, as a failed metrics
 * file write does.
 * @module
 */

import type { PushBody } from "../metrics_push.ts";
import { escapeControls } from "../printable.ts";
import { createConnections } from "./client.ts";
import { describeNetworkFailure, snippet } from "./failure.ts";

/** How a push is made. */
export interface PushOptions {
  /** The group's URL (`pushGroupUrl`). */
  readonly url: URL;
  readonly body: PushBody;
  /** The whole push, answer included, must end within this; 0 or less: nothing is sent. */
  readonly budgetMs: number;
  /** The program's version, for the User-Agent. */
  readonly version: string;
  /** The HTTP client (default: the global `fetch`). */
  readonly fetch?: typeof fetch;
}

/** The most of an error answer read for its message. */
const ERROR_BODY_BYTES = 2048;

/** Pushes the metrics; `undefined` when the gateway took them, else why not (without the URL). */
export async function pushMetrics(options: PushOptions): Promise<string | undefined> {
  if (options.budgetMs <= 0) return "the run's deadline (--deadline) passed before the push";
  using connections = createConnections(options.url);
  const signal = AbortSignal.timeout(options.budgetMs);
  try {
    // Only what the gateway needs: no Authorization, no key, nothing from the API's requests.
    const response = await (options.fetch ?? fetch)(options.url, {
      method: options.body.method,
      headers: {
        "content-type": "text/plain; version=0.0.4; charset=utf-8",
        "user-agent": `outage-sync/${options.version}`,
      },
      body: options.body.text,
      redirect: "manual",
      signal,
      client: connections,
    });
    if (response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const text = await readStart(response);
    const said = text === "" ? "" : `: ${escapeControls(snippet(text))}`;
    return `the Pushgateway answered ${response.status}${said}`;
  } catch (error) {
    if (signal.aborted) {
      return `no answer within ${options.budgetMs / 1000} s (--timeout, within --deadline)`;
    }
    return describeNetworkFailure(error, options.url).what;
  }
}

/** The start of an answer's body, as text, reading no more than {@link ERROR_BODY_BYTES}. */
async function readStart(response: Response): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) (bytes.set(chunk, at), at += chunk.length);
  return new TextDecoder().decode(bytes.subarray(0, ERROR_BODY_BYTES));
}
