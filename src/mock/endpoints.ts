/**
 * The API's three endpoints over one dataset, as they answer when no fault applies. The dataset is
 * serialised once; each answer is those bytes (with fresh noise for a dataset that has some), a 404
 * for an unknown site, or the verdict of `./payload_check.ts` on a POST.
 * @module
 */

import type { Dataset } from "./dataset.ts";
import { createNoisyOutages } from "./noise.ts";
import {
  payloadProblem,
  type PostedPayload,
  prepareSiteCheck,
  type SiteCheck,
} from "./payload_check.ts";
import { bytesResponse, jsonResponse, messageResponse, MESSAGES } from "./responses.ts";
import type { Route } from "./scripts.ts";

/** A request for an endpoint: its route and, for the site routes, the decoded site id. */
export interface Endpoint {
  /** The route the method and path name. */
  readonly route: Route;
  /** The site id from the path (absent for `GET /outages`). */
  readonly siteId?: string;
}

/** The endpoints of one dataset. */
interface Endpoints {
  /** The endpoint's answer, and why it refused the request (the log's `note`) when it did. */
  answer(endpoint: Endpoint, post: PostedPayload): { response: Response; note?: string };
  /** The route's success body for this request, which a truncated answer cuts short. */
  successBody(endpoint: Endpoint): Uint8Array;
  /** Re-seeds the noise, so that the same requests get the same noise again. */
  reset(): void;
}

const encoder = new TextEncoder();

/**
 * Serves `dataset`. It pre-serialises the dataset once (the outages body of a million outages is
 * about 110 MB) and keeps no reference to the outages themselves, except a dataset with noise,
 * whose outages are merged with fresh noise drawn from `noiseSeed` at every `GET /outages`.
 */
export function createEndpoints(dataset: Dataset, noiseSeed: number): Endpoints {
  const noisy = dataset.noise === undefined ? undefined : createNoisyOutages(dataset.noise, {
    outages: dataset.outages,
    excluded: new Set(dataset.sites.flatMap((site) => site.devices.map((device) => device.id))),
    seed: noiseSeed,
  });
  const kept = noisy === undefined ? encoder.encode(JSON.stringify(dataset.outages)) : undefined;
  const outagesBody = (): Uint8Array => kept ?? encoder.encode(JSON.stringify(noisy?.next()));
  const expectedBySite = new Map(Object.entries(dataset.expected ?? {}));
  const sites = new Map<string, { body: Uint8Array; check: SiteCheck }>();
  for (const site of dataset.sites) {
    sites.set(site.id, {
      body: encoder.encode(JSON.stringify(site)),
      check: prepareSiteCheck(site, expectedBySite.get(site.id)),
    });
  }

  return {
    answer(endpoint, post) {
      if (endpoint.route === "GET /outages") return { response: bytesResponse(outagesBody()) };
      const site = sites.get(endpoint.siteId as string);
      if (site === undefined) {
        return {
          response: messageResponse(404),
          note: `unknown site ${JSON.stringify(endpoint.siteId)}`,
        };
      }
      if (endpoint.route === "GET /site-info") return { response: bytesResponse(site.body) };
      const problem = payloadProblem(site.check, post);
      if (problem !== undefined) return { response: messageResponse(400), note: problem };
      return { response: jsonResponse(200, {}) };
    },
    successBody(endpoint) {
      if (endpoint.route === "GET /outages") return outagesBody();
      const site = sites.get(endpoint.siteId as string);
      if (endpoint.route === "GET /site-info" && site !== undefined) return site.body;
      if (site === undefined) return encoder.encode(JSON.stringify({ message: MESSAGES[404] }));
      return encoder.encode("{}");
    },
    reset() {
      noisy?.reset();
    },
  };
}
