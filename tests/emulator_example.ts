import assert from "node:assert/strict";
import { startMockServer } from "../src/mock/server.ts";

// Port 0 (the default): a free port. At the end of the scope `await using` calls server.close(),
// which also ends hanging requests, so the test sanitizers pass.
await using server = await startMockServer({ apiKey: "test-key" });
// The next three GET /outages: a 503, a dropped connection, then the normal answer after 50 ms.
server.api.script("GET /outages", [503, "reset", { kind: "normal", delayMs: 50 }]);

// Your client goes here; plain fetch shows what it sees, request by request. One connection per
// request: on a reused connection reset before any byte, Deno's fetch silently sends it again.
using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
const get = () => fetch(`${server.url}/outages`, { client, headers: { "x-api-key": "test-key" } });
const first = await get();
assert.equal(first.status, 503);
assert.deepEqual(await first.json(), { message: "Scripted status 503." });
await assert.rejects(get(), TypeError); // a TCP reset: no status line, no byte
const third = await get(); // 50 ms later, the real outages
assert.equal(third.status, 200);
assert.equal((await third.json()).length, 108);

assert.deepEqual(server.api.requests().map((entry) => entry.status), [503, null, 200]);
