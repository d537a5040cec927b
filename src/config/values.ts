/**
 * Parsers of the values settings take that need more than a number or a choice: the base URL,
 * site ids and the cut-off. Each throws a {@link UsageError} naming where the value came from.
 * @module
 */

import { UsageError } from "../errors.ts";
import { isLoopback } from "../outage_api.ts";
import { parseSince, type Since } from "../timestamp.ts";

/** Parses and checks the base URL: https, or http on loopback; no credentials, query or fragment. */
export function parseBaseUrl(text: string, from: string): URL {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) {
    // `127.0.0.1:8080` or `api.example.net/v1`: a host without a scheme.
    const loopback = URL.canParse(`http://${text}`) && isLoopback(new URL(`http://${text}`));
    throw new UsageError(
      `Cannot parse ${from}: expected an absolute URL with its scheme, got "${text}"`,
      loopback
        ? `Did you mean "http://${text}" (or "https://${text}")?`
        : `Did you mean "https://${text}"?`,
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`Cannot parse ${from}: expected an absolute URL, got "${text}"`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url))) {
    throw new UsageError(
      `Cannot use ${from} "${url.origin}": the API key is only sent over https (http is allowed for 127.0.0.1, localhost and [::1])`,
    );
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new UsageError(
      `Cannot use ${from}: credentials, a query or a fragment are not allowed in the base URL`,
    );
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

/** Splits comma-separated site ids and trims them; an empty id or a dot segment is an error. */
export function parseSiteList(text: string, from: string): string[] {
  return text.split(",").map((part) => {
    const site = part.trim();
    if (site === "") throw new UsageError(`Cannot parse ${from}: empty site id in "${text}"`);
    if (site === "." || site === "..") {
      // A URL path segment of "." or ".." would resolve to another endpoint, whatever its encoding.
      throw new UsageError(`Cannot use ${from}: "${site}" is not a site id`);
    }
    return site;
  });
}

/** The cut-off from text with an offset; a time zone is never guessed. */
export function parseSinceSetting(text: string, from: string): Since {
  try {
    return parseSince(text);
  } catch (error) {
    throw new UsageError(
      `Cannot parse ${from}: ${(error as Error).message}`,
      'Give the cut-off with an offset, e.g. "2022-01-01T00:00:00Z" or "2022-01-01T01:00:00+01:00".',
    );
  }
}

/** A file path that must not be empty. */
export function parsePath(text: string, from: string): string {
  if (text === "") throw new UsageError(`Cannot use ${from}: empty path`);
  return text;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration in milliseconds: a number with a unit, `90s`, `30m`, `24h`, `7d`, or `0`. */
export function parseDuration(text: string, from: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text);
  if (text === "0") return 0;
  const ms = match === null ? NaN : Number(match[1]) * UNITS[match[2]];
  if (!(ms >= 0 && ms <= 366 * UNITS.d)) {
    throw new UsageError(
      `Cannot parse ${from}: expected a duration such as "90s", "30m", "24h" or "7d" (at most 366d), or 0, got "${text}"`,
    );
  }
  return Math.round(ms);
}
