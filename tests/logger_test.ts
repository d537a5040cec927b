/** The logger — text and JSON lines, levels, colour, redaction — and the key's holder. */

import assert from "node:assert/strict";
import {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type Logger,
  type LogLevel,
} from "../src/logger.ts";
import { Secret } from "../src/secret.ts";

const NOW = new Date("2024-05-06T07:08:09.010Z");
const ESC = "\x1b";

function capture(
  options: { level?: LogLevel; format?: LogFormat; color?: boolean; secrets?: string[] } = {},
): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    level: options.level ?? "debug",
    format: options.format ?? "text",
    color: options.color,
    secrets: options.secrets,
    write: (line) => lines.push(line),
    now: () => NOW,
  });
  return { logger, lines };
}

Deno.test("logger: text lines", async (t) => {
  await t.step("time, level, message and fields on one line", () => {
    const { logger, lines } = capture();
    logger.info("Fetched outages", { count: 108, site: "norwich-pear-tree", ok: true, none: null });
    assert.deepEqual(lines, [
      "2024-05-06T07:08:09.010Z INFO  Fetched outages count=108 site=norwich-pear-tree ok=true none=null\n",
    ]);
  });

  await t.step("string fields with spaces, quotes, = or nothing are quoted", () => {
    const { logger, lines } = capture();
    logger.warn("m", { a: "two words", b: 'say "hi"', c: "k=v", d: "", u: undefined });
    assert.equal(
      lines[0],
      `2024-05-06T07:08:09.010Z WARN  m a="two words" b="say \\"hi\\"" c="k=v" d=""\n`,
    );
  });

  await t.step("each level's name", () => {
    const { logger, lines } = capture();
    logger.error("e");
    logger.warn("w");
    logger.info("i");
    logger.debug("d");
    assert.deepEqual(lines.map((line) => line.split(" ")[1]), ["ERROR", "WARN", "INFO", "DEBUG"]);
    for (const line of lines) {
      assert.ok(line.endsWith("\n"));
      assert.equal(line.indexOf("\n"), line.length - 1);
      assert.ok(!line.includes(ESC));
    }
  });
});

Deno.test("logger: JSON lines", () => {
  const { logger, lines } = capture({ format: "json" });
  logger.info("Posted outages", { site: "s", kept: 3, dry: false, none: null });
  logger.error('A "quoted"\nmessage');
  assert.equal(lines.length, 2);
  for (const line of lines) {
    assert.ok(line.endsWith("\n"));
    assert.equal(line.indexOf("\n"), line.length - 1);
  }
  assert.deepEqual(JSON.parse(lines[0]), {
    time: "2024-05-06T07:08:09.010Z",
    level: "info",
    msg: "Posted outages",
    site: "s",
    kept: 3,
    dry: false,
    none: null,
  });
  assert.deepEqual(Object.keys(JSON.parse(lines[0])).slice(0, 3), ["time", "level", "msg"]);
  assert.deepEqual(JSON.parse(lines[1]), {
    time: "2024-05-06T07:08:09.010Z",
    level: "error",
    msg: 'A "quoted"\nmessage',
  });
});

Deno.test("logger: level threshold", async (t) => {
  const levels: LogLevel[] = ["error", "warn", "info", "debug"];
  for (const [rank, level] of levels.entries()) {
    await t.step(level, () => {
      for (const format of ["text", "json"] as const) {
        const { logger, lines } = capture({ level, format });
        logger.error("e");
        logger.warn("w");
        logger.info("i");
        logger.debug("d");
        assert.equal(lines.length, rank + 1);
        for (const [i, other] of levels.entries()) assert.equal(logger.enabled(other), i <= rank);
      }
    });
  }

  await t.step("the levels and formats, least verbose first", () => {
    assert.deepEqual(LOG_LEVELS, levels);
    assert.deepEqual(LOG_FORMATS, ["text", "json"]);
  });
});

Deno.test("logger: colour only when asked", () => {
  const plain = capture({ color: false });
  const coloured = capture({ color: true });
  for (const { logger } of [plain, coloured]) {
    logger.error("e");
    logger.warn("w");
    logger.info("i");
    logger.debug("d");
  }
  for (const line of plain.lines) assert.ok(!line.includes(ESC), JSON.stringify(line));
  assert.deepEqual(
    coloured.lines.map((line) => line.slice(NOW.toISOString().length + 1, -1)),
    [
      `${ESC}[31mERROR${ESC}[0m e`,
      `${ESC}[33mWARN ${ESC}[0m w`,
      `${ESC}[36mINFO ${ESC}[0m i`,
      `${ESC}[90mDEBUG${ESC}[0m d`,
    ],
  );
  const json = capture({ format: "json", color: true });
  json.logger.error("e");
  assert.ok(!json.lines[0].includes(ESC));
});

Deno.test("logger: secrets are redacted on every line", async (t) => {
  // The sentinel has characters that JSON escapes, so both forms must be caught.
  const secret = 'K3Y-s"ent\\inel';
  const escaped = JSON.stringify(secret).slice(1, -1); // K3Y-s\"ent\\inel
  const marker = "K3Y-s";

  for (const format of ["text", "json"] as const) {
    await t.step(`${format}: in the message and in fields`, () => {
      const { logger, lines } = capture({ format, secrets: [secret] });
      logger.error(`key is ${secret}!`);
      logger.warn("field", { key: secret, other: `x ${secret} y` });
      logger.debug("twice", { a: secret + secret });
      assert.equal(lines.length, 3);
      for (const line of lines) {
        assert.ok(!line.includes(marker), `leak in ${format}: ${line}`);
        assert.ok(line.includes("[redacted]"), line);
      }
      if (format === "json") {
        for (const line of lines) JSON.parse(line);
        assert.equal(JSON.parse(lines[0]).msg, "key is [redacted]!");
        assert.equal(JSON.parse(lines[1]).key, "[redacted]");
      } else {
        assert.ok(lines[0].endsWith(" key is [redacted]!\n"), lines[0]);
      }
    });
  }

  await t.step("text: the JSON-escaped form in a message (e.g. from a JSON body)", () => {
    const { logger, lines } = capture({ format: "text", secrets: [secret] });
    logger.info(`body {"key":"${escaped}"}`);
    assert.ok(!lines[0].includes(marker), lines[0]);
    assert.ok(lines[0].endsWith(' body {"key":"[redacted]"}\n'), lines[0]);
  });

  await t.step("a plain sentinel in both formats", () => {
    for (const format of ["text", "json"] as const) {
      const { logger, lines } = capture({ format, secrets: ["plain-SENTINEL-42"] });
      logger.info("plain-SENTINEL-42", { k: "plain-SENTINEL-42", n: 1 });
      assert.ok(!lines[0].includes("SENTINEL"), lines[0]);
      assert.equal(lines[0].split("[redacted]").length, 3);
    }
  });

  await t.step(
    "a Secret's value passed in a field is redacted; the Secret itself prints as redacted",
    () => {
      const key = new Secret("abcDEF123");
      const { logger, lines } = capture({ format: "json", secrets: [key.reveal()] });
      logger.info(`header ${key}`, { revealed: key.reveal(), shown: String(key) });
      assert.ok(!lines[0].includes("abcDEF123"));
      assert.equal(JSON.parse(lines[0]).revealed, "[redacted]");
    },
  );
});
