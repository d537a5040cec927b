/**
 * Suite of the files, outputs and signals tests, and the docs' shell blocks, which need something
 * POSIX-only: `deno task test:portable` (CI on macOS and Windows) leaves out `tests/suites/posix/`,
 * and the comment above each import says what that file needs (tests/test_suites_test.ts checks
 * there is one). The files share one runtime; the name has no `_test` so that `deno test tests/`
 * does not find it too (docs/testing.md).
 * @module
 */

// FIFOs (mkfifo) and symbolic links
import "../../atomic_file_test.ts";
// scripts/build.ts names its outputs by URL pathnames (POSIX paths)
import "../../build_script_test.ts";
// runs the docs' `sh test` blocks with bash
import "../../docs_test.ts";
// FIFOs, /dev/zero, /dev/urandom, /proc, bash
import "../../hostile_files_test.ts";
// starts main.ts by the POSIX path of tests/cli_process.ts
import "../../hostile_output_test.ts";
// SIGINT and SIGTERM sent to the program (exit 130/143)
import "../../main_test.ts";
// /dev/full, through bash
import "../../output_failure_test.ts";
// file modes (a state file is 0600)
import "../../state_dir_test.ts";
