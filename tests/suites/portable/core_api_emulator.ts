/**
 * Suite of the in-process tests of the core (pure functions), the API client (the sync against
 * scripted and hostile servers) and the emulator's parts, run on every platform. The files below
 * register their tests here, so that they share one runtime instead of starting one each (about
 * 0.25 s of CPU per module). The name has no `_test` so that `deno test tests/` does not find it as
 * well (docs/testing.md).
 * @module
 */

import "../../bytes_test.ts";
import "../../env_file_test.ts";
import "../../fault_matrix_test.ts";
import "../../filter_test.ts";
import "../../flags_test.ts";
import "../../fleet_test.ts";
import "../../hostile_server_test.ts";
import "../../http_body_test.ts";
import "../../http_client_test.ts";
import "../../http_failure_test.ts";
import "../../json_scan_test.ts";
import "../../logger_test.ts";
import "../../metrics_test.ts";
import "../../mock_dataset_test.ts";
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
import "../../mock_synthetic_test.ts";
import "../../outage_feed_test.ts";
import "../../outage_index_test.ts";
import "../../outcome_test.ts";
import "../../pacer_test.ts";
import "../../printable_test.ts";
import "../../redact_test.ts";
import "../../report_test.ts";
import "../../retry_policy_test.ts";
import "../../secret_test.ts";
import "../../state_test.ts";
import "../../sync_config_test.ts";
import "../../sync_test.ts";
import "../../time_zone_test.ts";
import "../../timestamp_test.ts";
import "../../validate_test.ts";
