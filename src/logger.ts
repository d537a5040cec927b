/**
 * The logger: the only writer of stderr besides usage messages. Text or JSON lines, a level
 * threshold, colour only when asked, and redaction of secrets on every line it writes.
 * @module
 */

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
  /** Writes one complete line (with its newline). */
  write(line: string): void;
  /** ANSI colour for the level names; the caller decides (TTY and no `NO_COLOR`). */
  color?: boolean;
  /** Values that must never be written, replaced by `[redacted]` wherever they appear. */
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

/**
 * Replaces every occurrence of each secret in `text`: raw, and JSON-escaped once or twice (a
 * message that quotes a JSON document, written as a JSON line). Longest secrets first, so that
 * one secret inside another cannot leave the rest of the longer one behind.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret === "") continue;
    const once = JSON.stringify(secret).slice(1, -1);
    const twice = JSON.stringify(once).slice(1, -1);
    for (const form of new Set([twice, once, secret])) out = out.replaceAll(form, "[redacted]");
  }
  return out;
}

function textValue(value: string | number | boolean | null): string {
  const text = String(value);
  return typeof value === "string" && (text === "" || /[\s"=]/.test(text))
    ? JSON.stringify(text)
    : text;
}

/** A logger writing lines at or above `level`. */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = RANK[options.level];
  const secrets = options.secrets ?? [];
  const now = options.now ?? (() => new Date());
  const log = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (RANK[level] > threshold) return;
    const time = now().toISOString();
    let line: string;
    if (options.format === "json") {
      line = JSON.stringify({ time, level, msg, ...fields });
    } else {
      const name = level.toUpperCase().padEnd(5);
      const shown = options.color ? `${COLOURS[level]}${name}\x1b[0m` : name;
      const extra = Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => ` ${key}=${textValue(value as string | number | boolean | null)}`)
        .join("");
      line = `${time} ${shown} ${msg}${extra}`;
    }
    options.write(redact(line, secrets) + "\n");
  };
  return {
    error: (msg, fields) => log("error", msg, fields),
    warn: (msg, fields) => log("warn", msg, fields),
    info: (msg, fields) => log("info", msg, fields),
    debug: (msg, fields) => log("debug", msg, fields),
    enabled: (level) => RANK[level] <= threshold,
  };
}
