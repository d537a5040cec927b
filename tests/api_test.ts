import assert from "node:assert/strict";
import { createHttpApi, type HttpApiOptions, type OutageApi } from "../src/api.ts";
import { parseBaseUrl } from "../src/config.ts";
import { ApiError } from "../src/errors.ts";
import { silentLogger } from "../src/logger.ts";
import { realClock, type RetryClock } from "../src/retry_policy.ts";
import { Secret } from "../src/secret.ts";
import { realExpected, realOutages } from "./helpers.ts";
import { json, type ScriptedServer, startScriptedServer } from "./scripted_server.ts";

const KEY = "sentinel-key-9f8e7d";

/** Real time, but retries wait no real time. */
const noWaitClock: RetryClock = { ...realClock, sleep: () => Promise.resolve(), random: () => 0.5 };

function apiFor(
  server: ScriptedServer,
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
    logger: silentLogger,
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
  const server = startScriptedServer((_, seen) =>
    seen.method === "POST" ? new Response(null, { status: 200 }) : json(realOutages)
  );
  try {
    const api = apiFor(server);
    assert.deepEqual(await api.getOutages(), realOutages);
    await api.postSiteOutages("norwich-pear-tree", realExpected);
    assert.equal(server.requests.length, 2);
    for (const seen of server.requests) assert.equal(seen.headers.get("x-api-key"), KEY);
    const post = server.requests[1];
    assert.equal(post.path, "/site-outages/norwich-pear-tree");
    assert.equal(post.headers.get("content-type"), "application/json");
    assert.equal(post.body, JSON.stringify(realExpected));
  } finally {
    await server.close();
  }
});

Deno.test("base URL path prefix, with or without trailing slash; site ids URL-encoded", async () => {
  const server = startScriptedServer(() => json({ id: "x", name: "x", devices: [] }));
  try {
    await apiFor(server, {}, "/interview-tests-mock-api/v1").getSiteInfo("a b/c?d");
    await apiFor(server, {}, "/interview-tests-mock-api/v1/").getSiteInfo("plain");
    assert.deepEqual(server.requests.map((r) => r.path), [
      "/interview-tests-mock-api/v1/site-info/a%20b%2Fc%3Fd",
      "/interview-tests-mock-api/v1/site-info/plain",
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("JSON is read whatever the Content-Type parameters", async () => {
  const server = startScriptedServer(() =>
    new Response(JSON.stringify([{ id: "a", begin: "b", end: "c" }]), {
      headers: { "content-type": "application/json; charset=UTF-8; foo=bar" },
    })
  );
  try {
    assert.deepEqual(await apiFor(server).getOutages(), [{ id: "a", begin: "b", end: "c" }]);
  } finally {
    await server.close();
  }
});

Deno.test("empty and {} POST success bodies are success", async () => {
  const bodies = ["", "{}"];
  const server = startScriptedServer(() => new Response(bodies.shift(), { status: 200 }));
  try {
    const api = apiFor(server);
    await api.postSiteOutages("s", realExpected);
    await api.postSiteOutages("s", realExpected);
    assert.equal(server.requests.length, 2);
  } finally {
    await server.close();
  }
});

Deno.test("a redirect is never followed and the key never reaches the other origin", async () => {
  const elsewhere = startScriptedServer(() => json([]));
  const server = startScriptedServer(() =>
    new Response(null, { status: 302, headers: { location: `${elsewhere.url}/outages` } })
  );
  try {
    const error = await rejected(apiFor(server, { maxAttempts: 3 }).getOutages());
    assert.equal(error.kind, "redirect");
    assert.equal(error.status, 302);
    assert.match(error.message, new RegExp(`redirecting to host "${new URL(elsewhere.url).host}"`));
    assert.equal(elsewhere.requests.length, 0);
    assert.equal(server.requests.length, 1, "a redirect is not retried");
  } finally {
    await server.close();
    await elsewhere.close();
  }
});

Deno.test("the per-attempt timeout covers a server that never answers", async () => {
  const server = startScriptedServer((request) =>
    new Promise<Response>((resolve) => {
      request.signal.addEventListener("abort", () => resolve(new Response(null)));
    })
  );
  try {
    const started = Date.now();
    const error = await rejected(apiFor(server, { timeoutMs: 150 }).getOutages());
    assert.equal(error.kind, "timeout");
    assert.match(error.message, /GET \/outages: no complete answer within the 0.15 s timeout/);
    assert.ok(Date.now() - started < 1500);
  } finally {
    await server.close();
  }
});

Deno.test("the per-attempt timeout covers a body that stalls after the headers", async () => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const server = startScriptedServer(() =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("[{"));
        },
        pull() {
          return new Promise((resolve) => timer = setTimeout(resolve, 5000));
        },
        cancel() {
          clearTimeout(timer);
        },
      }),
      { headers: { "content-type": "application/json" } },
    )
  );
  try {
    const error = await rejected(apiFor(server, { timeoutMs: 150 }).getOutages());
    assert.equal(error.kind, "timeout");
  } finally {
    clearTimeout(timer);
    await server.close();
  }
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
      const server = startScriptedServer(() => response);
      try {
        const error = await rejected(apiFor(server).getSiteInfo("s"));
        assert.equal(error.kind, "status");
        assert.equal(error.status, status);
        assert.equal(error.endpoint, "GET /site-info/s");
        assert.match(error.message, message);
        if (status === 429) assert.equal(error.retryAfter, "7");
      } finally {
        await server.close();
      }
    });
  }
});

Deno.test("a body that is not JSON is a body error", async () => {
  const server = startScriptedServer(() => new Response('[{"id":', { status: 200 }));
  try {
    const error = await rejected(apiFor(server).getOutages());
    assert.equal(error.kind, "body");
    assert.match(error.message, /GET \/outages: the response is not JSON/);
  } finally {
    await server.close();
  }
});

Deno.test("bodies over the cap are refused, declared or streamed", async (t) => {
  const big = JSON.stringify(
    Array.from({ length: 2000 }, (_, i) => ({ id: `${i}`, begin: "x", end: "y" })),
  );
  await t.step("with Content-Length", async () => {
    const server = startScriptedServer(() => new Response(big));
    try {
      const error = await rejected(apiFor(server, { maxResponseBytes: 1000 }).getOutages());
      assert.equal(error.kind, "too-large");
      assert.match(error.message, /larger than the 1000 byte cap/);
    } finally {
      await server.close();
    }
  });
  await t.step("compressed: a Content-Length within the cap, a body beyond it", async () => {
    const gzipped = new Uint8Array(
      await new Response(new Blob([big]).stream().pipeThrough(new CompressionStream("gzip")))
        .arrayBuffer(),
    );
    assert.ok(gzipped.length < 10_000 && big.length > 10_000);
    const server = startScriptedServer(() =>
      new Response(gzipped, {
        headers: { "content-encoding": "gzip", "content-type": "application/json" },
      })
    );
    try {
      const error = await rejected(apiFor(server, { maxResponseBytes: 10_000 }).getOutages());
      assert.equal(error.kind, "too-large");
    } finally {
      await server.close();
    }
  });
  await t.step("chunked, without Content-Length", async () => {
    const server = startScriptedServer(() =>
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
    try {
      const error = await rejected(apiFor(server, { maxResponseBytes: 1000 }).getOutages());
      assert.equal(error.kind, "too-large");
    } finally {
      await server.close();
    }
  });
});

Deno.test("a connection refused is a network error", async () => {
  const server = startScriptedServer(() => json([]));
  const url = server.url;
  await server.close();
  const api = createHttpApi({
    baseUrl: parseBaseUrl(url, "test"),
    apiKey: new Secret(KEY),
    timeoutMs: 2000,
    maxResponseBytes: 1024,
    maxAttempts: 1,
    deadline: Date.now() + 60_000,
    clock: noWaitClock,
    logger: silentLogger,
    version: "test",
  });
  const error = await rejected(api.getOutages());
  assert.equal(error.kind, "network");
});

Deno.test("retried statuses are retried up to --max-attempts; other 4xx are not", async (t) => {
  await t.step("500, 503 then 200 succeeds on the third attempt", async () => {
    const answers = [
      json({ message: "oops" }, 500),
      json({ message: "busy" }, 503),
      json(realOutages),
    ];
    const server = startScriptedServer(() => answers.shift()!);
    try {
      const stats = { attempts: 0, retries: 0 };
      assert.deepEqual(await apiFor(server, { maxAttempts: 5, stats }).getOutages(), realOutages);
      assert.deepEqual(stats, { attempts: 3, retries: 2 });
    } finally {
      await server.close();
    }
  });
  await t.step("400 is final at once", async () => {
    const server = startScriptedServer(() => json({ message: "bad" }, 400));
    try {
      const error = await rejected(apiFor(server, { maxAttempts: 5 }).postSiteOutages("s", []));
      assert.equal(error.status, 400);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });
  await t.step("500 every time gives up after --max-attempts", async () => {
    const server = startScriptedServer(() => json({ message: "down" }, 500));
    try {
      const error = await rejected(apiFor(server, { maxAttempts: 3 }).getOutages());
      assert.equal(server.requests.length, 3);
      assert.equal(error.attempts, 3);
      assert.match(error.message, /answered 500: down \(gave up after 3 attempts\)/);
    } finally {
      await server.close();
    }
  });
});
