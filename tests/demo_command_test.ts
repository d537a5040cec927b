/** `outage-sync demo`, in process: a real sync over loopback against the emulator it starts. */

import assert from "node:assert/strict";
import { runMain } from "./in_process.ts";

Deno.test("demo: exit 0 and a report naming norwich-pear-tree and 10 outages posted", async () => {
  // The environment's key and base URL are not the demo's: it makes its own.
  const result = await runMain(["demo"], {
    KRAKENFLEX_API_KEY: "not-the-demo-key",
    KRAKENFLEX_BASE_URL: "https://api.example.com",
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /^posted +norwich-pear-tree \(Norwich Pear Tree\): 10 outages posted/m,
  );
  assert.match(
    result.stderr,
    /^demo: emulator of the KrakenFlex API listening on http:\/\/127\.0\.0\.1:\d+ /m,
  );
  assert.match(result.stderr, /the emulator accepted the POST/);
  assert.match(
    result.stderr,
    /^demo: the emulator's request log: .*POST \/site-outages\/norwich-pear-tree → 200/m,
  );
  assert.doesNotMatch(result.stderr, /demo-[0-9a-f-]{36}/, "the throw-away key is never shown");
});

Deno.test("demo --json prints the JSON report; --verbose logs every request", async () => {
  const result = await runMain(["demo", "--json", "--verbose"]);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.ok, true);
  assert.equal(report.sites[0].status, "posted");
  assert.equal(report.sites[0].kept, 10);
  assert.match(result.stderr, /DEBUG request endpoint="GET \/outages"/);
});

Deno.test("demo takes only its own flags", async () => {
  const result = await runMain(["demo", "--since", "2023-01-01T00:00:00Z"]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    'outage-sync: Unknown option "--since"\nRun `outage-sync demo --help` for the options.\n',
  );
});
