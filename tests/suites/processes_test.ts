/**
 * Test module of the processes tests: the files below register their tests here, so that
 * they share one runtime instead of starting one each (about 0.3 s of CPU per module).
 * @module
 */

import "../artifact_test.ts";
import "../main_test.ts";
import "../state_process_test.ts";
import "../otel_test.ts";
