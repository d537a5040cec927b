/**
 * The seam between the sync and the network: the {@link OutageApi} interface the sync sees, and
 * the paths of a site's resources. The HTTP implementation is in `http/client.ts`; tests use
 * hand-written stubs.
 * @module
 */

import type { EnhancedOutage } from "./api_shapes.ts";
import type { OutageFeed } from "./outage_feed.ts";

/** The three operations of the KrakenFlex API that outage-sync uses. */
export interface OutageApi {
  /** `GET /outages`: the body read into a feed of valid outages and counted invalid records. */
  getOutages(signal?: AbortSignal): Promise<OutageFeed>;
  /** `GET /site-info/{siteId}`: the parsed JSON body. */
  getSiteInfo(siteId: string, signal?: AbortSignal): Promise<unknown>;
  /** `POST /site-outages/{siteId}`: resolves when the API accepted the payload. */
  postSiteOutages(
    siteId: string,
    payload: readonly EnhancedOutage[],
    signal?: AbortSignal,
  ): Promise<void>;
}

/** The path of a site's resource: the id URL-encoded as one path segment. */
export function sitePath(prefix: "site-info" | "site-outages", siteId: string): string {
  return `${prefix}/${encodeURIComponent(siteId)}`;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Whether `url` names this machine: plain `http` is allowed there, and no proxy is used. */
export function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}
