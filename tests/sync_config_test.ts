/**
 * The configuration of `sync` and `check`: defaults from the option table, precedence, `.env`,
 * the API key, and every value's checks, as one-line usage errors naming where the value came from.
 */

import assert from "node:assert/strict";
import {
  type ConfigSources,
  resolveSyncConfig,
  type SyncConfig,
} from "../src/config/sync_config.ts";
import { SYNC_OPTIONS } from "../src/config/sync_options.ts";
import { FileRefused, UsageError } from "../src/errors.ts";
import { usageError } from "./helpers.ts";

const DEFAULT_SITE = SYNC_OPTIONS.site.default;
const DEFAULT_SINCE = SYNC_OPTIONS.since.default;
const DEFAULT_BASE_URL = SYNC_OPTIONS.baseUrl.default;

/** A fake environment and file system; records which files were read. */
function fakeSources(
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): ConfigSources & { read: string[] } {
  const read: string[] = [];
  return {
    read,
    env: (name) => Object.hasOwn(env, name) ? env[name] : undefined,
    readTextFile: (path) => {
      read.push(path);
      return Object.hasOwn(files, path) ? files[path] : undefined;
    },
  };
}

const KEY = { KRAKENFLEX_API_KEY: "test-key-123" };

function resolve(
  args: string[],
  env: Record<string, string> = KEY,
  files: Record<string, string> = {},
): SyncConfig {
  return resolveSyncConfig(args, fakeSources(env, files));
}

Deno.test("resolveSyncConfig: defaults", () => {
  const sources = fakeSources(KEY);
  const config = resolveSyncConfig([], sources);
  assert.deepEqual(config.sites, [DEFAULT_SITE]);
  assert.deepEqual(config.sites, ["norwich-pear-tree"]);
  assert.equal(config.since.text, DEFAULT_SINCE);
  assert.equal(config.since.epochNanoseconds, 1640995200000000000n);
  assert.equal(config.baseUrl.href, DEFAULT_BASE_URL + "/");
  assert.equal(
    config.baseUrl.href,
    "https://api.krakenflex.systems/interview-tests-mock-api/v1/",
  );
  assert.equal(config.apiKey.reveal(), "test-key-123");
  assert.equal(config.apiKeySource, "KRAKENFLEX_API_KEY (environment)");
  assert.equal(config.mode, "sync");
  assert.equal(config.json, false);
  assert.equal(config.skipInvalid, false);
  assert.equal(config.postEmpty, false);
  assert.equal(config.timeoutMs, 10_000);
  assert.equal(config.maxAttempts, 5);
  assert.equal(config.deadlineMs, 120_000);
  assert.equal(config.concurrency, 4);
  assert.equal(config.maxResponseBytes, 512 * 1024 * 1024);
  assert.equal(config.logFormat, "text");
  assert.equal(config.logLevel, "info");
  assert.equal(config.metricsFile, undefined);
  assert.equal(config.noColor, false);
  assert.deepEqual(sources.read, [".env"]); // ./.env is looked for; its absence is fine
});

Deno.test("resolveSyncConfig: boolean flags", () => {
  const config = resolve(["--dry-run", "--json", "--skip-invalid", "--post-empty"]);
  assert.equal(config.mode, "dry-run");
  assert.equal(config.json, true);
  assert.equal(config.skipInvalid, true);
  assert.equal(config.postEmpty, true);
});

interface Setting {
  flag: string;
  env: string;
  /** A value and another, both different from the default. */
  a: string;
  b: string;
  get(config: SyncConfig): unknown;
  expectA: unknown;
  expectDefault: unknown;
}

const SETTINGS: Setting[] = [
  {
    flag: "--site",
    env: "KRAKENFLEX_SITE",
    a: "site-a",
    b: "site-b",
    get: (c) => c.sites,
    expectA: ["site-a"],
    expectDefault: ["norwich-pear-tree"],
  },
  {
    flag: "--since",
    env: "KRAKENFLEX_SINCE",
    a: "2023-01-01T00:00:00+01:00",
    b: "2024-01-01T00:00:00Z",
    get: (c) => c.since.text,
    expectA: "2023-01-01T00:00:00+01:00",
    expectDefault: DEFAULT_SINCE,
  },
  {
    flag: "--base-url",
    env: "KRAKENFLEX_BASE_URL",
    a: "https://a.example/v1",
    b: "https://b.example/v2",
    get: (c) => c.baseUrl.href,
    expectA: "https://a.example/v1/",
    expectDefault: DEFAULT_BASE_URL + "/",
  },
  {
    flag: "--timeout",
    env: "KRAKENFLEX_TIMEOUT",
    a: "2.5",
    b: "30",
    get: (c) => c.timeoutMs,
    expectA: 2500,
    expectDefault: 10_000,
  },
  {
    flag: "--max-attempts",
    env: "KRAKENFLEX_MAX_ATTEMPTS",
    a: "2",
    b: "9",
    get: (c) => c.maxAttempts,
    expectA: 2,
    expectDefault: 5,
  },
  {
    flag: "--deadline",
    env: "KRAKENFLEX_DEADLINE",
    a: "60",
    b: "300",
    get: (c) => c.deadlineMs,
    expectA: 60_000,
    expectDefault: 120_000,
  },
  {
    flag: "--log-format",
    env: "KRAKENFLEX_LOG_FORMAT",
    a: "json",
    b: "text",
    get: (c) => c.logFormat,
    expectA: "json",
    expectDefault: "text",
  },
  {
    flag: "--log-level",
    env: "KRAKENFLEX_LOG_LEVEL",
    a: "debug",
    b: "warn",
    get: (c) => c.logLevel,
    expectA: "debug",
    expectDefault: "info",
  },
  {
    flag: "--max-response-mb",
    env: "KRAKENFLEX_MAX_RESPONSE_MB",
    a: "0.5",
    b: "64",
    get: (c) => c.maxResponseBytes,
    expectA: 512 * 1024,
    expectDefault: 512 * 1024 * 1024,
  },
  {
    flag: "--metrics-file",
    env: "KRAKENFLEX_METRICS_FILE",
    a: "/var/lib/a.prom",
    b: "/var/lib/b.prom",
    get: (c) => c.metricsFile,
    expectA: "/var/lib/a.prom",
    expectDefault: undefined,
  },
];

Deno.test("resolveSyncConfig: precedence flag > environment > .env > default", async (t) => {
  for (const s of SETTINGS) {
    const dotEnv = (value: string) => ({ ".env": `${s.env}=${value}\n` });
    await t.step(`${s.flag}: default`, () => {
      assert.deepEqual(s.get(resolve([])), s.expectDefault);
    });
    await t.step(`${s.flag}: .env beats the default`, () => {
      assert.deepEqual(s.get(resolve([], KEY, dotEnv(s.a))), s.expectA);
    });
    await t.step(`${s.flag}: environment beats .env`, () => {
      assert.deepEqual(s.get(resolve([], { ...KEY, [s.env]: s.a }, dotEnv(s.b))), s.expectA);
    });
    await t.step(`${s.flag}: flag beats environment and .env`, () => {
      assert.deepEqual(
        s.get(resolve([s.flag, s.a], { ...KEY, [s.env]: s.b }, dotEnv(s.b))),
        s.expectA,
      );
      assert.deepEqual(
        s.get(resolve([`${s.flag}=${s.a}`], { ...KEY, [s.env]: s.b }, dotEnv(s.b))),
        s.expectA,
      );
    });
  }

  await t.step("--concurrency: flag and default (no environment variable)", () => {
    assert.equal(resolve([]).concurrency, 4);
    assert.equal(resolve(["--concurrency", "16"]).concurrency, 16);
    assert.equal(
      resolve([], { ...KEY, KRAKENFLEX_CONCURRENCY: "16" }, {
        ".env": "KRAKENFLEX_CONCURRENCY=16",
      }).concurrency,
      4,
    );
  });

  await t.step("--quiet and --verbose beat the environment", () => {
    const env = { ...KEY, KRAKENFLEX_LOG_LEVEL: "warn" };
    assert.equal(resolve(["--quiet"], env).logLevel, "error");
    assert.equal(resolve(["-q"], env).logLevel, "error");
    assert.equal(resolve(["--verbose"], env).logLevel, "debug");
    assert.equal(resolve(["-v"], env).logLevel, "debug");
  });

  await t.step("values from the environment are trimmed", () => {
    const config = resolve([], {
      ...KEY,
      KRAKENFLEX_LOG_LEVEL: " debug ",
      KRAKENFLEX_TIMEOUT: " 3 ",
      KRAKENFLEX_SITE: " x ",
    });
    assert.equal(config.logLevel, "debug");
    assert.equal(config.timeoutMs, 3000);
    assert.deepEqual(config.sites, ["x"]);
  });
});

Deno.test("resolveSyncConfig: .env files", async (t) => {
  await t.step("comments, quotes, export and whitespace", () => {
    const text = [
      "# a comment line",
      "export KRAKENFLEX_SITE=site-from-dotenv",
      'KRAKENFLEX_SINCE="2023-01-01T00:00:00Z" # a trailing comment',
      "  KRAKENFLEX_LOG_LEVEL  =  debug  ",
      "KRAKENFLEX_LOG_FORMAT='json'",
      "#KRAKENFLEX_TIMEOUT=99",
      "",
      'KRAKENFLEX_API_KEY=" dot-key-1234 "',
      "KRAKENFLEX_DEADLINE=7",
    ].join("\n");
    const config = resolveSyncConfig([], fakeSources({}, { ".env": text }));
    assert.deepEqual(config.sites, ["site-from-dotenv"]);
    assert.equal(config.since.text, "2023-01-01T00:00:00Z");
    assert.equal(config.logLevel, "debug");
    assert.equal(config.logFormat, "json");
    assert.equal(config.timeoutMs, 10_000);
    assert.equal(config.deadlineMs, 7000);
    assert.equal(config.apiKey.reveal(), "dot-key-1234");
  });

  await t.step("CRLF line ends", () => {
    const text = "KRAKENFLEX_API_KEY=crlf-key\r\nKRAKENFLEX_LOG_LEVEL=warn\r\n";
    const config = resolveSyncConfig([], fakeSources({}, { ".env": text }));
    assert.equal(config.apiKey.reveal(), "crlf-key");
    assert.equal(config.logLevel, "warn");
  });

  await t.step("--env-file names the file; ./.env is then not read", () => {
    const sources = fakeSources({}, {
      ".env": "KRAKENFLEX_API_KEY=from-dot-env\nKRAKENFLEX_SITE=dot",
      "conf/prod.env": "KRAKENFLEX_API_KEY=from-prod",
    });
    const config = resolveSyncConfig(["--env-file", "conf/prod.env"], sources);
    assert.equal(config.apiKey.reveal(), "from-prod");
    assert.deepEqual(config.sites, [DEFAULT_SITE]);
    assert.deepEqual(sources.read, ["conf/prod.env"]);
  });

  await t.step("--env-file naming a missing file is a usage error", () => {
    const error = usageError(
      () => resolve(["--env-file", "missing.env"]),
      /missing\.env/,
    );
    assert.match(error.message, /no such file/);
  });

  await t.step("./.env that cannot be read is a usage error", () => {
    const sources: ConfigSources = {
      env: (name) => (KEY as Record<string, string>)[name],
      readTextFile: () => {
        throw new Deno.errors.PermissionDenied("permission denied");
      },
    };
    usageError(() => resolveSyncConfig([], sources), /\.env/);
  });
});

Deno.test("resolveSyncConfig: the API key", async (t) => {
  await t.step("from the environment", () => {
    assert.equal(
      resolve([], { KRAKENFLEX_API_KEY: "env-key-1234" }).apiKey.reveal(),
      "env-key-1234",
    );
  });

  await t.step("from .env", () => {
    const config = resolve([], {}, { ".env": "KRAKENFLEX_API_KEY=dot-key-1234\n" });
    assert.equal(config.apiKey.reveal(), "dot-key-1234");
  });

  await t.step("the environment beats .env", () => {
    const config = resolve([], { KRAKENFLEX_API_KEY: "env-key-1234" }, {
      ".env": "KRAKENFLEX_API_KEY=dot-key-1234\n",
    });
    assert.equal(config.apiKey.reveal(), "env-key-1234");
  });

  await t.step("from --api-key-file, its trailing newline trimmed", () => {
    const config = resolve(["--api-key-file", "/run/secrets/key"], {}, {
      "/run/secrets/key": "file-key-1234\n",
    });
    assert.equal(config.apiKey.reveal(), "file-key-1234");
  });

  await t.step("--api-key-file beats KRAKENFLEX_API_KEY", () => {
    const config = resolve(["--api-key-file", "k.txt"], { KRAKENFLEX_API_KEY: "env-key-1234" }, {
      "k.txt": "file-key-1234\r\n",
    });
    assert.equal(config.apiKey.reveal(), "file-key-1234");
  });

  await t.step("from KRAKENFLEX_API_KEY_FILE in the environment and in .env", () => {
    const files = { "/etc/key": "  file-key-1234  \n" };
    assert.equal(
      resolve([], { KRAKENFLEX_API_KEY_FILE: "/etc/key" }, files).apiKey.reveal(),
      "file-key-1234",
    );
    assert.equal(
      resolve([], {}, { ...files, ".env": "KRAKENFLEX_API_KEY_FILE=/etc/key" }).apiKey.reveal(),
      "file-key-1234",
    );
  });

  await t.step("a real environment variable beats .env, key or key file", () => {
    const files = { "/etc/key": "file-key-1234\n" };
    assert.equal(
      resolve([], { KRAKENFLEX_API_KEY_FILE: "/etc/key" }, {
        ...files,
        ".env": "KRAKENFLEX_API_KEY=dot-key-1234",
      }).apiKey.reveal(),
      "file-key-1234",
    );
    assert.equal(
      resolve([], { KRAKENFLEX_API_KEY: "env-key-1234" }, {
        ...files,
        ".env": "KRAKENFLEX_API_KEY_FILE=/etc/key",
      }).apiKey.reveal(),
      "env-key-1234",
    );
  });

  await t.step("a missing key file is a usage error", () => {
    usageError(() => resolve(["--api-key-file", "nope.txt"], {}), /nope\.txt/);
    usageError(() => resolve([], { KRAKENFLEX_API_KEY_FILE: "nope.txt" }), /nope\.txt/);
  });

  await t.step(
    "a key file that cannot be read: its path and the failure in words, nothing more",
    () => {
      const sources: ConfigSources = {
        env: () => undefined,
        readTextFile: (path) => {
          if (path === ".env") return undefined;
          throw new Deno.errors.PermissionDenied(`permission denied: SENTINEL in ${path}`);
        },
      };
      const error = usageError(
        () => resolveSyncConfig(["--api-key-file", "/etc/key"], sources),
        /^Cannot read the API key file "\/etc\/key" \(--api-key-file\): permission denied$/,
      );
      assert.equal(
        error.hint,
        "Check the file's path and permissions: this user must be able to read it.",
      );
    },
  );

  await t.step(
    "a key file refused for permissions (as the real reader says it): no size talk",
    () => {
      const sources: ConfigSources = {
        env: () => undefined,
        readTextFile: (path) => {
          if (path === ".env") return undefined;
          throw new FileRefused(path, "cannot be read: permission denied");
        },
      };
      const error = usageError(() => resolveSyncConfig(["--api-key-file", "/etc/key"], sources));
      assert.match(error.message, /: it cannot be read: permission denied$/);
      assert.doesNotMatch(error.hint ?? "", /regular file|at most/);
      assert.match(error.hint ?? "", /permissions/);
    },
  );

  await t.step("no key is a usage error", () => {
    usageError(() => resolve([], {}), /KRAKENFLEX_API_KEY/);
  });

  await t.step("an empty key is a usage error", () => {
    usageError(() => resolve([], { KRAKENFLEX_API_KEY: "" }), /empty/);
    usageError(() => resolve([], { KRAKENFLEX_API_KEY: "   " }), /empty/);
    usageError(() => resolve([], {}, { ".env": "KRAKENFLEX_API_KEY=" }), /empty/);
    usageError(
      () => resolve(["--api-key-file", "k"], {}, { k: "\n" }),
      /empty/,
    );
  });

  await t.step("a key with a space or a control character: the message never shows it", () => {
    const secretHalf = "SENTINELxyz";
    const keys = [`${secretHalf} ${secretHalf}`, `${secretHalf}\t2`, `${secretHalf}\u0001`];
    for (const key of keys) {
      const fromEnv = usageError(() => resolve([], { KRAKENFLEX_API_KEY: key }));
      const fromFile = usageError(() => resolve(["--api-key-file", "k"], {}, { k: key }));
      const fromDotEnv = usageError(() =>
        resolve([], {}, { ".env": `KRAKENFLEX_API_KEY="${key}"` })
      );
      for (const error of [fromEnv, fromFile, fromDotEnv]) {
        assert.ok(!error.message.includes(secretHalf), error.message);
        assert.ok(!(error.hint ?? "").includes(secretHalf), error.hint);
        assert.ok(!String(error.stack).includes(secretHalf));
      }
    }
  });
});

Deno.test("resolveSyncConfig: the base URL", async (t) => {
  const ok: [string, string][] = [
    ["https://api.example.com", "https://api.example.com/"],
    ["https://api.example.com/", "https://api.example.com/"],
    ["https://api.example.com/prefix/v1", "https://api.example.com/prefix/v1/"],
    ["https://api.example.com/prefix/v1/", "https://api.example.com/prefix/v1/"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080/"],
    [
      "http://localhost:8080/interview-tests-mock-api/v1",
      "http://localhost:8080/interview-tests-mock-api/v1/",
    ],
    ["http://[::1]:9000/", "http://[::1]:9000/"],
    ["HTTP://LOCALHOST:1/", "http://localhost:1/"],
  ];
  for (const [text, href] of ok) {
    await t.step(`accepts ${text}`, () => {
      const url = resolve(["--base-url", text]).baseUrl;
      assert.equal(url.href, href);
      assert.ok(url.pathname.endsWith("/"));
      assert.equal(new URL("outages", url).href, href + "outages");
    });
  }

  const bad: [string, RegExp][] = [
    ["http://api.example.com", /https/],
    ["http://127.0.0.2:8080", /https/],
    ["http://localhost.example.com", /https/],
    ["ftp://api.example.com", /https/],
    ["https://user:pa55word@api.example.com/v1", /credentials/],
    ["https://api.example.com/v1?x=1", /query/],
    ["https://api.example.com/v1#frag", /fragment/],
    ["not a url", /absolute URL/],
    ["/v1", /absolute URL/],
  ];
  for (const [text, pattern] of bad) {
    await t.step(`rejects ${text}`, () => {
      const error = usageError(() => resolve(["--base-url", text]), pattern);
      assert.ok(!error.message.includes("pa55word"), error.message);
    });
  }

  await t.step("the environment's base URL is checked too", () => {
    usageError(
      () => resolve([], { ...KEY, KRAKENFLEX_BASE_URL: "http://api.example.com" }),
      /KRAKENFLEX_BASE_URL/,
    );
  });
});

Deno.test("resolveSyncConfig: sites", async (t) => {
  await t.step("repeated and comma-separated, duplicates collapsed, order kept", () => {
    assert.deepEqual(resolve(["--site", "a,b", "--site", "b,c"]).sites, ["a", "b", "c"]);
    assert.deepEqual(resolve(["--site", " a , b ", "--site=a"]).sites, ["a", "b"]);
  });

  await t.step("KRAKENFLEX_SITE is a comma list", () => {
    assert.deepEqual(resolve([], { ...KEY, KRAKENFLEX_SITE: "x, y,x" }).sites, ["x", "y"]);
  });

  await t.step("case matters", () => {
    assert.deepEqual(resolve(["--site", "A,a"]).sites, ["A", "a"]);
  });

  await t.step("an empty site id is a usage error", () => {
    usageError(() => resolve(["--site", ""]), /empty site id/);
    usageError(() => resolve(["--site", "a,,b"]), /empty site id/);
    usageError(() => resolve(["--site", "a,"]), /empty site id/);
    usageError(() => resolve([], { ...KEY, KRAKENFLEX_SITE: "a, ,b" }), /KRAKENFLEX_SITE/);
  });
});

Deno.test("resolveSyncConfig: bad values are one-line usage errors", async (t) => {
  await t.step("--since without an offset", () => {
    const error = usageError(() => resolve(["--since", "2022-01-01T00:00:00"]), /--since/);
    assert.match(error.message, /"2022-01-01T00:00:00"/);
    usageError(() => resolve(["--since", "2022-01-01"]), /--since/);
    usageError(() => resolve(["--since", "2022-01-01T00:00:00+0100"]), /--since/);
    usageError(
      () => resolve([], { ...KEY, KRAKENFLEX_SINCE: "2022-01-01 00:00:00Z" }),
      /KRAKENFLEX_SINCE/,
    );
  });

  await t.step("--since with an offset is accepted", () => {
    const since = resolve(["--since", "2022-01-01T01:00:00+01:00"]).since;
    assert.equal(since.epochNanoseconds, 1640995200000000000n);
  });

  const numbers: [string[], RegExp][] = [
    [["--timeout", "0"], /--timeout/],
    [["--timeout", "abc"], /--timeout/],
    [["--timeout", "1e3"], /--timeout/],
    [["--timeout", "3601"], /--timeout/],
    [["--timeout=-1"], /--timeout/],
    [["--max-attempts", "1.5"], /--max-attempts/],
    [["--max-attempts", "0"], /--max-attempts/],
    [["--max-attempts", "101"], /--max-attempts/],
    [["--deadline", "0"], /--deadline/],
    [["--deadline", ""], /--deadline/],
    [["--concurrency", "abc"], /--concurrency/],
    [["--concurrency", "0"], /--concurrency/],
    [["--concurrency", "2.0"], /--concurrency/],
  ];
  for (const [args, pattern] of numbers) {
    await t.step(args.join(" "), () => {
      const error = usageError(() => resolve(args), pattern);
      const value = args.length === 2 ? args[1] : args[0].split("=")[1];
      assert.ok(error.message.includes(`"${value}"`), error.message);
    });
  }

  await t.step("bad numbers from the environment name the variable", () => {
    usageError(() => resolve([], { ...KEY, KRAKENFLEX_TIMEOUT: "ten" }), /KRAKENFLEX_TIMEOUT/);
    usageError(
      () => resolve([], KEY, { ".env": "KRAKENFLEX_MAX_ATTEMPTS=many" }),
      /KRAKENFLEX_MAX_ATTEMPTS \(\.env\)/,
    );
  });

  await t.step("--log-level and --log-format", () => {
    usageError(() => resolve(["--log-level", "verbose"]), /--log-level/);
    usageError(() => resolve(["--log-format", "xml"]), /--log-format/);
    usageError(
      () => resolve([], { ...KEY, KRAKENFLEX_LOG_LEVEL: "trace" }),
      /KRAKENFLEX_LOG_LEVEL/,
    );
  });

  await t.step("--quiet with --verbose", () => {
    usageError(() => resolve(["--quiet", "--verbose"]), /--quiet/);
    usageError(() => resolve(["-q", "-v"]), /--verbose/);
  });

  await t.step("a bad --log-level is reported even with --quiet or --verbose", () => {
    usageError(() => resolve(["--quiet", "--log-level", "bogus"]), /--log-level/);
    usageError(() => resolve(["--verbose", "--log-level", "bogus"]), /--log-level/);
  });

  await t.step("an unknown flag gets a hint with the closest one", () => {
    const error = usageError(() => resolve(["--dryrun"]), /--dryrun/);
    assert.ok((error.hint ?? "").includes("--dry-run"), error.hint);
    const other = usageError(() => resolve(["--sit", "x"]), /--sit/);
    assert.ok((other.hint ?? "").includes("--site"), other.hint);
  });

  await t.step("an unknown flag far from every known one gets no wrong guess", () => {
    const error = usageError(() => resolve(["--zzzzzzzzzzzz"]));
    assert.ok(!(error.hint ?? "").includes("Did you mean"), error.hint);
  });

  await t.step("--site without a value", () => {
    const error = usageError(() => resolve(["--site"]), /--site/);
    assert.match(error.message, /needs a value/);
  });

  await t.step("--site followed by another flag instead of a value", () => {
    const error = usageError(() => resolve(["--site", "--dry-run"]), /--site/);
    assert.match(error.message, /needs a value/);
  });

  await t.step("a boolean flag given a value", () => {
    usageError(() => resolve(["--dry-run=yes"]), /--dry-run.*takes no value/);
  });

  await t.step("a positional argument", () => {
    usageError(() => resolve(["norwich-pear-tree"]), /Unexpected argument "norwich-pear-tree"/);
  });

  await t.step("an empty --metrics-file", () => {
    usageError(() => resolve(["--metrics-file", ""]), /--metrics-file/);
  });
});

Deno.test("site ids that are URL dot-segments are refused: they would address another endpoint", () => {
  for (const id of [".", ".."]) {
    assert.throws(
      () =>
        resolveSyncConfig(["--site", `norwich-pear-tree,${id}`], {
          env: (n) => n === "KRAKENFLEX_API_KEY" ? "k" : undefined,
          readTextFile: () => undefined,
        }),
      (error: unknown) =>
        error instanceof UsageError &&
        error.message === `Cannot use "--site": "${id}" is not a site id`,
    );
  }
});

Deno.test("resolveSyncConfig: the mode and the command named in hints", async (t) => {
  await t.step("sync, dry-run, check", () => {
    assert.equal(resolve([]).mode, "sync");
    assert.equal(resolve(["--dry-run"]).mode, "dry-run");
    const check = (args: string[]) =>
      resolveSyncConfig(args, fakeSources(KEY), { command: "check" }).mode;
    assert.equal(check([]), "check");
    assert.equal(resolveSyncConfig([], fakeSources(KEY), { command: "demo" }).mode, "sync");
  });

  await t.step("check refuses the options of sync that mean nothing to it", () => {
    const check = (args: string[]) =>
      resolveSyncConfig(args, fakeSources(KEY), { command: "check" });
    for (const flag of ["--dry-run", "--force", "--post-empty", "--repost-after=1h"]) {
      const error = usageError(() => check([flag]), /means nothing to check: it posts nothing$/);
      assert.match(error.message, new RegExp(`^Option "${flag.replace(/=.*/, "")}"`));
      assert.match(error.hint ?? "", /`outage-sync check --help`/);
    }
  });

  await t.step("check still validates what sync reads from the environment", () => {
    const env = { ...KEY, KRAKENFLEX_REPOST_AFTER: "soon" };
    usageError(
      () => resolveSyncConfig([], fakeSources(env), { command: "check" }),
      /KRAKENFLEX_REPOST_AFTER/,
    );
  });

  await t.step("a usage error's hint names the command's help", () => {
    const error = usageError(() =>
      resolveSyncConfig(["--bogus"], fakeSources(KEY), { command: "check" })
    );
    assert.match(error.hint ?? "", /`outage-sync check --help`/);
  });

  await t.step("a single-value flag given twice is a usage error, even with equal values", () => {
    const error = usageError(
      () => resolve(["--since", "2023-01-01T00:00:00Z", "--since", "2024-01-01T00:00:00Z"]),
      /^Option "--since" is given 2 times: "2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z"$/,
    );
    assert.match(error.hint ?? "", /^Give it once\./);
    usageError(() => resolve(["--timeout=5", "--timeout=5"]), /"--timeout" is given 2 times/);
    usageError(() => resolve(["--env-file", "a", "--env-file", "b"]), /"--env-file"/);
  });
});

Deno.test("resolveSyncConfig: NO_COLOR, any value, from the environment or .env", () => {
  assert.equal(resolve([], { ...KEY, NO_COLOR: "1" }).noColor, true);
  assert.equal(resolve([], { ...KEY, NO_COLOR: "" }).noColor, true);
  assert.equal(resolve([], KEY, { ".env": "NO_COLOR=1" }).noColor, true);
  assert.equal(resolve([], KEY).noColor, false);
});

Deno.test("resolveSyncConfig: a key shorter than 8 characters is refused, without printing it", () => {
  const error = usageError(() => resolve([], { KRAKENFLEX_API_KEY: "abc1234" }));
  assert.equal(
    error.message,
    "The API key from KRAKENFLEX_API_KEY (environment) is 7 characters long; keys shorter than 8 are refused",
  );
  assert.ok(!`${error.message} ${error.hint}`.includes("abc1234"));
  assert.equal(resolve([], { KRAKENFLEX_API_KEY: "abcd1234" }).apiKey.reveal(), "abcd1234");
});

Deno.test("resolveSyncConfig: where the key came from, for hints, never the key", () => {
  const source = (args: string[], env: Record<string, string>, files = {}) =>
    resolve(args, env, files).apiKeySource;
  assert.equal(
    source([], {}, { ".env": "KRAKENFLEX_API_KEY=k-12345678" }),
    "KRAKENFLEX_API_KEY (.env)",
  );
  assert.equal(source(["--api-key-file", "f"], {}, { f: "k-12345678" }), 'the API key file "f"');
  assert.equal(
    source([], { KRAKENFLEX_API_KEY_FILE: "/etc/key" }, { "/etc/key": "k-12345678" }),
    'the API key file "/etc/key"',
  );
});

Deno.test("resolveSyncConfig: --sites-file and KRAKENFLEX_SITES_FILE", async (t) => {
  const file = "# the fleet\nsite-b\n\n  site-c  \nsite-a\n# site-x\nsite-b\r\n";
  await t.step("alone: the file's ids, in order, duplicates collapsed; no default site", () => {
    assert.deepEqual(resolve(["--sites-file", "f"], KEY, { f: file }).sites, [
      "site-b",
      "site-c",
      "site-a",
    ]);
    assert.deepEqual(resolve([], { ...KEY, KRAKENFLEX_SITES_FILE: "f" }, { f: file }).sites, [
      "site-b",
      "site-c",
      "site-a",
    ]);
  });
  await t.step("with --site or KRAKENFLEX_SITE: both, named ones first", () => {
    assert.deepEqual(
      resolve(["--site", "site-a,site-z", "--sites-file", "f"], KEY, { f: file }).sites,
      ["site-a", "site-z", "site-b", "site-c"],
    );
    assert.deepEqual(
      resolve(["--sites-file", "f"], { ...KEY, KRAKENFLEX_SITE: "site-y" }, { f: file }).sites,
      ["site-y", "site-b", "site-c", "site-a"],
    );
  });
  await t.step(
    "a bad id names the file and the line; a missing or refused file names the path",
    () => {
      usageError(
        () => resolve(["--sites-file", "f"], KEY, { f: "ok\n\n..\n" }),
        /Cannot use the sites file "f" line 3: "\.\." is not a site id/,
      );
      usageError(
        () => resolve(["--sites-file", "f"], KEY, { f: "a,,b\n" }),
        /Cannot parse the sites file "f" line 1: empty site id in "a,,b"/,
      );
      usageError(
        () => resolve(["--sites-file", "missing"], KEY),
        /Cannot read the sites file "missing" \("--sites-file"\): no such file/,
      );
    },
  );
});

Deno.test("every field of SyncConfig is read by the sync command: an option parsed but never used fails here", async () => {
  const read = (path: string) => Deno.readTextFile(new URL(path, import.meta.url));
  const source = await read("../src/config/sync_config.ts");
  const block = /^export interface SyncConfig \{\n([\s\S]*?)\n\}/m.exec(source)?.[1] ?? "";
  const fields = [...block.matchAll(/^ {2}readonly (\w+)\??:/gm)].map((match) => match[1]);
  assert.ok(fields.includes("timeoutMs") && fields.includes("warnings"), "the interface was read");
  const command = await read("../src/cli/sync_command.ts");
  // apiKeyFile is read where the configuration is resolved, for its file-mode warning.
  const unread = fields.filter((field) =>
    field !== "apiKeyFile" && !new RegExp(`\\bconfig\\.${field}\\b`).test(command)
  );
  assert.deepEqual(unread, [], "fields of SyncConfig that src/cli/sync_command.ts never reads");
});
