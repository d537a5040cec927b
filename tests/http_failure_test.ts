/** What a failed attempt means, as pure functions of what was observed: no server, no socket. */

import assert from "node:assert/strict";
import { ApiError } from "../src/errors.ts";
import {
  classifyFailure,
  errorBodyMessage,
  type FailureContext,
  redirectError,
  snippet,
} from "../src/http/failure.ts";
import { createRedactor } from "../src/redact.ts";

const ENDPOINT = "GET /outages";

function context(overrides: Partial<FailureContext> = {}): FailureContext {
  return {
    endpoint: ENDPOINT,
    stage: "connect",
    interrupted: false,
    timedOut: false,
    timeoutMs: 10_000,
    configuredTimeoutMs: 10_000,
    ...overrides,
  };
}

Deno.test("classifyFailure", async (t) => {
  const cause = new TypeError("error sending request: connection refused");

  await t.step("an ApiError is returned as it is", () => {
    const error = new ApiError("too-large", ENDPOINT, "too large");
    assert.equal(classifyFailure(error, context({ interrupted: true, timedOut: true })), error);
  });

  await t.step("interrupted: aborted, whatever else happened", () => {
    for (const stage of ["connect", "body"] as const) {
      const error = classifyFailure(cause, context({ stage, interrupted: true, timedOut: true }));
      assert.equal(error.kind, "interrupted");
      assert.equal(error.endpoint, ENDPOINT);
      assert.equal(error.message, "GET /outages: interrupted");
      assert.equal(error.cause, cause);
    }
  });

  await t.step("timed out, before the headers or in the body: the phase and the timeout", () => {
    const phases = [
      ["connect", "no answer (status line and headers)"],
      ["body", "the body did not arrive whole"],
    ] as const;
    for (const [stage, what] of phases) {
      const error = classifyFailure(
        cause,
        context({ stage, timedOut: true, timeoutMs: 300, configuredTimeoutMs: 300 }),
      );
      assert.equal(error.kind, "timeout");
      assert.equal(error.message, `GET /outages: ${what} within the 0.3 s timeout`);
      assert.equal(error.cause, cause);
    }
  });

  await t.step("timed out on a budget cut short by the deadline: says so", () => {
    const error = classifyFailure(
      cause,
      context({ timedOut: true, timeoutMs: 1_400, configuredTimeoutMs: 10_000 }),
    );
    assert.equal(error.kind, "timeout");
    assert.equal(
      error.message,
      "GET /outages: no answer (status line and headers) within the 1.4 s left before the run's deadline",
    );
  });

  await t.step("before the status line: a network error with the cause's message", () => {
    const error = classifyFailure(cause, context({ stage: "connect" }));
    assert.equal(error.kind, "network");
    assert.equal(
      error.message,
      "GET /outages: network error: error sending request: connection refused",
    );
    assert.equal(error.status, undefined);
    assert.equal(error.cause, cause);
  });

  await t.step("while reading the body: a body cut short", () => {
    const error = classifyFailure("connection reset", context({ stage: "body" }));
    assert.equal(error.kind, "body");
    assert.equal(
      error.message,
      "GET /outages: the response body was cut short: connection reset",
    );
  });
});

Deno.test("redirectError: never followed, names where it pointed", async (t) => {
  const requestUrl = new URL("https://api.example.com/v1/outages");
  const tail = "; redirects are not followed, so the API key is only ever sent to " +
    "api.example.com (check --base-url)";

  await t.step("an absolute Location", () => {
    const error = redirectError(ENDPOINT, 302, "https://elsewhere.example:8443/x", requestUrl);
    assert.equal(error.kind, "redirect");
    assert.equal(error.status, 302);
    assert.equal(error.endpoint, ENDPOINT);
    assert.equal(
      error.message,
      `GET /outages: the API answered 302 redirecting to host "elsewhere.example:8443"${tail}`,
    );
  });

  await t.step("a relative Location resolves against the request", () => {
    const error = redirectError(ENDPOINT, 301, "/v2/outages", requestUrl);
    assert.equal(
      error.message,
      `GET /outages: the API answered 301 redirecting to host "api.example.com"${tail}`,
    );
  });

  await t.step("no Location header", () => {
    const error = redirectError(ENDPOINT, 307, null, requestUrl);
    assert.equal(
      error.message,
      `GET /outages: the API answered 307 redirecting no Location header${tail}`,
    );
  });

  await t.step("a Location that is not a URL", () => {
    const error = redirectError(ENDPOINT, 308, "http://[not-a-host", requestUrl);
    assert.equal(
      error.message,
      `GET /outages: the API answered 308 redirecting to an unreadable Location${tail}`,
    );
  });
});

/** A mixed-case key holding the characters that end a URL's host (`/`, `@`, `:`). */
const LOCATION_KEY = "SENTINEL-Qx7Zv/Wk@Pj:Rm4";

/** Whether any 6 characters of `key` are in `text`, in any letter case. */
function holdsPartOf(text: string, key: string): boolean {
  const lower = text.toLowerCase();
  return Array.from({ length: key.length - 5 }, (_, i) => key.slice(i, i + 6).toLowerCase())
    .some((part) => lower.includes(part));
}

Deno.test("redirectError: a Location that holds the key is redacted before it is parsed", async (t) => {
  const requestUrl = new URL("https://api.example.com/v1/outages");
  const redact = createRedactor([LOCATION_KEY]);
  for (
    const [name, location] of [
      ["in the host, mixed case", `https://${LOCATION_KEY}.evil.example/x`],
      ["in the host, lower case", `https://${LOCATION_KEY.toLowerCase()}.evil.example/x`],
      ["percent-encoded", `https://evil.example/${encodeURIComponent(LOCATION_KEY)}`],
    ]
  ) {
    await t.step(name, () => {
      const error = redirectError(ENDPOINT, 302, location, requestUrl, redact);
      assert.match(error.message, /^GET \/outages: the API answered 302 redirecting to "/);
      assert.match(error.message, /\[redacted\].*, a Location that holds the API key; /);
      assert.ok(!holdsPartOf(error.message, LOCATION_KEY), error.message);
    });
  }
  await t.step("a Location without the key: its host as the server wrote it", () => {
    const error = redirectError(ENDPOINT, 301, "https://Other.Example:8443/x", requestUrl, redact);
    assert.match(error.message, /redirecting to host "Other\.Example:8443"; /);
  });
});

const same = (text: string) => text;

Deno.test("errorBodyMessage: the API's message, else a snippet of the body", () => {
  assert.equal(
    errorBodyMessage('{"message":"You do not have the required permissions"}', same),
    "You do not have the required permissions",
  );
  assert.equal(errorBodyMessage('{"message":""}', same), "");
  assert.equal(errorBodyMessage('{"message":7}', same), '{"message":7}');
  assert.equal(errorBodyMessage("null", same), "null");
  assert.equal(
    errorBodyMessage("<html>\n  <body>Bad gateway</body>\n</html>", same),
    "<html> <body>Bad gateway</body> </html>",
  );
  assert.equal(errorBodyMessage("", same), "(empty body)");
  assert.equal(errorBodyMessage(" \n\t", same), "(empty body)");
});

Deno.test("snippet: whitespace folded, cut to 200 characters", () => {
  assert.equal(snippet("  a \n\n b\tc  "), "a b c");
  const exact = "x".repeat(200);
  assert.equal(snippet(exact), exact);
  const long = snippet("y".repeat(201));
  assert.equal(long.length, 200);
  assert.equal(long, "y".repeat(197) + "...");
});
