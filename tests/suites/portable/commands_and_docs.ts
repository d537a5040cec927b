/**
 * Suite of the commands, docs, deployment files and test layout tests, with the emulator served
 * (`mock-api`, its server and its documented examples), run on every platform. The files below
 * register their tests here, so that they share one runtime instead of starting one each (about
 * 0.25 s of CPU per module). The name has no `_test` so that `deno test tests/` does not find it as
 * well (docs/testing.md).
 * @module
 */

import "../../check_imports_test.ts";
import "../../check_scripts_test.ts";
import "../../cli_main_test.ts";
import "../../demo_command_test.ts";
import "../../deploy_test.ts";
import "../../mock_api_command_test.ts";
import "../../mock_docs_test.ts";
import "../../mock_fidelity_test.ts";
import "../../mock_server_test.ts";
import "../../operator_messages_test.ts";
import "../../sync_command_test.ts";
import "../../test_suites_test.ts";
import "../../workflows_test.ts";
