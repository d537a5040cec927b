/**
 * The logger: how the program's messages reach stderr, usage errors in JSON included. The plain
 * text of a usage error (`src/cli/main.ts`), the progress line on a terminal (`progressReporter`),
 * the demo's and the emulator's own lines, and the note that stdout failed (`src/cli/real_io.ts`)
 * are written directly. Text or JSON lines, a level threshold, colour only when asked. Every value is redacted (`redact.ts`) before it is cut, and
 * in text lines escaped (`printable.ts`), so that a server's text can neither show the key nor
 * forge a line.
 * @module
 */

import { cut, escapeControls, escapeJsonText } from "./printable.ts";
import { createRedactor } from "./redact.ts";

/** Log levels, least verbose first. */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
/** A log level. */
export type LogLevel = typeof LOG_LEVELS[number];
/** The log line formats: readable text, or one JSON object per line. */
export const LOG_FORMATS = ["text", "json"] as const;
/** A log line format. */
export type LogFormat = typeof LOG_FORMATS[number];

/** Structured values attached to a log line. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** What the program logs through. */
export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  /** Whether a line at this level would be written. */
  enabled(level: LogLevel): boolean;
}

/** How a logger is built. */
export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Writes one complete line (with its newline), logged at `level`. */
  write(line: string, level: LogLevel): void;
  /** ANSI colour for the level names; the caller decides (TTY and no `NO_COLOR`). */
  color?: boolean;
  /** Values that must never be written, replaced by `[redacted]` in every form they appear. */
  secrets?: readonly string[];
  now?: () => Date;
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const COLOURS: Record<LogLevel, string> = {
  error: "\x1b[31m",
  warn: "\x1b[33m",
  info: "\x1b[36m",
  debug: "\x1b[90m",
};

/** The longest value a text line shows; longer ones are cut, saying how much was left out. */
export const TEXT_VALUE_MAX = 1000;
/** The longest string a JSON line carries. */
export const JSON_VALUE_MAX = 10_000;

function textValue(value: string | number | boolean | null): string {
  const text = String(value);
  const quoted = typeof value === "string" && (text === "" || /[\s"=]/.test(text));
  return escapeControls(quoted ? JSON.stringify(text) : text);
}

/** A logger writing lines at or above `level`. */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = RANK[options.level];
  const redact = createRedactor(options.secrets ?? []);
  const now = options.now ?? (() => new Date());
  const log = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (RANK[level] > threshold) return;
    const time = now().toISOString();
    let line: string;
    if (options.format === "json") {
      const record: Record<string, string | number | boolean | null> = { time, level, msg };
      for (const [key, value] of Object.entries(fields)) {
        if (value === undefined) continue;
        record[key] = typeof value === "string" ? cut(redact(value), JSON_VALUE_MAX) : value;
      }
      line = escapeJsonText(JSON.stringify(record));
    } else {
      const name = level.toUpperCase().padEnd(5);
      const shown = options.color ? `${COLOURS[level]}${name}\x1b[0m` : name;
      const extra = Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => {
          const shownValue = typeof value === "string" ? cut(redact(value), TEXT_VALUE_MAX) : value;
          return ` ${key}=${textValue(shownValue as string | number | boolean | null)}`;
        })
        .join("");
      line = `${time} ${shown} ${escapeControls(msg)}${extra}`;
    }
    options.write(redact(line) + "\n", level);
  };
  return {
    error: (msg, fields) => log("error", msg, fields),
    warn: (msg, fields) => log("warn", msg, fields),
    info: (msg, fields) => log("info", msg, fields),
    debug: (msg, fields) => log("debug", msg, fields),
    enabled: (level) => RANK[level] <= threshold,
  };
}
