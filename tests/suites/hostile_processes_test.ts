/**
 * Test module of the hostile processes tests: the files below register their tests here, so that
 * they share one runtime instead of starting one each (about 0.3 s of CPU per module).
 * @module
 */

import "../hostile_files_test.ts";
import "../hostile_output_test.ts";
import "../output_failure_test.ts";
