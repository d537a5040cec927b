/**
 * A raw HTTP/1.1 server on a TCP socket, for tests where the framing itself is the point: what a
 * client puts on the wire (how many times a request really went out, on which connection) and
 * answers no `Deno.serve` handler can give (a connection closed after reading a request, or in
 * the middle of the status line). Binds 127.0.0.1 port 0. Disposable:
 * `await using server = startRawServer(...)` closes the listener and every connection.
 * @module
 */

const encoder = new TextEncoder();

/** A request as the raw server read it off the wire, whole. */
export interface RawRequest {
  method: string;
  path: string;
  /** The request line's target as sent: `/v1/outages` (origin form) or `http://…` (absolute). */
  target: string;
  body: string;
  /** The connection it came on, numbered from 1 in the order they were accepted. */
  connection: number;
}

/** What the raw server does with a request. */
export type RawAction =
  | { kind: "answer"; status: number; body: Uint8Array }
  /** Writes `partial` (if any), then closes the connection without a complete answer. */
  | { kind: "close"; partial?: string }
  /** Writes `bytes` (a whole answer, framed by the test: chunked, gzip…), then closes. */
  | { kind: "raw"; bytes: Uint8Array };

/** A running raw server. */
export interface RawServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Every request read, in order. */
  readonly requests: RawRequest[];
  /** How many requests with `method` had a path starting with `prefix`. */
  count(method: string, prefix: string): number;
}

function headEnd(buffer: Uint8Array): number {
  for (let i = 0; i + 3 < buffer.length; i++) {
    if (
      buffer[i] === 13 && buffer[i + 1] === 10 && buffer[i + 2] === 13 && buffer[i + 3] === 10
    ) return i;
  }
  return -1;
}

/**
 * A raw TCP server on 127.0.0.1 port 0 speaking just enough HTTP/1.1 keep-alive: it reads each
 * request whole (head and `content-length` body), records it, and answers it or drops the
 * connection as `handler` says; a connection stays open for the next request after an answer.
 */
export function startRawServer(handler: (request: RawRequest) => RawAction): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: RawRequest[] = [];
  const open = new Set<Deno.Conn>();
  const serving: Promise<void>[] = [];
  const decoder = new TextDecoder();

  async function serve(conn: Deno.Conn, connection: number) {
    let buffer = new Uint8Array(0);
    const chunk = new Uint8Array(64 * 1024);
    const readMore = async () => {
      const n = await conn.read(chunk);
      if (n === null) return false;
      const joined = new Uint8Array(buffer.length + n);
      joined.set(buffer);
      joined.set(chunk.subarray(0, n), buffer.length);
      buffer = joined;
      return true;
    };
    const writeAll = async (bytes: Uint8Array) => {
      for (let written = 0; written < bytes.length;) {
        written += await conn.write(bytes.subarray(written));
      }
    };
    try {
      for (;;) {
        let end: number;
        while ((end = headEnd(buffer)) < 0) if (!await readMore()) return;
        const head = decoder.decode(buffer.subarray(0, end)).split("\r\n");
        const [method, target] = head[0].split(" ");
        // RFC 9112 §3.2.2 has servers accept the absolute form too (what a proxy is sent).
        const path = target.startsWith("/") ? target : new URL(target).pathname;
        const length = Number(
          head.find((h) => /^content-length:/i.test(h))?.split(":")[1] ?? 0,
        );
        while (buffer.length < end + 4 + length) if (!await readMore()) return;
        const body = decoder.decode(buffer.subarray(end + 4, end + 4 + length));
        buffer = buffer.slice(end + 4 + length);
        const request = { method, path, target, body, connection };
        requests.push(request);
        const action = handler(request);
        if (action.kind === "close") {
          if (action.partial !== undefined) await writeAll(encoder.encode(action.partial));
          return;
        }
        if (action.kind === "raw") return await writeAll(action.bytes);
        await writeAll(encoder.encode(
          `HTTP/1.1 ${action.status} OK\r\ncontent-type: application/json; charset=utf-8\r\n` +
            `content-length: ${action.body.length}\r\nconnection: keep-alive\r\n\r\n`,
        ));
        await writeAll(action.body);
      }
    } catch {
      // The client went away: nothing more to read or answer.
    } finally {
      open.delete(conn);
      try {
        conn.close();
      } catch {
        // Closed already by the disposal.
      }
    }
  }

  const accepting = (async () => {
    let connections = 0;
    try {
      for await (const conn of listener) {
        open.add(conn);
        serving.push(serve(conn, ++connections));
      }
    } catch {
      // The listener was closed.
    }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    requests,
    count: (method: string, prefix: string) =>
      requests.filter((r) => r.method === method && r.path.startsWith(prefix)).length,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // Closed by its own task meanwhile.
        }
      }
      await accepting;
      await Promise.all(serving);
    },
  };
}
