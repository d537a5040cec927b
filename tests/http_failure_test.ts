/** What a failed attempt means, as pure functions of what was observed: no server, no socket. */

import assert from "node:assert/strict";
import { ApiError } from "../src/errors.ts";
import {
  classifyFailure,
  describeNetworkFailure,
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

/** A `fetch` error as Deno throws it: a TypeError whose cause holds the runtime's words. */
function fetchError(inner: string, url = "https://api.example.net/v1/outages"): TypeError {
  return new TypeError("fetch failed", {
    cause: new Error(`error sending request for url (${url}): client error (Connect): ${inner}`),
  });
}

Deno.test("describeNetworkFailure: each of the runtime's causes in words, with its attempt limit", async (t) => {
  const url = new URL("https://api.example.net/v1/outages");
  const cases: [string, unknown, { what: string; attemptLimit?: number }][] = [
    [
      "a port the runtime blocks",
      new TypeError("Requests to port 6000 are blocked"),
      { what: "requests to port 6000 are blocked by the runtime", attemptLimit: 1 },
    ],
    ...["Invalid URL: 'x'", "invalid url", "relative URL without a base"].map((
      text,
    ): [string, unknown, { what: string; attemptLimit?: number }] => [
      `a URL the runtime cannot use: ${text}`,
      new TypeError(text),
      { what: `the URL ${url.href} cannot be used`, attemptLimit: 1 },
    ]),
    ...[
      "dns error",
      "failed to lookup address",
      "Name or service not known",
      "No address associated",
    ]
      .map((text): [string, unknown, { what: string; attemptLimit?: number }] => [
        `DNS, without detail: ${text}`,
        fetchError(text),
        { what: "DNS lookup failed for api.example.net", attemptLimit: 2 },
      ]),
    [
      "DNS, the detail up to the next cause",
      new TypeError("fetch failed", {
        cause: new Error("failed to lookup address information:  Temporary failure  ", {
          cause: new Error("inner"),
        }),
      }),
      { what: "DNS lookup failed for api.example.net (Temporary failure)", attemptLimit: 2 },
    ],
    ...["UnknownIssuer", "NotValidForName", "CertExpired", "BadSignature"].map((
      text,
    ): [string, unknown, { what: string; attemptLimit?: number }] => [
      `a certificate rejected, without detail: ${text}`,
      new TypeError(`rustls: ${text}`),
      { what: "TLS: the certificate of api.example.net was rejected", attemptLimit: 1 },
    ]),
    [
      "a certificate rejected, the detail up to a parenthesis",
      fetchError("invalid peer certificate: CertExpired) and more"),
      {
        what: "TLS: the certificate of api.example.net was rejected " +
          "(invalid peer certificate: CertExpired)",
        attemptLimit: 1,
      },
    ],
    [
      "a certificate rejected, a detail that starts at 'certificate'",
      new TypeError("bad Certificate: self signed"),
      {
        what: "TLS: the certificate of api.example.net was rejected (Certificate: self signed)",
        attemptLimit: 1,
      },
    ],
    ...["received corrupt message", "TLS", "handshake", "InvalidContentType", "alert"].map((
      text,
    ): [string, unknown, { what: string; attemptLimit?: number }] => [
      `a TLS handshake that failed: ${text}`,
      new TypeError(`the ${text} went wrong`),
      { what: "TLS handshake with api.example.net:443 failed", attemptLimit: 1 },
    ]),
    [
      "a TLS handshake that failed, with the runtime's detail",
      fetchError("received corrupt message of type InvalidContentType "),
      {
        what: "TLS handshake with api.example.net:443 failed " +
          "(received corrupt message of type InvalidContentType)",
        attemptLimit: 1,
      },
    ],
    [
      "refused",
      fetchError("tcp connect error: connection refused (os error 111)"),
      { what: "connection refused by api.example.net:443" },
    ],
    [
      "reset",
      fetchError("connection reset by peer (os error 104)"),
      { what: "connection reset by api.example.net:443" },
    ],
    [
      "closed before an answer (hyper's words)",
      new TypeError("IncompleteMessage"),
      { what: "connection closed by api.example.net:443 before an answer arrived" },
    ],
    [
      "unreachable",
      fetchError("Network is Unreachable (os error 101)"),
      { what: "api.example.net:443 is unreachable" },
    ],
    [
      "anything else: the innermost message, without the request's prefix",
      fetchError("something new"),
      { what: "client error (Connect): something new (api.example.net:443)" },
    ],
    [
      "a thrown string",
      "boom",
      { what: "boom (api.example.net:443)" },
    ],
  ];
  for (const [name, error, expected] of cases) {
    await t.step(name, () => assert.deepEqual(describeNetworkFailure(error, url), expected));
  }

  await t.step("the port: as given, else the scheme's default", () => {
    const refused = fetchError("Connection refused");
    assert.equal(
      describeNetworkFailure(refused, new URL("http://127.0.0.1:8080/")).what,
      "connection refused by 127.0.0.1:8080",
    );
    assert.equal(
      describeNetworkFailure(refused, new URL("http://api.example.net/")).what,
      "connection refused by api.example.net:80",
    );
  });

  await t.step("only the first eight causes are read (a cycle of causes ends)", () => {
    let error: Error = new Error("Connection refused");
    for (let i = 8; i >= 1; i--) error = new Error(`level ${i}`, { cause: error });
    assert.deepEqual(describeNetworkFailure(error, url), {
      what: "level 8 (api.example.net:443)",
    });
    const cycle = new Error("round");
    cycle.cause = cycle;
    assert.deepEqual(describeNetworkFailure(cycle, url), { what: "round (api.example.net:443)" });
  });

  await t.step("classifyFailure names the cause and keeps its attempt limit", () => {
    const error = classifyFailure(
      fetchError("dns error: failed to lookup address information: no such host"),
      context({ url }),
    );
    assert.equal(error.kind, "network");
    assert.equal(
      error.message,
      "GET /outages: network error: DNS lookup failed for api.example.net (no such host)",
    );
    assert.equal(error.attemptLimit, 2);
  });
});

Deno.test("errorBodyMessage: the key redacted in a snippet, and a body too big to read as JSON", () => {
  const key = "SENTINEL-body-key-19";
  const redact = createRedactor([key]);
  assert.equal(
    errorBodyMessage(`<p>bad key ${key}</p>`, redact),
    "<p>bad key [redacted]</p>",
  );
  const values = (n: number) => `{"message":"m","pad":[${Array(n).fill(0).join(",")}]}`;
  assert.equal(errorBodyMessage(values(990), same), "m");
  assert.equal(errorBodyMessage(values(1000), same), snippet(values(1000)));
  assert.ok(snippet(values(1000)).startsWith('{"message":"m","pad":[0,0,'));
});

Deno.test("snippet: only the first 4000 characters are read", () => {
  assert.equal(snippet(" ".repeat(4000) + "tail"), "");
  assert.equal(snippet(" ".repeat(3996) + "tail"), "tail");
});

Deno.test("describeNetworkFailure: details end where the next cause begins, and only a leading request prefix is cut", () => {
  const url = new URL("https://api.example.net/v1/outages");
  const certificate = new TypeError("invalid peer certificate: UnknownIssuer", {
    cause: new Error("os"),
  });
  assert.equal(
    describeNetworkFailure(certificate, url).what,
    "TLS: the certificate of api.example.net was rejected (invalid peer certificate: UnknownIssuer)",
  );
  const wrapped = new TypeError("proxy said: error sending request for url (x): boom");
  assert.equal(
    describeNetworkFailure(wrapped, url).what,
    "proxy said: error sending request for url (x): boom (api.example.net:443)",
  );
});

Deno.test("classifyFailure: a body cut short keeps what cut it as its cause", () => {
  const cause = new Error("connection reset");
  const error = classifyFailure(cause, context({ stage: "body" }));
  assert.equal(error.cause, cause);
  assert.equal(error.message, "GET /outages: the response body was cut short: connection reset");
});
