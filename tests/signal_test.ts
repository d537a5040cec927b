import assert from "node:assert/strict";
import { startMockServer } from "../src/mock/server.ts";
import { baseEnv, MAIN, NARROW } from "./cli_process.ts";

const KEY = "SENTINEL-signal-key-31";

for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
  Deno.test(`${signal} during a hanging request: exit ${code} within a second, report printed, no POST`, async () => {
    const server = await startMockServer({ apiKey: KEY, port: 0 });
    const cwd = await Deno.makeTempDir();
    try {
      server.api.script("GET /outages", ["hang"]);
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-lock",
          ...NARROW,
          MAIN,
          "sync",
          "--base-url",
          server.url,
          "--timeout",
          "30",
        ],
        cwd,
        clearEnv: true,
        env: { ...baseEnv(), KRAKENFLEX_API_KEY: KEY },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // Wait until the hanging GET /outages has arrived, then signal.
      for (
        let i = 0;
        i < 200 && !server.api.requests().some((r) => r.path.endsWith("/outages"));
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.ok(
        server.api.requests().some((r) => r.path.endsWith("/outages")),
        "the request never arrived",
      );
      const sent = performance.now();
      child.kill(signal);
      const output = await child.output();
      const elapsed = performance.now() - sent;
      const stdout = new TextDecoder().decode(output.stdout);
      assert.equal(output.code, code, new TextDecoder().decode(output.stderr));
      assert.ok(elapsed < 1000, `took ${elapsed} ms`);
      assert.match(stdout, /^failed +norwich-pear-tree.*interrupted/m);
      assert.match(stdout, /^FAILED: 1 site/m);
      assert.equal(server.api.requests().filter((r) => r.method === "POST").length, 0);
    } finally {
      await server.close();
      await Deno.remove(cwd, { recursive: true });
    }
  });
}
