/**
 * The emulator's fault scripts: what may be queued for a route (or one site of a route), and the
 * queues with their repeats and sticky last steps. What each kind of step is, and how it is
 * checked and answered, is `./fault_kinds.ts`.
 * @module
 */

import { type BareKind, checkStep, quoted, type ScriptStep } from "./fault_kinds.ts";

/** A scriptable endpoint, as `METHOD /first-path-segment`. */
export type Route = "GET /outages" | "GET /site-info" | "POST /site-outages";

/** The routes whose path names a site. */
type SiteRoute = Exclude<Route, "GET /outages">;

/**
 * What a script is set for: a {@link Route} (for a site route, any site), or one site of a site
 * route, `"GET /site-info/norwich-pear-tree"`; `"GET /site-info/*"` is any site, as
 * `"GET /site-info"` is. {@link parseTarget} also takes the API's prefix before the path.
 */
export type ScriptTarget = Route | `${SiteRoute}/${string}`;

/**
 * One scripted step for a route; each request to the route consumes the next one. A number is
 * short for `{ kind: "status", status }` and a kind name for `{ kind }` with its defaults; an
 * object step may say `repeat: N` to answer N requests in a row.
 */
export type ScriptedResponse =
  | number
  | BareKind
  | (ScriptStep & { readonly repeat?: number });

/** How steps are queued. */
export interface ScriptOptions {
  /** Once the last step is reached, it answers every later request (default false: normal). */
  readonly sticky?: boolean;
}

/** The steps of one route from the command line (`--script`, `--fault`), queued at start. */
export interface ScriptEntry {
  /** The route, e.g. `"POST /site-outages/*"` (see {@link parseTarget}). */
  readonly target: string;
  /** The steps, as {@link ScriptedResponse}s (checked when queued). */
  readonly steps: readonly unknown[];
  /** Whether the last step answers every later request. */
  readonly sticky: boolean;
}

/** The queued steps of every route and site. */
interface ScriptQueue {
  /** Checks `steps` and queues them for `target`, after any already queued there. */
  add(target: string, steps: readonly unknown[], options?: ScriptOptions): void;
  /** Takes the next step for a request to `route` (and site): the site's own queue first. */
  next(route: Route, siteId?: string): ScriptStep | undefined;
  /** Forgets every queued step. */
  reset(): void;
}

const ROUTES: readonly Route[] = ["GET /outages", "GET /site-info", "POST /site-outages"];
const PREFIX = "/interview-tests-mock-api/v1";
/** The most steps queued for one route at once: far more than a test needs. */
export const MAX_STEPS = 100_000;

/**
 * Reads a script target: the route and, when it names one, the site. Throws a `TypeError` saying
 * what is expected.
 */
export function parseTarget(text: string): { route: Route; siteId?: string } {
  const space = text.indexOf(" ");
  const method = text.slice(0, space);
  let path = text.slice(space + 1);
  if (path.startsWith(`${PREFIX}/`)) path = path.slice(PREFIX.length);
  for (const route of ROUTES) {
    const [routeMethod, routePath] = route.split(" ");
    if (method !== routeMethod) continue;
    if (path === routePath) return { route };
    if (route !== "GET /outages" && path.startsWith(`${routePath}/`)) {
      const site = path.slice(routePath.length + 1);
      if (site === "*") return { route };
      if (site !== "") return { route, siteId: site };
    }
  }
  throw new TypeError(
    `Invalid route ${quoted(text)}: expected "GET /outages", "GET /site-info/SITE" or ` +
      `"POST /site-outages/SITE" (SITE: a site id, or * for any site)`,
  );
}

/** An empty queue of scripted steps per route; an invalid step throws a `TypeError`. */
export function createScriptQueue(): ScriptQueue {
  let queues = new Map<string, { steps: { step: ScriptStep; left: number }[]; sticky: boolean }>();
  const take = (key: string): ScriptStep | undefined => {
    const queue = queues.get(key);
    const first = queue?.steps[0];
    if (queue === undefined || first === undefined) return undefined;
    if (queue.sticky && queue.steps.length === 1) return first.step;
    if (--first.left === 0) queue.steps.shift();
    return first.step;
  };
  return {
    add(target, steps, options = {}) {
      const { route, siteId } = parseTarget(target);
      const key = `${route} ${siteId ?? "*"}`;
      const queue = queues.get(key) ?? { steps: [], sticky: false };
      if (queue.steps.length + steps.length > MAX_STEPS) {
        throw new TypeError(
          `Invalid script for ${quoted(target)}: ${steps.length} step(s) would make ` +
            `${queue.steps.length + steps.length} queued, over the limit of ${MAX_STEPS}`,
        );
      }
      const checked = steps.map((item, i) =>
        checkStep(item, `Invalid script for ${quoted(target)} at [${i}]`)
      );
      // One at a time: a spread of a user-sized list into a call overflows the stack.
      for (const step of checked) queue.steps.push(step);
      queue.sticky ||= options.sticky === true;
      queues.set(key, queue);
    },
    next(route, siteId) {
      return (siteId === undefined ? undefined : take(`${route} ${siteId}`)) ?? take(`${route} *`);
    },
    reset() {
      queues = new Map();
    },
  };
}
