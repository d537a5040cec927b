/**
 * The seam between the sync and the network: the {@link OutageApi} interface the sync sees, and
 * the paths of a site's resources. The HTTP implementation is in `http/client.ts`; tests use
 * hand-written stubs.
 * @module
 */

import type { EnhancedOutage } from "./api_shapes.ts";

/** The three operations of the KrakenFlex API that outage-sync uses. */
export interface OutageApi {
  /** `GET /outages`: the parsed JSON body. */
  getOutages(signal?: AbortSignal): Promise<unknown>;
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
