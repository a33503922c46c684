import { Resolver } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { normaliseIp } from "../ingest/ip-ranges";
import { SECURITY_EVENT_LIMITS } from "./security-event.entity";

// Host names for the security log: an address's name counts only when it is forward-confirmed.

/**
 * The two DNS questions a host name needs: an address's names (PTR) and a name's addresses
 * (A for `family` 4, AAAA for 6). Either may reject; the caller gives them a time limit.
 */
export interface HostResolver {
  reverse(ip: string): Promise<string[]>;
  addresses(hostname: string, family: 4 | 6): Promise<string[]>;
  /** Abandons every question still open (the time limit has passed). */
  cancel(): void;
}

/**
 * DNS through the system's resolvers, or through `servers` (`"127.0.0.1:5353"`, `"[::1]:53"`)
 * when given; each question gives up after `timeoutMs`. One per lookup, so `cancel` ends only it.
 */
export function dnsHostResolver(timeoutMs: number, servers?: readonly string[]): () => HostResolver {
  return () => {
    const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
    if (servers && servers.length > 0) resolver.setServers([...servers]);
    return {
      reverse: (ip) => resolver.reverse(ip),
      addresses: (hostname, family) => (family === 4 ? resolver.resolve4(hostname) : resolver.resolve6(hostname)),
      cancel: () => resolver.cancel(),
    };
  };
}

/** Most names of one address checked forwards: anyone can publish many PTR records. */
const MAX_NAMES_CHECKED = 3;

/**
 * The forward-confirmed host name of `ip` (lower case, no final dot), or null. A PTR record says
 * whatever the owner of the address's reverse zone wants (`mail.google.com` included); a name
 * counts only when it also resolves back to `ip`, so whoever controls the name's zone agrees.
 */
export async function confirmedHostname(resolver: HostResolver, ip: string): Promise<string | null> {
  const family = isIP(ip);
  if (family === 0) return null;
  const names = [
    ...new Set((await resolver.reverse(ip)).filter(isHostname).map((n) => n.toLowerCase().replace(/\.$/, ""))),
  ].slice(0, MAX_NAMES_CHECKED);
  const checks = names.map(async (name) => {
    const addresses = await resolver.addresses(name, family as 4 | 6).catch(() => [] as string[]);
    return addresses.some((address) => sameAddress(address, ip)) ? name : null;
  });
  // In PTR order: the first name that resolves back wins.
  for (const name of await Promise.all(checks)) if (name) return name;
  return null;
}

/** Whether two spellings name one address (`2001:db8::7` = `2001:0db8:0:0:0:0:0:7`). */
function sameAddress(a: string, b: string): boolean {
  const left = normaliseIp(a);
  const right = normaliseIp(b);
  const family = isIP(left);
  if (family === 0 || family !== isIP(right)) return false;
  const list = new BlockList();
  list.addAddress(left, family === 4 ? "ipv4" : "ipv6");
  return list.check(right, family === 4 ? "ipv4" : "ipv6");
}

/** Anyone can publish any PTR record: keep only what looks like a host name. */
function isHostname(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= SECURITY_EVENT_LIMITS.hostname &&
    /^(?=.{1,253}\.?$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.?$/i.test(name)
  );
}
