/**
 * Filtering and enrichment (SPEC §3): keep a site's outages that began at or after the cut-off and
 * name each after its device.
 * @module
 */

import { ValidationError } from "./errors.ts";
import { isAtOrAfter, type Since } from "./timestamp.ts";
import type { EnhancedOutage, Outage, SiteInfo } from "./types.ts";
import { quote } from "./validate.ts";

/**
 * The site's device names by device id. A `Map`, so ids such as `__proto__` or `constructor` are
 * ordinary keys. A device listed twice with the same name is fine; with two names it is an error
 * naming the id, since the payload's names would otherwise depend on which one won.
 */
export function deviceNames(
  site: SiteInfo,
  where = `GET /site-info/${site.id}`,
): Map<string, string> {
  const names = new Map<string, string>();
  for (const device of site.devices) {
    const known = names.get(device.id);
    if (known === undefined) {
      names.set(device.id, device.name);
    } else if (known !== device.name) {
      throw new ValidationError(
        `${where}: device ${quote(device.id)} is listed twice with different names, ` +
          `${quote(known)} and ${quote(device.name)}`,
      );
    }
  }
  return names;
}

/** A site's payload and the counts behind it. */
export interface SiteOutages {
  /** The outages to post, in input order, keys `id, name, begin, end`. */
  readonly payload: EnhancedOutage[];
  /** Outages of the site's devices that began before the cut-off. */
  readonly droppedBeforeSince: number;
  /** Outages of devices that are not the site's. */
  readonly droppedUnknownDevice: number;
}

/**
 * Keeps the outages whose device belongs to the site and whose `begin` is at or after `since`,
 * as instants, exactly; attaches the device's display name. Input order and duplicates are kept;
 * `begin` and `end` are passed on byte for byte; other fields are not forwarded.
 * The outages must already be validated ({@link validateOutages}).
 */
export function filterSiteOutages(
  outages: readonly Outage[],
  names: ReadonlyMap<string, string>,
  since: Since,
): SiteOutages {
  const payload: EnhancedOutage[] = [];
  let droppedBeforeSince = 0;
  let droppedUnknownDevice = 0;
  for (let i = 0; i < outages.length; i++) {
    const outage = outages[i];
    const name = names.get(outage.id);
    if (name === undefined) {
      droppedUnknownDevice++;
    } else if (isAtOrAfter(outage.begin, since)) {
      payload.push({ id: outage.id, name, begin: outage.begin, end: outage.end });
    } else {
      droppedBeforeSince++;
    }
  }
  return { payload, droppedBeforeSince, droppedUnknownDevice };
}
