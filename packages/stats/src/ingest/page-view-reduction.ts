import Bowser from "bowser";
import { isbot } from "isbot";

/** Column lengths of what a page view keeps, shared by the reduction and the entities. */
export const PAGE_VIEW_LIMITS = Object.freeze({
  path: 500,
  host: 253,
  browser: 50,
  utm: 100,
  /** Longest page or referrer URL looked at; longer ones are not parsed. */
  url: 4096,
});

/** The query parameters a page view keeps; every other one is dropped. */
export const UTM_PARAMETERS = ["utm_source", "utm_medium", "utm_campaign"] as const;

/** A page URL reduced to what the statistics keep. */
export interface ReducedPage {
  /** The page's host without `www.`, lower case. */
  host: string;
  /** The path alone: no query, no fragment. */
  path: string;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
}

/**
 * Reduces a page URL to its host, its path and the three UTM parameters. Returns null for
 * anything that is not an absolute http(s) URL.
 */
export function reducePageUrl(url: string): ReducedPage | null {
  const parsed = parseHttpUrl(url);
  if (!parsed) return null;
  const host = reduceHost(parsed.hostname);
  if (!host) return null;
  let utmSource: string | null = null;
  let utmMedium: string | null = null;
  let utmCampaign: string | null = null;
  // Most pages have no query at all: skip building URLSearchParams for them.
  if (parsed.search.length > 1) {
    const params = parsed.searchParams;
    utmSource = utmValue(params.get(UTM_PARAMETERS[0]));
    utmMedium = utmValue(params.get(UTM_PARAMETERS[1]));
    utmCampaign = utmValue(params.get(UTM_PARAMETERS[2]));
  }
  return { host, path: cut(parsed.pathname || "/", PAGE_VIEW_LIMITS.path), utmSource, utmMedium, utmCampaign };
}

/**
 * The domain a visitor came from: the referrer's host without `www.` (`www.google.co.uk` becomes
 * `google.co.uk`). Null when there is no usable http(s) referrer, or when it is the site itself
 * (a self-referral is moving around the site, not arriving from somewhere).
 */
export function referrerDomain(
  referrer: string | null | undefined,
  pageHost: string,
  siteHosts: ReadonlySet<string>,
): string | null {
  if (!referrer) return null;
  const parsed = parseHttpUrl(referrer);
  if (!parsed) return null;
  const host = reduceHost(parsed.hostname);
  if (!host || host === pageHost || siteHosts.has(host)) return null;
  return host;
}

/** A host name in lower case, without a trailing dot and without a leading `www.`. */
export function reduceHost(hostname: string): string {
  let host = hostname.toLowerCase();
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host.startsWith("www.")) host = host.slice(4);
  return host.length > PAGE_VIEW_LIMITS.host ? "" : host;
}

/** What a user agent says about its browser: a family name, or null for a bot. */
export type BrowserFamily = string | null;

/** The family reported for a browser bowser does not know. */
export const OTHER_BROWSER = "Other";

/**
 * Browser families by user agent (bowser), with bots (isbot) as null. Parsing costs several
 * microseconds and most visits come from a few hundred agents, so answers are cached; the cache
 * lives in memory only and is bounded.
 */
export class BrowserFamilies {
  private readonly cache = new Map<string, BrowserFamily>();

  constructor(private readonly maxEntries = 10_000) {}

  of(userAgent: string): BrowserFamily {
    const known = this.cache.get(userAgent);
    if (known !== undefined) return known;
    const family = isbot(userAgent) ? null : browserName(userAgent);
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(userAgent, family);
    return family;
  }
}

function browserName(userAgent: string): string {
  try {
    const name = Bowser.getParser(userAgent).getBrowserName();
    return name ? cut(name, PAGE_VIEW_LIMITS.browser) : OTHER_BROWSER;
  } catch {
    return OTHER_BROWSER; // bowser throws on input it cannot read; that is still a browser we count
  }
}

function parseHttpUrl(url: string): URL | null {
  if (url.length > PAGE_VIEW_LIMITS.url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed : null;
}

function utmValue(value: string | null): string | null {
  if (value === null) return null;
  // Control characters have no business in a campaign name and would only confuse a report.
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  return clean ? cut(clean, PAGE_VIEW_LIMITS.utm) : null;
}

/** At most `max` UTF-16 units, never ending in half a surrogate pair. */
export function cut(value: string, max: number): string {
  if (value.length <= max) return value;
  const end = /[\ud800-\udbff]/.test(value[max - 1]!) ? max - 1 : max;
  return value.slice(0, end);
}
