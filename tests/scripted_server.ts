/**
 * A scripted HTTP server for the HTTP layer's tests: each test supplies the handler; every
 * request's method, path and headers are recorded. Binds 127.0.0.1 port 0. Disposable:
 * `await using server = startScriptedServer(...)` closes it at scope exit.
 * @module
 */

/** A request as the server saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

/** A running scripted server. */
export interface ScriptedServer extends AsyncDisposable {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Starts a server whose answers come from `handler`. */
export function startScriptedServer(
  handler: (request: Request, seen: SeenRequest) => Response | Promise<Response>,
): ScriptedServer {
  const requests: SeenRequest[] = [];
  const controller = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen() {} },
    async (request) => {
      const url = new URL(request.url);
      const seen = {
        method: request.method,
        path: url.pathname,
        headers: request.headers,
        body: await request.text(),
      };
      requests.push(seen);
      return handler(request, seen);
    },
  );
  const close = async () => {
    controller.abort();
    await server.finished;
  };
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}
