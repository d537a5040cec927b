import assert from "node:assert/strict";
import { startMockServer } from "../src/mock/server.ts";

// Port 0 (the default): a free port. At the end of the scope `await using` calls server.close(),
// which also ends hanging requests, so the test sanitizers pass.
await using server = await startMockServer({ apiKey: "test-key" });
// The next three GET /outages: a 503, a dropped connection, then the normal answer after 50 ms.
server.api.script("GET /outages", [503, "reset", { kind: "normal", delayMs: 50 }]);

// Your client goes here; plain fetch shows what it sees, request by request.
const get = () => fetch(`${server.url}/outages`, { headers: { "x-api-key": "test-key" } });
const first = await get();
assert.equal(first.status, 503);
assert.deepEqual(await first.json(), { message: "Scripted status 503." });
const second = await get(); // the status line arrives, then the body fails
await assert.rejects(second.text(), TypeError);
const third = await get(); // 50 ms later, the real outages
assert.equal(third.status, 200);
assert.equal((await third.json()).length, 108);

assert.deepEqual(server.api.requests().map((entry) => entry.status), [503, null, 200]);
