/**
 * The HTTP implementation of the API against scripted local servers: headers, paths, timeouts,
 * redirects, status and body errors, the size cap, and retries as the wire sees them.
 */

import assert from "node:assert/strict";
import { parseBaseUrl } from "../src/config/values.ts";
import { ApiError } from "../src/errors.ts";
import { createConnections, createHttpApi, type HttpApiOptions } from "../src/http/client.ts";
import type { OutageApi } from "../src/outage_api.ts";
import { realClock, type RetryClock } from "../src/retry_policy.ts";
import { Secret } from "../src/secret.ts";
import { memoryLogger, realExpected, realOutages } from "./helpers.ts";
import { startRawServer } from "./raw_http_server.ts";
import { json, startScriptedServer } from "./scripted_server.ts";

const KEY = "sentinel-key-9f8e7d";

/** Real time, but retries wait no real time. */
const noWaitClock: RetryClock = { ...realClock, sleep: () => Promise.resolve(), random: () => 0.5 };

function apiFor(
  server: { url: string },
  overrides: Partial<HttpApiOptions> = {},
  path = "",
): OutageApi {
  return createHttpApi({
    baseUrl: parseBaseUrl(server.url + path, "test"),
    apiKey: new Secret(KEY),
    timeoutMs: 2000,
    maxResponseBytes: 1024 * 1024,
    maxAttempts: 1,
    deadline: Date.now() + 60_000,
    clock: noWaitClock,
    logger: memoryLogger(),
    version: "test",
    ...overrides,
  });
}

async function rejected(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiError, `expected an ApiError, got ${error}`);
    assert.ok(!error.message.includes(KEY), "the key must never appear in an error");
    return error;
  }
  assert.fail("expected the request to fail");
}

Deno.test("every request carries x-api-key; the POST carries Content-Type and the JSON payload", async () => {
  await using server = startScriptedServer((_, seen) =>
    seen.method === "POST" ? new Response(null, { status: 200 }) : json(realOutages)
  );
  const api = apiFor(server);
  assert.deepEqual((await api.getOutages()).outages.toArray(), realOutages);
  await api.postSiteOutages("norwich-pear-tree", realExpected);
  assert.equal(server.requests.length, 2);
  for (const seen of server.requests) assert.equal(seen.headers.get("x-api-key"), KEY);
  const post = server.requests[1];
  assert.equal(post.path, "/site-outages/norwich-pear-tree");
  assert.equal(post.headers.get("content-type"), "application/json");
  assert.equal(post.body, JSON.stringify(realExpected));
});

Deno.test("base URL path prefix, with or without trailing slash; site ids URL-encoded", async () => {
  await using server = startScriptedServer(() => json({ id: "x", name: "x", devices: [] }));
  await apiFor(server, {}, "/interview-tests-mock-api/v1").getSiteInfo("a b/c?d");
  await apiFor(server, {}, "/interview-tests-mock-api/v1/").getSiteInfo("plain");
  assert.deepEqual(server.requests.map((r) => r.path), [
    "/interview-tests-mock-api/v1/site-info/a%20b%2Fc%3Fd",
    "/interview-tests-mock-api/v1/site-info/plain",
  ]);
});

Deno.test("JSON is read whatever the Content-Type parameters", async () => {
  await using server = startScriptedServer(() =>
    new Response(JSON.stringify(realOutages), {
      headers: { "content-type": "application/json; charset=UTF-8; foo=bar" },
    })
  );
  assert.deepEqual((await apiFor(server).getOutages()).outages.toArray(), realOutages);
});

Deno.test("empty and {} POST success bodies are success", async () => {
  const bodies = ["", "{}"];
  await using server = startScriptedServer(() => new Response(bodies.shift(), { status: 200 }));
  const api = apiFor(server);
  await api.postSiteOutages("s", realExpected);
  await api.postSiteOutages("s", realExpected);
  assert.equal(server.requests.length, 2);
});

Deno.test("a redirect is never followed and the key never reaches the other origin", async () => {
  await using elsewhere = startScriptedServer(() => json([]));
  await using server = startScriptedServer(() =>
    new Response(null, { status: 302, headers: { location: `${elsewhere.url}/outages` } })
  );
  const error = await rejected(apiFor(server, { maxAttempts: 3 }).getOutages());
  assert.equal(error.kind, "redirect");
  assert.equal(error.status, 302);
  assert.match(error.message, new RegExp(`redirecting to host "${new URL(elsewhere.url).host}"`));
  assert.equal(elsewhere.requests.length, 0);
  assert.equal(server.requests.length, 1, "a redirect is not retried");
});

Deno.test("the per-attempt timeout covers a server that never answers", async () => {
  await using server = startScriptedServer((request) =>
    new Promise<Response>((resolve) => {
      request.signal.addEventListener("abort", () => resolve(new Response(null)));
    })
  );
  // No clock: were the 0.1 s timeout not applied, the run's deadline (60 s) would end the request
  // with a message about the deadline instead.
  const error = await rejected(apiFor(server, { timeoutMs: 100 }).getOutages());
  assert.equal(error.kind, "timeout");
  assert.match(
    error.message,
    /GET \/outages: no answer \(status line and headers\) within the 0.1 s timeout/,
  );
});

Deno.test("the per-attempt timeout covers a body that stalls after the headers", async () => {
  const stalled = Promise.withResolvers<void>();
  await using server = startScriptedServer(() =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("[{"));
        },
        pull: () => stalled.promise,
        cancel: () => stalled.resolve(),
      }),
      { headers: { "content-type": "application/json" } },
    )
  );
  const error = await rejected(apiFor(server, { timeoutMs: 100 }).getOutages());
  assert.equal(error.kind, "timeout");
  stalled.resolve();
});

Deno.test("non-2xx answers map to typed errors with the status and the API's message", async (t) => {
  const cases: [Response, number, RegExp][] = [
    [
      json({ message: "You do not have the required permissions to make this request." }, 403),
      403,
      /answered 403: You do not have/,
    ],
    [
      json({ message: "You have requested a resource that does not exist." }, 404),
      404,
      /answered 404: You have requested/,
    ],
    [
      new Response("<html><body>Bad gateway</body></html>", { status: 502 }),
      502,
      /answered 502: <html><body>Bad gateway/,
    ],
    [new Response("", { status: 500 }), 500, /answered 500: \(empty body\)/],
    [json({ message: "slow down" }, 429, { "retry-after": "7" }), 429, /answered 429: slow down/],
  ];
  for (const [response, status, message] of cases) {
    await t.step(`${status}`, async () => {
      await using server = startScriptedServer(() => response);
      const error = await rejected(apiFor(server).getSiteInfo("s"));
      assert.equal(error.kind, "http");
      assert.equal(error.status, status);
      assert.equal(error.endpoint, "GET /site-info/s");
      assert.match(error.message, message);
      if (status === 429) assert.equal(error.retryAfter, "7");
    });
  }
});

Deno.test("a body that is not JSON is a body error", async () => {
  await using server = startScriptedServer(() => new Response('[{"id":', { status: 200 }));
  const error = await rejected(apiFor(server).getOutages());
  assert.equal(error.kind, "body");
  assert.match(error.message, /GET \/outages: the response is not JSON/);
});

Deno.test("bodies over the cap are refused, declared or streamed", async (t) => {
  const big = JSON.stringify(
    Array.from({ length: 2000 }, (_, i) => ({ id: `${i}`, begin: "x", end: "y" })),
  );
  await t.step("with Content-Length", async () => {
    await using server = startScriptedServer(() => new Response(big));
    const error = await rejected(apiFor(server, { maxResponseBytes: 1000 }).getOutages());
    assert.equal(error.kind, "too-large");
    assert.match(
      error.message,
      /\(Content-Length \d+\) is over the 0\.001 MiB cap \(1000 bytes\); it was not read/,
    );
  });
  await t.step("compressed: a Content-Length within the cap, a body beyond it", async () => {
    const gzipped = new Uint8Array(
      await new Response(new Blob([big]).stream().pipeThrough(new CompressionStream("gzip")))
        .arrayBuffer(),
    );
    assert.ok(gzipped.length < 10_000 && big.length > 10_000);
    await using server = startScriptedServer(() =>
      new Response(gzipped, {
        headers: { "content-encoding": "gzip", "content-type": "application/json" },
      })
    );
    const error = await rejected(apiFor(server, { maxResponseBytes: 10_000 }).getOutages());
    assert.equal(error.kind, "too-large");
    assert.match(
      error.message,
      /is over the 0\.01 MiB cap \(10000 bytes\) once decoded \(it came compressed\)/,
    );
  });
  await t.step("chunked, without Content-Length", async () => {
    await using server = startScriptedServer(() =>
      new Response(
        new ReadableStream({
          start(controller) {
            const bytes = new TextEncoder().encode(big);
            for (let i = 0; i < bytes.length; i += 500) controller.enqueue(bytes.slice(i, i + 500));
            controller.close();
          },
        }),
      )
    );
    const error = await rejected(apiFor(server, { maxResponseBytes: 1000 }).getOutages());
    assert.equal(error.kind, "too-large");
  });
});

Deno.test("a body within the cap is read whole, streamed in chunks or compressed", async (t) => {
  const text = JSON.stringify(realOutages);
  const bytes = new TextEncoder().encode(text);
  await t.step("chunked, without Content-Length", async () => {
    await using server = startScriptedServer(() =>
      new Response(
        new ReadableStream({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 1000) {
              controller.enqueue(bytes.slice(i, i + 1000));
            }
            controller.close();
          },
        }),
      )
    );
    assert.deepEqual((await apiFor(server).getOutages()).outages.toArray(), realOutages);
  });
  await t.step("gzip", async () => {
    const gzipped = await new Response(
      new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer();
    await using server = startScriptedServer(() =>
      new Response(gzipped, { headers: { "content-encoding": "gzip" } })
    );
    assert.deepEqual((await apiFor(server).getOutages()).outages.toArray(), realOutages);
  });
});

Deno.test("a connection refused is a network error", async () => {
  let url: string;
  {
    await using server = startScriptedServer(() => json([]));
    url = server.url;
  }
  const error = await rejected(apiFor({ url }).getOutages());
  assert.equal(error.kind, "network");
  assert.match(error.message, /^GET \/outages: network error: /);
});

Deno.test("a deadline already passed: not attempted, nothing sent", async () => {
  await using server = startScriptedServer(() => json(realOutages));
  const error = await rejected(apiFor(server, { deadline: Date.now() - 1 }).getOutages());
  assert.equal(error.kind, "deadline");
  assert.equal(error.message, "GET /outages: not attempted: the run's deadline has passed");
  assert.equal(server.requests.length, 0);
});

Deno.test("near the deadline an attempt gets only the time left, and says so", async () => {
  await using server = startScriptedServer((request) =>
    new Promise<Response>((resolve) => {
      request.signal.addEventListener("abort", () => resolve(new Response(null)));
    })
  );
  const api = apiFor(server, { timeoutMs: 10_000, deadline: Date.now() + 100 });
  const error = await rejected(api.getOutages());
  assert.equal(error.kind, "timeout");
  assert.match(
    error.message,
    /no answer \(status line and headers\) within the 0\.\d s left before the run's deadline/,
  );
});

Deno.test("the run's signal interrupts a request: aborted, not retried", async () => {
  const arrived = Promise.withResolvers<void>();
  await using server = startScriptedServer((request) =>
    new Promise<Response>((resolve) => {
      arrived.resolve();
      request.signal.addEventListener("abort", () => resolve(new Response(null)));
    })
  );
  const controller = new AbortController();
  const pending = apiFor(server, { maxAttempts: 3 }).getOutages(controller.signal);
  await arrived.promise;
  controller.abort(new Error("SIGINT"));
  const error = await rejected(pending);
  assert.equal(error.kind, "interrupted");
  assert.equal(error.message, "GET /outages: interrupted");
  assert.equal(server.requests.length, 1);
});

Deno.test("retried statuses are retried up to --max-attempts; other 4xx are not", async (t) => {
  await t.step("500, 503 then 200 succeeds on the third attempt", async () => {
    const answers = [
      json({ message: "oops" }, 500),
      json({ message: "busy" }, 503),
      json(realOutages),
    ];
    await using server = startScriptedServer(() => answers.shift()!);
    const stats = { attempts: 0, retries: 0 };
    const logger = memoryLogger();
    const api = apiFor(server, { maxAttempts: 5, stats, logger });
    assert.deepEqual((await api.getOutages()).outages.toArray(), realOutages);
    assert.deepEqual(stats, { attempts: 3, retries: 2 });
    const retries = logger.lines.filter((line) => line.msg === "retrying");
    assert.deepEqual(retries.map((line) => line.level), ["warn", "warn"]);
    assert.deepEqual(retries[0].fields, {
      endpoint: "GET /outages",
      attempt: 1,
      reason: "GET /outages: the API answered 500: oops",
      waitMs: 125,
      retryAfter: undefined,
    });
    assert.deepEqual(
      logger.lines.filter((line) => line.level === "debug").map((line) => line.msg),
      ["request", "response", "request", "response", "request", "response"],
    );
  });
  await t.step("400 is final at once", async () => {
    await using server = startScriptedServer(() => json({ message: "bad" }, 400));
    const error = await rejected(apiFor(server, { maxAttempts: 5 }).postSiteOutages("s", []));
    assert.equal(error.status, 400);
    assert.equal(server.requests.length, 1);
  });
  await t.step("500 every time gives up after --max-attempts", async () => {
    await using server = startScriptedServer(() => json({ message: "down" }, 500));
    const error = await rejected(apiFor(server, { maxAttempts: 3 }).getOutages());
    assert.equal(server.requests.length, 3);
    assert.equal(error.attempts, 3);
    assert.match(error.message, /answered 500: down \(gave up after 3 attempts\)/);
  });
});

Deno.test("a loopback base URL is asked directly, in origin form: GET /v1/outages", async () => {
  // Servers that route on the path alone (Python's http.server, say) answer 404 to the absolute
  // form meant for proxies (`GET http://127.0.0.1:PORT/v1/outages`).
  const body = new TextEncoder().encode(JSON.stringify(realOutages));
  await using server = startRawServer(() => ({ kind: "answer", status: 200, body }));
  const noProxy = Deno.env.get("NO_PROXY");
  using client = createConnections(parseBaseUrl(`${server.url}/v1`, "test"));
  assert.equal(Deno.env.get("NO_PROXY"), noProxy, "NO_PROXY is as it was");
  const api = apiFor(server, { client, maxAttempts: 3 }, "/v1");
  assert.deepEqual((await api.getOutages()).outages.toArray(), realOutages);
  assert.deepEqual((await api.getOutages()).outages.toArray(), realOutages);
  assert.deepEqual(server.requests.map((r) => `${r.method} ${r.target}`), [
    "GET /v1/outages",
    "GET /v1/outages",
  ]);
  // One connection per request, as before: the delivery bound.
  assert.deepEqual(server.requests.map((r) => r.connection), [1, 2]);
});
