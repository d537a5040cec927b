// deno-lint-ignore-file no-console -- a benchmark: it reports on its own terminal.
/**
 * Peak memory of a sync whose `GET /outages` body comes in a shape that used to balloon the reader
 * (issue 17, item 1), for the program as it is and, with `--before DIR`, for an older checkout of
 * it (e.g. `git archive COMMIT | tar -x -C DIR`). A raw TCP server in this process sends:
 *
 * - `one-byte-480K`: about 480 KB of valid outages as chunked framing, one byte per chunk;
 * - `gzip-bomb-cap100`: 1.4 MB of gzip that inflates to about 1.4 GB, `--max-response-mb 100`;
 * - `gzip-bomb-default`: the same under the default cap (512 MiB);
 * - `gzip-valid-10M`: 10 MB of valid outages, gzipped and chunked, under the default cap.
 *
 * The program runs as a subprocess; its peak RSS is GNU time's `%M` or the last `VmHWM` polled
 * from `/proc/PID/status` (`bench/harness.ts`).
 *
 *   deno run -A bench/body_memory.ts [--before DIR] [--only NAME,...]
 * @module
 */

import { parseArgs } from "node:util";
import { syntheticDataset } from "../src/mock/synthetic.ts";
import { runProgramSync } from "./harness.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { before: { type: "string" }, only: { type: "string" } },
});
const encoder = new TextEncoder();

/** A body as the server sends it: its extra headers and its bytes on the wire. */
interface Body {
  readonly name: string;
  readonly headers: string;
  readonly wire: Uint8Array;
  /** What the body is, in words, for the table. */
  readonly what: string;
  readonly args: readonly string[];
  /** The site-info answer. */
  readonly site: string;
}

/** `bytes` framed as chunks of `size` bytes (`HEX\r\n…\r\n`), then the last chunk. */
function chunked(bytes: Uint8Array, size: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    const chunk = bytes.subarray(i, i + size);
    parts.push(encoder.encode(`${chunk.length.toString(16)}\r\n`), chunk, encoder.encode("\r\n"));
  }
  parts.push(encoder.encode("0\r\n\r\n"));
  return join(parts);
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}

/** Gzip of the chunks `source` yields, collected. */
async function gzip(source: Iterable<Uint8Array<ArrayBuffer>>): Promise<Uint8Array> {
  const compressed = ReadableStream.from(source).pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(compressed).arrayBuffer());
}

/** `[` then `count` MiB of spaces then `]`: valid JSON that inflates from very little gzip. */
function* spaces(count: number): Generator<Uint8Array<ArrayBuffer>> {
  yield encoder.encode("[");
  const mib = new Uint8Array(1 << 20).fill(0x20);
  for (let i = 0; i < count; i++) yield mib;
  yield encoder.encode("]");
}

/** Synthetic outages of about `bytes` bytes of JSON, and the site that keeps some of them. */
function outagesOfSize(bytes: number): { json: Uint8Array<ArrayBuffer>; site: string } {
  const perOutage = 110; // bytes of JSON per synthetic outage, about
  const dataset = syntheticDataset({ outages: Math.round(bytes / perOutage) });
  return { json: encoder.encode(JSON.stringify(dataset.outages)), site: siteJson(dataset) };
}

function siteJson(dataset: ReturnType<typeof syntheticDataset>): string {
  return JSON.stringify(dataset.sites[0]);
}

const only = values.only?.split(",");
const wanted = (name: string) => only === undefined || only.includes(name);
const bodies: Body[] = [];
const small = outagesOfSize(480_000);
const site = small.site;
if (wanted("one-byte-480K")) {
  bodies.push({
    name: "one-byte-480K",
    headers: "transfer-encoding: chunked\r\n",
    wire: chunked(small.json, 1),
    what: `${small.json.length} bytes of outages, one byte per chunk`,
    args: [],
    site,
  });
}
if (wanted("gzip-bomb-cap100") || wanted("gzip-bomb-default")) {
  const bomb = await gzip(spaces(1400));
  const headers = `content-encoding: gzip\r\ncontent-length: ${bomb.length}\r\n`;
  const what = `${bomb.length} bytes of gzip inflating to 1400 MiB`;
  if (wanted("gzip-bomb-cap100")) {
    bodies.push({
      name: "gzip-bomb-cap100",
      headers,
      wire: bomb,
      what,
      args: ["--max-response-mb", "100"],
      site,
    });
  }
  if (wanted("gzip-bomb-default")) {
    bodies.push({ name: "gzip-bomb-default", headers, wire: bomb, what, args: [], site });
  }
}
if (wanted("gzip-valid-10M")) {
  const large = outagesOfSize(10_000_000);
  const compressed = await gzip([large.json]);
  bodies.push({
    name: "gzip-valid-10M",
    headers: "content-encoding: gzip\r\ntransfer-encoding: chunked\r\n",
    wire: chunked(compressed, 16 * 1024),
    what: `${compressed.length} bytes of gzip inflating to ${large.json.length} bytes of outages`,
    args: [],
    site: large.site,
  });
}

/** Reads one request's head (and its `content-length` body), whole. */
async function readRequest(conn: Deno.Conn): Promise<string | undefined> {
  const buffer = new Uint8Array(1 << 20);
  let used = 0;
  for (;;) {
    const n = await conn.read(buffer.subarray(used));
    if (n === null) return undefined;
    used += n;
    const text = new TextDecoder().decode(buffer.subarray(0, used));
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) continue;
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1] ?? 0);
    if (used >= end + 4 + length) return text.split("\r\n")[0];
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}

/** Answers one connection's request: the body for `GET /outages`, the site, or `{}`. */
async function answer(conn: Deno.Conn, body: Body): Promise<void> {
  try {
    const line = await readRequest(conn);
    if (line === undefined) return;
    const outages = /^GET \S*\/outages /.test(line);
    const payload = outages
      ? body.wire
      : encoder.encode(line.startsWith("POST") ? "{}" : body.site);
    const headers = outages ? body.headers : `content-length: ${payload.length}\r\n`;
    await writeAll(
      conn,
      encoder.encode(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${headers}connection: close\r\n\r\n`,
      ),
    );
    await writeAll(conn, payload);
  } catch {
    // The program stopped reading (over the cap): nothing more to send.
  } finally {
    conn.close();
  }
}

const programs: [string, string][] = [["after", "main.ts"]];
if (values.before !== undefined) programs.push(["before", `${values.before}/main.ts`]);

console.log("| body | sent | program | exit | wall s | peak RSS MB | outcome |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const body of bodies) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) answer(conn, body);
  })().catch(() => {});
  const url = `http://127.0.0.1:${listener.addr.port}`;
  for (const [label, main] of programs) {
    const run = await runProgramSync(main, url, [
      "--site",
      JSON.parse(body.site).id,
      "--timeout",
      "300",
      "--deadline",
      "900",
      "--max-attempts",
      "1",
      ...body.args,
    ]);
    let outcome: string;
    try {
      const first = JSON.parse(run.stdout).sites[0];
      const error = first.error ? String(first.error.message ?? first.error) : undefined;
      outcome = error === undefined ? `${first.status}, ${first.kept} kept` : error.slice(0, 110);
    } catch {
      outcome = `no report: ${run.stderr.trim().split("\n").slice(-2).join(" ").slice(0, 110)}`;
    }
    console.log(
      `| ${body.name} | ${body.what} | ${label} | ${run.code} | ${
        (run.wallMs / 1000).toFixed(1)
      } | ${run.peakRssMB.toFixed(0)} | ${outcome} |`,
    );
  }
  listener.close();
  await serving;
}
