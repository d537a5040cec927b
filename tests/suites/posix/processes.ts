/**
 * Suite of the processes and builds tests (the bundle, OpenTelemetry, the Pushgateway, a state
 * write interrupted), which need something POSIX-only: `deno task test:portable` (CI on macOS and
 * Windows) leaves out `tests/suites/posix/`, and the comment above each import says what that file
 * needs (tests/test_suites_test.ts checks there is one). The files share one runtime; the name has
 * no `_test` so that `deno test tests/` does not find it too (docs/testing.md).
 * @module
 */

// runs the bundle through its #!/usr/bin/env -S shebang; file modes
import "../../artifact_test.ts";
// starts the real prometheus-pushgateway (a Debian package, which CI on Linux installs)
import "../../metrics_push_test.ts";
// runs the program as a subprocess with OTEL_DENO=true (bash-free, but the exporter's flush at exit
// is only checked on Linux here)
import "../../otel_test.ts";
// SIGTERM sent to the program between the POST and the state write
import "../../state_process_test.ts";
