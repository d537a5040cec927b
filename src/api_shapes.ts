/**
 * The API's data shapes (see `docs/api.yaml`), as the program holds them once validated.
 * @module
 */

/** One device outage as `GET /outages` returns it; `id` is the device id. */
export interface Outage {
  readonly id: string;
  readonly begin: string;
  readonly end: string;
}

/** A device of a site, with its display name. */
export interface Device {
  readonly id: string;
  readonly name: string;
}

/** What `GET /site-info/{siteId}` returns. */
export interface SiteInfo {
  readonly id: string;
  readonly name: string;
  readonly devices: readonly Device[];
}

/** One element of the `POST /site-outages/{siteId}` payload: keys in this order. */
export interface EnhancedOutage {
  readonly id: string;
  readonly name: string;
  readonly begin: string;
  readonly end: string;
}
