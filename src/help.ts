/**
 * The `--help` texts.
 * @module
 */

/** The main help: commands, every option with its environment variable, and the exit codes. */
export const MAIN_HELP =
  `outage-sync — keep per-site outage records in step with the KrakenFlex outage API

Usage:
  outage-sync [sync] [options]   sync outages to one or more sites (the default command)
  outage-sync check [options]    check configuration and reach the API without posting
  outage-sync mock-api [options] serve a local emulator of the API (see: outage-sync mock-api --help)
  outage-sync demo               run a sync against an in-process emulator and print the report
  outage-sync --help | --version

For each site: GET /outages (once per run) and GET /site-info/{site}; keep the outages of the
site's devices that began at or after the cut-off, name each after its device, and POST the list
to /site-outages/{site}. Nothing is posted for a site unless everything it depends on arrived and
validated.

Options of sync and check (flag > environment > .env > default):
  --site ID               site to sync; repeatable or comma-separated        KRAKENFLEX_SITE
                          (default: norwich-pear-tree)
  --since RFC3339         cut-off with offset; outages that began earlier     KRAKENFLEX_SINCE
                          are dropped (default: 2022-01-01T00:00:00.000Z)
  --base-url URL          API base URL; https, or http on loopback            KRAKENFLEX_BASE_URL
                          (default: https://api.krakenflex.systems/interview-tests-mock-api/v1)
                          the API key: never on the command line              KRAKENFLEX_API_KEY
  --api-key-file PATH     read the API key from this file                     KRAKENFLEX_API_KEY_FILE
  --env-file PATH         read variables from this file (default: ./.env when it exists)
  --dry-run               compute and report, POST nothing
  --json                  print the report as one JSON document on stdout
  --skip-invalid          skip invalid outage records (each is warned about) instead of failing
  --post-empty            POST an empty list too (default: an empty payload is not posted)
  --timeout SECONDS       per-attempt timeout, headers and body (default: 10) KRAKENFLEX_TIMEOUT
  --max-attempts N        attempts per request, retries included (default: 5) KRAKENFLEX_MAX_ATTEMPTS
  --deadline SECONDS      bound on the whole run (default: 120)               KRAKENFLEX_DEADLINE
  --concurrency N         sites in flight at once (default: 4)
  --max-response-mb MB    refuse larger response bodies (default: 512)        KRAKENFLEX_MAX_RESPONSE_MB
  --metrics-file PATH     write Prometheus text-format metrics there          KRAKENFLEX_METRICS_FILE
  --log-format text|json  log line format on stderr (default: text)           KRAKENFLEX_LOG_FORMAT
  --log-level LEVEL       error, warn, info or debug (default: info)          KRAKENFLEX_LOG_LEVEL
  -q, --quiet             same as --log-level error
  -v, --verbose           same as --log-level debug
  -h, --help              show this help
  NO_COLOR                set to any value: no colour in logs (colour is only used on a terminal)

Output: the report on stdout (a line per site, or --json); logs on stderr.

Exit codes:
  0    every site posted, skipped-empty (nothing to post) or dry-run
  1    every site failed, or the run failed before any site could be handled
  2    usage or configuration error (nothing was requested)
  3    some sites failed, others succeeded
  130  interrupted by SIGINT (Ctrl-C); 143 by SIGTERM: the report so far is printed
`;
