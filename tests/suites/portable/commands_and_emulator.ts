/**
 * Suite of the commands, docs and emulator tests, run on every platform. The files below register
 * their tests here, so that they share one runtime instead of starting one each (about 0.25 s of
 * CPU per module). The name has no `_test` so that `deno test tests/` does not find it as well
 * (docs/testing.md).
 * @module
 */

import "../../check_imports_test.ts";
import "../../check_scripts_test.ts";
import "../../cli_main_test.ts";
import "../../demo_command_test.ts";
import "../../deploy_test.ts";
import "../../mock_api_command_test.ts";
import "../../mock_dataset_test.ts";
import "../../mock_docs_test.ts";
import "../../mock_fidelity_test.ts";
import "../../mock_gates_test.ts";
import "../../mock_handler_test.ts";
import "../../mock_noise_test.ts";
import "../../mock_payload_check_test.ts";
import "../../mock_request_body_test.ts";
import "../../mock_request_log_test.ts";
import "../../mock_responses_test.ts";
import "../../mock_routing_test.ts";
import "../../mock_script_file_test.ts";
import "../../mock_scripts_test.ts";
import "../../mock_server_test.ts";
import "../../mock_synthetic_test.ts";
import "../../operator_messages_test.ts";
import "../../sync_command_test.ts";
import "../../test_suites_test.ts";
import "../../workflows_test.ts";
