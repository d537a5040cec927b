/**
 * `deno task test` runs the suites in `tests/suites/`, each importing a group of test files so that
 * they share one runtime: every `tests/*_test.ts` must be in exactly one suite, or it would not run.
 */

import assert from "node:assert/strict";

Deno.test("every test file is imported by exactly one suite of tests/suites/", async () => {
  const tests = new URL("./", import.meta.url);
  const files = [...Deno.readDirSync(tests)]
    .filter((entry) => entry.isFile && entry.name.endsWith("_test.ts"))
    .map((entry) => entry.name)
    .sort();
  const imported: string[] = [];
  for (const entry of Deno.readDirSync(new URL("suites/", tests))) {
    const text = await Deno.readTextFile(new URL(`suites/${entry.name}`, tests));
    imported.push(...[...text.matchAll(/^import "\.\.\/([\w]+_test\.ts)";$/gm)].map((m) => m[1]));
  }
  assert.deepEqual([...imported].sort(), files);
});
