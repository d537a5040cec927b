/**
 * The emulator on a loopback socket: {@link createMockApi}'s handler behind `Deno.serve`.
 * @module
 */

import { createMockApi, type MockApi, type MockApiOptions } from "./handler.ts";
import { MockConnectionDrop } from "./responses.ts";

/** How to start the emulator's server. */
export interface MockServerOptions extends MockApiOptions {
  /** The port on 127.0.0.1 (default 0: a free port the system picks). */
  readonly port?: number;
}

/** A running emulator. */
export interface MockServer {
  /** The base URL, `http://127.0.0.1:PORT`, without a trailing slash. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** The handler, for scripts and the request log in process. */
  readonly api: MockApi;
  /** Ends hanging and delayed requests, stops listening and waits for every connection to end. */
  close(): Promise<void>;
  /** Calls {@link MockServer.close}, so that `await using server = ...` closes it at scope exit. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts the emulator on `127.0.0.1`; resolves once it listens. Throws `Deno.errors.AddrInUse`
 * when the port is taken.
 */
export async function startMockServer(options: MockServerOptions): Promise<MockServer> {
  const api = createMockApi(options);
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen: (addr) => listening.resolve(addr),
    onError: (error) => {
      // A dropped or truncated answer fails its body on purpose; the status line is already out,
      // so this response is never sent. Anything else is an emulator bug: answer 500.
      if (error instanceof MockConnectionDrop) return new Response(null, { status: 500 });
      return new Response(JSON.stringify({ message: "Internal server error" }), {
        status: 500,
        headers: { "content-type": "application/json; charset=utf-8" },
      });
    },
  }, (request) => api.handle(request));
  const addr = await listening.promise;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      api.close();
      await server.shutdown();
      await server.finished;
    })();
    return closed;
  };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    port: addr.port,
    api,
    close,
    [Symbol.asyncDispose]: close,
  };
}
