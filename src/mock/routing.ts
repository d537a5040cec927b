/**
 * What a request names, before anything else is looked at: whether its `Host` is one the emulator
 * answers (a loopback name, with any port), and which endpoint its method and path
 * name, at the root or under the API's prefix.
 * @module
 */

import type { Endpoint } from "./endpoints.ts";
import type { Route } from "./scripts.ts";

/** The path prefix of the public API; every endpoint is also served at the root. */
export const API_PREFIX = "/interview-tests-mock-api/v1";

/** What a path names once the prefix is removed: an endpoint, a wrong method, or nothing. */
export type Target =
  & (
    | Endpoint
    | { readonly allow: string; readonly route?: undefined }
    | { readonly route?: undefined; readonly allow?: undefined }
  )
  & {
    /** Whether the path was at the root, without the API's prefix. */
    readonly atRoot: boolean;
  };

/** The endpoint (or wrong method) that `method` and `pathname` name. */
export function resolveTarget(method: string, pathname: string): Target {
  let path = pathname;
  const atRoot = !(path === API_PREFIX || path.startsWith(`${API_PREFIX}/`));
  if (!atRoot) path = path.slice(API_PREFIX.length);
  let siteId: string | undefined;
  let route: Route;
  if (path === "/outages") {
    route = "GET /outages";
  } else {
    const match = /^\/(site-info|site-outages)\/([^/]+)$/.exec(path);
    if (match === null) return { atRoot };
    try {
      siteId = decodeURIComponent(match[2]);
    } catch {
      return { atRoot };
    }
    route = match[1] === "site-info" ? "GET /site-info" : "POST /site-outages";
  }
  const expectedMethod = route.slice(0, route.indexOf(" "));
  if (method !== expectedMethod) return { allow: expectedMethod, atRoot };
  return { route, siteId, atRoot };
}

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$/i;

/**
 * Why the emulator must not answer a request with this `Host`, or `undefined` when it names the
 * loopback address — `127.0.0.1`, `localhost` or `[::1]` — with any port or none. The name is what
 * keeps a web page from reading the emulator through DNS rebinding (the browser sends the page's
 * own host name); the port is not checked, so that a client reaching the emulator through a port
 * mapping or a forwarder (`docker -p 8080:3000`, `kubectl port-forward`, `ssh -L`), which sends
 * its own side's port, is answered.
 */
export function hostProblem(host: string | null): string | undefined {
  if (host !== null && LOOPBACK_HOST.test(host)) return undefined;
  const shown = host === null ? "none" : JSON.stringify(host.slice(0, 100));
  return "Misdirected request: this emulator answers only Host 127.0.0.1, localhost or [::1], " +
    `with any port (got ${shown}); mock-api --any-host answers any Host on the API's paths`;
}
