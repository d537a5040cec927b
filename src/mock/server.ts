/**
 * The emulator on a loopback socket: {@link createMockApi}'s handler behind a `node:http` server,
 * which — unlike `Deno.serve` — can end a connection before any byte: a scripted `reset` is a real
 * TCP reset (RST) and a `close` a real close (FIN), as a client meets them from a real server.
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { createMockApi, type MockApi, type MockApiOptions } from "./handler.ts";
import { dropOf, JSON_TYPE, MESSAGES } from "./responses.ts";
import { concatBytes } from "../bytes.ts";

/** How to start the emulator's server. */
export interface MockServerOptions extends MockApiOptions {
  /** The port on 127.0.0.1 (default 0: a free port the system picks). */
  readonly port?: number;
  /**
   * How long a connection may take to send a request's headers, from its opening or from the end
   * of its last answer (then plus the keep-alive time), before it is closed (default 10,000 ms).
   */
  readonly headerTimeoutMs?: number;
  /**
   * How long the emulator waits for the next bytes of a request body it is reading before it
   * closes the connection (default 5,000 ms).
   */
  readonly bodyIdleTimeoutMs?: number;
}

/** The default of {@link MockServerOptions.headerTimeoutMs}. */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
/** The default of {@link MockServerOptions.bodyIdleTimeoutMs}. */
export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 5_000;
/** How long an idle keep-alive connection stays open. */
const KEEP_ALIVE_MS = 5_000;
/** setTimeout's longest wait; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Throws a `RangeError` unless `ms` is a wait `setTimeout` keeps (with the keep-alive added). */
function checkTimeout(name: string, ms: number): void {
  const max = MAX_TIMER_MS - KEEP_ALIVE_MS;
  if (!(Number.isFinite(ms) && ms > 0 && ms <= max)) {
    throw new RangeError(
      `Invalid ${name}: expected milliseconds above 0, at most ${max}, got "${ms}"`,
    );
  }
}

/** A running emulator. */
export interface MockServer {
  /** The base URL, `http://127.0.0.1:PORT`, without a trailing slash. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** The handler, for scripts and the request log in process. */
  readonly api: MockApi;
  /** Ends hanging and delayed requests, stops listening and drops every connection left. */
  close(): Promise<void>;
  /** Calls {@link MockServer.close}, so that `await using server = ...` closes it at scope exit. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts the emulator on `127.0.0.1`; resolves once it listens. Throws `Deno.errors.AddrInUse`
 * when the port is taken.
 */
export async function startMockServer(options: MockServerOptions): Promise<MockServer> {
  const headerTimeoutMs = options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS;
  const bodyIdleMs = options.bodyIdleTimeoutMs ?? DEFAULT_BODY_IDLE_TIMEOUT_MS;
  checkTimeout("header timeout", headerTimeoutMs);
  checkTimeout("body idle timeout", bodyIdleMs);
  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: Error & { code?: string }) => {
      reject(error.code === "EADDRINUSE" ? new Deno.errors.AddrInUse(error.message) : error);
    });
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  let api: MockApi;
  try {
    api = createMockApi(options);
  } catch (error) {
    await new Promise((resolve) => server.close(resolve));
    throw error;
  }
  const origin = `http://127.0.0.1:${port}`;
  const inFlight = new Set<Promise<void>>();
  const deadlines = new WeakMap<Socket, HeaderDeadline>();
  server.on("connection", (socket: Socket) => {
    deadlines.set(socket, new HeaderDeadline(socket, headerTimeoutMs));
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    deadlines.get(req.socket)?.requestStarted(res);
    const done = serve(api, origin, req, res, bodyIdleMs);
    inFlight.add(done);
    done.finally(() => inFlight.delete(done));
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      api.close();
      const stopped = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await stopped;
      await Promise.all(inFlight);
    })();
    return closed;
  };
  return { url: origin, port, api, close, [Symbol.asyncDispose]: close };
}

/** Answers one request: the handler's `Response`, or the dropped connection it stands for. */
async function serve(
  api: MockApi,
  origin: string,
  req: IncomingMessage,
  res: ServerResponse,
  bodyIdleMs: number,
): Promise<void> {
  // A write to a connection the client closed fails; the client is gone, nothing is to be done.
  res.on("error", () => {});
  const idle = new BodyIdleGuard(req, bodyIdleMs);
  const clientGone = new AbortController();
  res.once("close", () => clientGone.abort());
  let response: Response;
  try {
    response = await api.handle(toRequest(origin, req, clientGone.signal, idle));
  } catch {
    // A request the Fetch API cannot express (e.g. `CONNECT`): not one the API knows either.
    response = new Response(JSON.stringify({ message: MESSAGES[400] }), {
      status: 400,
      headers: { "content-type": JSON_TYPE },
    });
  }
  try {
    await send(response, req, res, idle);
  } catch {
    req.socket.destroy();
  }
}

/** The `Request` the handler sees: the path on our own origin, the headers as sent. */
function toRequest(
  origin: string,
  req: IncomingMessage,
  signal: AbortSignal,
  idle: BodyIdleGuard,
): Request {
  const target = req.url ?? "/";
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  let path = target;
  if (!target.startsWith("/")) {
    // The absolute form (`GET http://host/path`) names the host itself (RFC 9112 §3.2.2).
    const absolute = URL.canParse(target) ? new URL(target) : undefined;
    path = absolute === undefined ? `/${target}` : absolute.pathname + absolute.search;
    if (absolute !== undefined) headers.set("host", absolute.host);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD" &&
    (req.headers["transfer-encoding"] !== undefined ||
      (req.headers["content-length"] ?? "0") !== "0");
  // Concatenated, not resolved: a path such as `//evil.example/x` must stay a path.
  return new Request(origin + path, {
    method,
    headers,
    signal,
    body: hasBody ? bodyOf(req, idle) : null,
    duplex: "half",
  } as RequestInit);
}

/**
 * The request body as a stream that reads from the socket only when pulled; cancelled, it lets
 * the rest of the body be discarded as it arrives (never kept). `idle` closes the connection when
 * the client stops sending while the body is wanted.
 */
function bodyOf(req: IncomingMessage, idle: BodyIdleGuard): ReadableStream<Uint8Array> {
  let started = false;
  let finished = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!started) {
        started = true;
        req.on("data", (chunk: Uint8Array) => {
          if (finished) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.once("end", () => {
          if (!finished) controller.close();
          finished = true;
        });
        req.once("close", () => {
          if (!finished) controller.error(new Error("The client went away while sending"));
          finished = true;
        });
      }
      req.resume();
      idle.watch();
    },
    cancel() {
      finished = true;
      req.resume();
      idle.watch();
    },
  }, { highWaterMark: 1 });
}

/**
 * Closes a request's connection when its body is being read (the request flowing) and no byte of
 * it has come for `ms`; a body paused because the handler is busy is not the client's delay.
 */
class BodyIdleGuard {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #watching = false;
  /** A guard for `req`, idle until {@link BodyIdleGuard.watch} is called. */
  constructor(readonly req: IncomingMessage, readonly ms: number) {}
  /** Starts (or restarts) the wait, once the body is read or discarded. */
  watch(): void {
    if (this.req.complete || this.req.destroyed) return;
    if (!this.#watching) {
      this.#watching = true;
      // Listened to only once the body flows: a `data` listener would start it flowing.
      this.req.on("data", () => this.#restart());
      this.req.once("end", () => this.#stop());
      this.req.once("close", () => this.#stop());
    }
    this.#restart();
  }
  #restart(): void {
    clearTimeout(this.#timer);
    this.#timer = this.req.isPaused() || this.req.complete
      ? undefined
      : setTimeout(() => this.req.socket.destroy(), this.ms);
  }
  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Closes a connection that has not sent a request's headers within `ms` of opening, or of the end
 * of its last answer (then `ms` plus the keep-alive time, which ends an idle connection first).
 * `node:http`'s own `headersTimeout` is not enforced by Deno.
 */
class HeaderDeadline {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #open = 0;
  /** Starts the wait for the first request's headers. */
  constructor(readonly socket: Socket, readonly ms: number) {
    this.#arm(ms);
    socket.once("close", () => clearTimeout(this.#timer));
  }
  /** The headers of a request came: no deadline until it and any pipelined with it are answered. */
  requestStarted(res: ServerResponse): void {
    this.#open++;
    clearTimeout(this.#timer);
    res.once("close", () => {
      if (--this.#open === 0 && !this.socket.destroyed) this.#arm(this.ms + KEEP_ALIVE_MS);
    });
  }
  #arm(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.socket.destroy(), ms);
  }
}

/** Sends `response`, or drops the connection it stands for without a byte. */
async function send(
  response: Response,
  req: IncomingMessage,
  res: ServerResponse,
  idle: BodyIdleGuard,
): Promise<void> {
  const socket = req.socket;
  const drop = dropOf(response);
  if (drop !== undefined || res.destroyed) {
    await response.body?.cancel().catch(() => {});
    if (drop === "reset") socket.resetAndDestroy();
    else socket.destroy();
    return;
  }
  res.statusCode = response.status;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  if (!req.complete) {
    // A body the handler did not read (a wrong key, over the cap): the rest is discarded as it
    // arrives, never kept, and the connection is not used again.
    res.setHeader("connection", "close");
    req.resume();
    idle.watch();
  }
  const body = response.body;
  if (body === null) {
    res.end();
    return;
  }
  const reader = body.getReader();
  if (!response.headers.has("content-length")) {
    // A small answer (every unsized one is): sent whole with its length, as the real API does.
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    const bytes = concatBytes(chunks);
    res.setHeader("content-length", String(bytes.length));
    res.end(bytes);
    return;
  }
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) {
        await reader.cancel();
        return;
      }
      if (!res.write(value)) await drained(res);
    }
  } catch {
    // A truncated answer: what was written goes out, then the connection closes mid-body.
    socket.destroySoon();
    return;
  }
  res.end();
}

/** Resolves once `res` can take more, or its connection has closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}
