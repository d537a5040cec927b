/**
 * Suite of the api faults tests, run on every platform: the files below register their tests here, so
 * that they share one runtime instead of starting one each (about 0.3 s of CPU per module). The
 * name has no `_test` so that `deno test tests/` does not find it as well (docs/testing.md).
 * @module
 */

import "../../fault_matrix_test.ts";
import "../../fleet_test.ts";
import "../../hostile_server_test.ts";
import "../../http_client_test.ts";
