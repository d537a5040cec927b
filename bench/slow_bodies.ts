// deno-lint-ignore-file no-console -- a benchmark: it reports on its own terminal.
/**
 * Memory of the emulator (`main.ts mock-api`, a subprocess) while clients hold request bodies
 * unfinished, for the program as it is and, with `--before DIR`, for an older checkout of it
 * (e.g. `git archive` of the commit before the fix, unpacked in DIR):
 *
 * - `stalled`: N clients each send the headers of a 60 MiB POST (with the key) and 60 MiB less one
 *   byte of it, then stop;
 * - `dribble`: N clients each send a body one byte per write (`setNoDelay`, a short sleep between
 *   writes, so that most bytes reach the server as chunks of their own), B bytes each.
 *
 * It reports the emulator's RSS after the clients have sent (and peak RSS, `VmHWM`), how many
 * connections the emulator had closed or answered by then, and, for `stalled`, whether they are
 * all closed within 5 s more (the body idle timeout).
 *
 * `--heap MB` caps the emulator's V8 heap (`--max-old-space-size`), which tells bytes kept per
 * chunk (the heap fills and the emulator dies) from garbage (collected, the RSS stays flat).
 *
 *   deno run -A bench/slow_bodies.ts [--before DIR] [--only stalled,dribble] [--clients N]
 *     [--dribblers N] [--bytes B] [--heap MB]
 * @module
 */

import { parseArgs } from "node:util";
import { MAIN, spawnProcess } from "../tests/cli_process.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    before: { type: "string" },
    clients: { type: "string", default: "10" },
    dribblers: { type: "string", default: "20" },
    bytes: { type: "string", default: "10000" },
    heap: { type: "string" },
    only: { type: "string" },
  },
});
const KEY = "bench-slow-bodies-key";
const MiB = 1024 * 1024;
const encoder = new TextEncoder();

/** `VmRSS` and `VmHWM` of `pid`, in MB. */
async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1]);
  return { rss: kib("VmRSS") / 1000, peak: kib("VmHWM") / 1000 };
}

function head(port: number, length: number): string {
  return `POST /site-outages/norwich-pear-tree HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    `x-api-key: ${KEY}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
}

/** Resolves once `conn` is closed by the server (or answered), with what it read. */
async function watch(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(4096);
  let text = "";
  try {
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
  } catch {
    // A reset is an end too.
  }
  return text === "" ? "closed" : text.slice(0, 12);
}

async function stalled(port: number, clients: number) {
  const chunk = new Uint8Array(MiB).fill(0x20);
  const ends: string[] = [];
  const conns: Deno.Conn[] = [];
  const watching: Promise<void>[] = [];
  await Promise.all(Array.from({ length: clients }, async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conns.push(conn);
    watching.push(watch(conn).then((end) => void ends.push(end)));
    try {
      await conn.write(encoder.encode(head(port, 60 * MiB)));
      for (let i = 0; i < 60; i++) await conn.write(i === 59 ? chunk.subarray(1) : chunk);
    } catch {
      // Closed by the server part way (a 503 when the budget is full).
    }
  }));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return { conns, ends, watching };
}

async function dribble(port: number, clients: number, bytes: number) {
  const one = new Uint8Array([0x20]);
  await Promise.all(Array.from({ length: clients }, async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    await conn.write(encoder.encode(head(port, bytes + 1)));
    for (let i = 0; i < bytes; i++) {
      await conn.write(one);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    conn.close();
  }));
}

async function run(label: string, main: string, scenario: "stalled" | "dribble") {
  await using server = spawnProcess(Deno.execPath(), [
    "run",
    "--frozen",
    "--allow-net=127.0.0.1",
    "--allow-env",
    "--allow-read",
    ...(values.heap === undefined ? [] : [`--v8-flags=--max-old-space-size=${values.heap}`]),
    main,
    "mock-api",
    "--port",
    "0",
    "--api-key",
    KEY,
  ]);
  const port = Number(new URL(await server.firstLine()).port);
  const idle = await memory(server.pid);
  const started = performance.now();
  if (scenario === "stalled") {
    const clients = Number(values.clients);
    const { conns, ends, watching } = await stalled(port, clients);
    const held = await memory(server.pid);
    const endedBefore = ends.length;
    const refused = ends.filter((end) => end.startsWith("HTTP/1.1 503")).length;
    const guard = new Promise((resolve) => setTimeout(resolve, 7000));
    await Promise.race([Promise.all(watching), guard]);
    console.log(
      `| ${label} | stalled: ${clients} × 60 MiB less 1 byte | ${idle.rss.toFixed(0)} | ` +
        `${held.rss.toFixed(0)} | ${held.peak.toFixed(0)} | ${endedBefore} ended while sending ` +
        `(${refused} with 503); ${ends.length} of ${clients} ended 7 s later |`,
    );
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }
    await Promise.all(watching);
  } else {
    const clients = Number(values.dribblers);
    const bytes = Number(values.bytes);
    const sending = dribble(port, clients, bytes);
    let peakRss = 0;
    let done = false;
    sending.finally(() => done = true);
    while (!done) {
      peakRss = Math.max(peakRss, (await memory(server.pid)).rss);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await sending.catch(() => {});
    const after = await memory(server.pid).catch(() => ({ rss: 0, peak: 0 }));
    const exited = await Promise.race([
      server.output().then((result) => `; the emulator exited ${result.code}`),
      new Promise<string>((resolve) => setTimeout(resolve, 100, "")),
    ]);
    console.log(
      `| ${label} | dribble: ${clients} × ${bytes} one-byte writes | ${idle.rss.toFixed(0)} | ` +
        `${peakRss.toFixed(0)} | ${after.peak.toFixed(0)} | sent in ${
          ((performance.now() - started) / 1000).toFixed(1)
        } s${exited} |`,
    );
  }
}

console.log("| program | clients | idle RSS MB | RSS held MB | peak RSS MB | connections |");
console.log("| ------- | ------- | ----------- | ----------- | ----------- | ----------- |");
const scenarios = (values.only?.split(",") ?? ["stalled", "dribble"]) as ("stalled" | "dribble")[];
for (const scenario of scenarios) {
  await run("after", MAIN, scenario);
  if (values.before !== undefined) await run("before", `${values.before}/main.ts`, scenario);
}
