/**
 * The options of `sync` and `check`, each declared once: flag, short flag, environment variable,
 * default, parser and help line. Parsing, help, defaults and precedence are all derived from this
 * table (`flags.ts`, `settings.ts`, `sync_config.ts`).
 * @module
 */

import { LOG_FORMATS, LOG_LEVELS } from "../logger.ts";
import { parsePushInstance, parsePushUrl } from "../metrics_push.ts";
import { KEY_FILE_VARIABLE, KEY_VARIABLE } from "./api_key.ts";
import { booleanOption, choiceParser, listOption, numberParser, valueOption } from "./flags.ts";
import {
  parseBaseUrl,
  parseDuration,
  parsePath,
  parseSinceSetting,
  parseSiteList,
} from "./values.ts";

const text = (value: string) => value;

/** The options of `sync` and `check`, in the order help lists them. */
export const SYNC_OPTIONS = {
  site: listOption({
    flag: "site",
    env: "KRAKENFLEX_SITE",
    valueName: "ID",
    default: "norwich-pear-tree",
    help: "site to sync; repeatable or comma-separated",
    parse: parseSiteList,
  }),
  sitesFile: valueOption({
    type: "string",
    flag: "sites-file",
    env: "KRAKENFLEX_SITES_FILE",
    valueName: "PATH",
    default: undefined,
    help: "more sites: one id per line (# comments); with --site, both",
    parse: parsePath,
  }),
  since: valueOption({
    type: "string",
    flag: "since",
    env: "KRAKENFLEX_SINCE",
    valueName: "RFC3339",
    default: "2022-01-01T00:00:00.000Z",
    help: "cut-off with an offset: outages that began earlier are dropped",
    parse: parseSinceSetting,
  }),
  baseUrl: valueOption({
    type: "string",
    flag: "base-url",
    env: "KRAKENFLEX_BASE_URL",
    valueName: "URL",
    default: "https://api.krakenflex.systems/interview-tests-mock-api/v1",
    help: "API base URL: https, or http on loopback",
    parse: parseBaseUrl,
  }),
  apiKey: valueOption({
    type: "string",
    env: KEY_VARIABLE,
    valueName: "KEY",
    default: undefined,
    help: "the API key (never on the command line)",
    notAFlag: "The key is never taken on the command line, where other users can read it: set " +
      `${KEY_VARIABLE} in the environment or in .env, or put it in a file named by --api-key-file.`,
    parse: text,
  }),
  apiKeyFile: valueOption({
    type: "string",
    flag: "api-key-file",
    env: KEY_FILE_VARIABLE,
    valueName: "PATH",
    default: undefined,
    help: "read the API key from this file",
    parse: parsePath,
  }),
  envFile: valueOption({
    type: "string",
    flag: "env-file",
    valueName: "PATH",
    default: undefined,
    help: "read variables from this file (default: ./.env when it exists)",
    parse: parsePath,
  }),
  dryRun: booleanOption({ flag: "dry-run", help: "compute and report, POST nothing" }),
  json: booleanOption({ flag: "json", help: "print the report as one JSON document on stdout" }),
  skipInvalid: booleanOption({
    flag: "skip-invalid",
    help: "skip invalid outage records (each is warned about) instead of failing",
  }),
  postEmpty: booleanOption({
    flag: "post-empty",
    help: "POST an empty list too (by default an empty payload is not posted)",
  }),
  timeout: valueOption({
    type: "string",
    flag: "timeout",
    env: "KRAKENFLEX_TIMEOUT",
    valueName: "SECONDS",
    default: "10",
    help: "per-attempt timeout, headers and body",
    parse: numberParser({ integer: false, min: 0.001, max: 3600 }),
  }),
  maxAttempts: valueOption({
    type: "string",
    flag: "max-attempts",
    env: "KRAKENFLEX_MAX_ATTEMPTS",
    valueName: "N",
    default: "5",
    help: "attempts per request, retries included",
    parse: numberParser({ integer: true, min: 1, max: 100 }),
  }),
  deadline: valueOption({
    type: "string",
    flag: "deadline",
    env: "KRAKENFLEX_DEADLINE",
    valueName: "SECONDS",
    default: "120",
    help: "bound on the whole run",
    parse: numberParser({ integer: false, min: 0.001, max: 86400 }),
  }),
  concurrency: valueOption({
    type: "string",
    flag: "concurrency",
    valueName: "N",
    default: "4",
    help: "sites in flight at once",
    parse: numberParser({ integer: true, min: 1, max: 256 }),
  }),
  maxResponseMb: valueOption({
    type: "string",
    flag: "max-response-mb",
    env: "KRAKENFLEX_MAX_RESPONSE_MB",
    valueName: "MIB",
    default: "512",
    help: "refuse response bodies larger than this many MiB (1 MiB = 1,048,576 bytes)",
    parse: numberParser({ integer: false, min: 0.001, max: 4096 }),
  }),
  metricsFile: valueOption({
    type: "string",
    flag: "metrics-file",
    env: "KRAKENFLEX_METRICS_FILE",
    valueName: "PATH",
    default: undefined,
    help: "write Prometheus text-format metrics there",
    parse: parsePath,
  }),
  metricsPushUrl: valueOption({
    type: "string",
    flag: "metrics-push-url",
    env: "KRAKENFLEX_METRICS_PUSH_URL",
    valueName: "URL",
    default: undefined,
    help: "push the same metrics to this Prometheus Pushgateway (the key is never sent there)",
    parse: parsePushUrl,
  }),
  metricsPushInstance: valueOption({
    type: "string",
    flag: "metrics-push-instance",
    env: "KRAKENFLEX_METRICS_PUSH_INSTANCE",
    valueName: "NAME",
    default: undefined,
    help: "with --metrics-push-url, group the pushed metrics under instance=NAME",
    parse: parsePushInstance,
  }),
  logFormat: valueOption({
    type: "string",
    flag: "log-format",
    env: "KRAKENFLEX_LOG_FORMAT",
    valueName: "FORMAT",
    default: "text",
    help: "log line format on stderr: text or json",
    parse: choiceParser(LOG_FORMATS),
  }),
  logLevel: valueOption({
    type: "string",
    flag: "log-level",
    env: "KRAKENFLEX_LOG_LEVEL",
    valueName: "LEVEL",
    default: "info",
    help: `log level: ${LOG_LEVELS.join(", ")}`,
    parse: choiceParser(LOG_LEVELS),
  }),
  quiet: booleanOption({ flag: "quiet", short: "q", help: "same as --log-level error" }),
  verbose: booleanOption({ flag: "verbose", short: "v", help: "same as --log-level debug" }),
  noColor: valueOption({
    type: "string",
    env: "NO_COLOR",
    valueName: "ANY",
    default: undefined,
    help: "any value: no colour in logs (colour is only used on a terminal)",
    parse: text,
  }),
  stateDir: valueOption({
    type: "string",
    flag: "state-dir",
    env: "KRAKENFLEX_STATE_DIR",
    valueName: "DIR",
    default: undefined,
    help: "remember what each site last accepted there: post only what changed " +
      "(default under systemd: $STATE_DIRECTORY)",
    parse: parsePath,
  }),
  repostAfter: valueOption({
    type: "string",
    flag: "repost-after",
    env: "KRAKENFLEX_REPOST_AFTER",
    valueName: "DURATION",
    default: "24h",
    help: "with a state directory, post an unchanged payload again once this old (0: always)",
    parse: parseDuration,
  }),
  force: booleanOption({
    flag: "force",
    help: "with a state directory, post even a payload the API already accepted",
  }),
  help: booleanOption({ flag: "help", short: "h", help: "show this help" }),
};

/** The options of `sync` that mean nothing to `check`, which posts nothing: usage errors there. */
export const SYNC_ONLY_OPTIONS = ["dryRun", "postEmpty", "repostAfter", "force"] as const;

/**
 * The options of `check`: those of `sync` but {@link SYNC_ONLY_OPTIONS}. Their environment
 * variables are still read and validated (a value `sync` would refuse fails `check` too).
 */
export const CHECK_OPTIONS: Omit<typeof SYNC_OPTIONS, typeof SYNC_ONLY_OPTIONS[number]> = (() => {
  const { dryRun: _d, postEmpty: _p, repostAfter: _r, force: _f, ...rest } = SYNC_OPTIONS;
  return rest;
})();
