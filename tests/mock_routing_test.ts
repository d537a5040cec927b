/**
 * What a request names before anything else: the `Host` the emulator answers (loopback and its
 * port), root paths under `strictPaths`, and the one-time warning about root paths.
 */

import assert from "node:assert/strict";
import { hostProblem, resolveTarget } from "../src/mock/routing.ts";
import { API_PREFIX } from "../src/mock/handler.ts";
import {
  api,
  assertMessage,
  get,
  KEY,
  lastEntry,
  MESSAGE_403,
  MESSAGE_404,
  ORIGIN,
} from "./mock_helpers.ts";

Deno.test("mock routing: hostProblem", async (t) => {
  await t.step("loopback names with any port, or none, are answered", () => {
    for (const name of ["127.0.0.1", "localhost", "LocalHost", "[::1]"]) {
      for (const port of ["", ":80", ":8080", ":3000", ":65535"]) {
        assert.equal(hostProblem(name + port), undefined, name + port);
      }
    }
  });

  await t.step("other names and no Host are not, whatever the port", () => {
    const refused = [
      "evil.example:8080",
      "evil.example",
      "localhost.:8080",
      "127.0.0.2:8080",
      "::1",
      "127.0.0.1:8080.evil.example",
      "user@127.0.0.1:8080",
      "127.0.0.1:123456",
      "",
      null,
    ];
    for (const host of refused) {
      const problem = hostProblem(host);
      assert.ok(
        problem?.startsWith(
          "Misdirected request: this emulator answers only Host 127.0.0.1, localhost or [::1], " +
            "with any port (got ",
        ),
        String(host),
      );
    }
    assert.match(hostProblem(null) ?? "", /\(got none\)/);
    assert.match(hostProblem("x".repeat(500)) ?? "", /\(got "x{100}"\)/);
  });

  await t.step("resolveTarget says whether the path was at the root", () => {
    assert.deepEqual(resolveTarget("GET", "/outages"), {
      route: "GET /outages",
      siteId: undefined,
      atRoot: true,
    });
    assert.deepEqual(resolveTarget("GET", `${API_PREFIX}/site-info/a%20b`), {
      route: "GET /site-info",
      siteId: "a b",
      atRoot: false,
    });
    assert.deepEqual(resolveTarget("GET", "/site-outages/x"), { allow: "POST", atRoot: true });
    assert.deepEqual(resolveTarget("GET", "/nothing"), { atRoot: true });
  });
});

function withHost(path: string, host: string, key: string | null = KEY): Request {
  const headers = new Headers({ host });
  if (key !== null) headers.set("x-api-key", key);
  return new Request(ORIGIN + path, { headers });
}

Deno.test("mock routing: the Host check in the handler", async (t) => {
  await t.step("an API request for another Host: 421 with a message, logged", async () => {
    const mock = api();
    const response = await mock.handle(withHost("/outages", "rebound.example:9"));
    assert.equal(response.status, 421);
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.match(
      (await response.json()).message,
      /^Misdirected request: .*\(got "rebound\.example:9"\)/,
    );
    assert.equal(lastEntry(mock).status, 421);
    assert.equal((await mock.handle(withHost("/outages", "localhost:9"))).status, 200);
  });

  await t.step("/__mock/* for another Host: 421, and nothing of the log", async () => {
    const mock = api();
    await (await mock.handle(get("/outages"))).body?.cancel();
    for (const path of ["/__mock/requests", "/__mock/reset"]) {
      const response = await mock.handle(withHost(path, "rebound.example:9", null));
      assert.equal(response.status, 421);
      assert.ok(!(await response.text()).includes("/outages"));
    }
    assert.equal(mock.requests().length, 1, "not reset either");
  });

  await t.step("anyHost answers API paths for any Host, never /__mock/*", async () => {
    const mock = api({ anyHost: true });
    const served = await mock.handle(withHost("/outages", "rebound.example:9"));
    assert.equal(served.status, 200);
    await served.body?.cancel();
    const control = await mock.handle(withHost("/__mock/requests", "rebound.example:9", null));
    assert.equal(control.status, 421);
    await control.body?.cancel();
  });
});

Deno.test("mock routing: root paths", async (t) => {
  await t.step(
    "strictPaths: a root path is an unknown path (403 without the key, else 404)",
    async () => {
      const mock = api({ strictPaths: true });
      await assertMessage(await mock.handle(get("/outages", {}, null)), 403, MESSAGE_403);
      await assertMessage(await mock.handle(get("/outages")), 404, MESSAGE_404);
      assert.equal(
        lastEntry(mock).note,
        `root paths are not served (strict paths): use ${API_PREFIX}`,
      );
      await assertMessage(await mock.handle(get("/site-info/norwich-pear-tree")), 404, MESSAGE_404);
      const prefixed = await mock.handle(get(`${API_PREFIX}/outages`));
      assert.equal(prefixed.status, 200);
      await prefixed.body?.cancel();
    },
  );

  await t.step("without it, the first root path served is reported once", async () => {
    const warnings: string[] = [];
    const mock = api({ warn: (message) => warnings.push(message) });
    for (const path of [`${API_PREFIX}/outages`, "/favicon.ico", "/site-info/x", "/outages"]) {
      await (await mock.handle(get(path))).body?.cancel();
    }
    assert.deepEqual(warnings, [
      '"GET /site-info/x" was served at the root: the real API serves only under ' +
      `${API_PREFIX} (--strict-paths refuses root paths). Said once.`,
    ]);
  });
});
