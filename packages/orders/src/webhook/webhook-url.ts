import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { BlockList, isIP } from "node:net";

/** The longest endpoint URL accepted. */
export const WEBHOOK_URL_MAX = 2000;

/**
 * Addresses a webhook is never sent to (unless `WEBHOOK_ALLOW_PRIVATE=true`): this host, private
 * networks, link-local (which holds the cloud metadata service at 169.254.169.254 and
 * fd00:ec2::254), shared, reserved, multicast and documentation ranges, and their IPv6
 * equivalents. A partner's URL must not let it reach inside our network (SSRF).
 */
const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // RFC 1918
  ["100.64.0.0", 10], // carrier-grade NAT (RFC 6598)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12], // RFC 1918
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.168.0.0", 16], // RFC 1918
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  BLOCKED.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["100::", 64], // discard
  ["2001:db8::", 32], // documentation
  ["fc00::", 7], // unique local (holds fd00:ec2::254, the EC2 metadata service)
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated, still routed by some)
  ["ff00::", 8], // multicast
] as const) {
  BLOCKED.addSubnet(network, prefix, "ipv6");
}

/** Host names refused before any lookup: they name this machine or a metadata service. */
const BLOCKED_NAMES = /(^|\.)(localhost|localdomain|internal|local)$|^metadata(\.google\.internal)?$/;

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any. */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1]!;
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) return wordsToIpv4(hex[1]!, hex[2]!);
  const sixToFour = /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4}):/.exec(lower);
  if (sixToFour) return wordsToIpv4(sixToFour[1]!, sixToFour[2]!);
  return null;
}

function wordsToIpv4(high: string, low: string): string {
  const h = parseInt(high, 16);
  const l = parseInt(low, 16);
  return [h >> 8, h & 255, l >> 8, l & 255].join(".");
}

/** Whether `address` (an IP literal) is one a webhook must not reach. Not an IP: true. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 4) return BLOCKED.check(bare, "ipv4");
  if (family === 6) {
    const v4 = embeddedIpv4(bare);
    if (v4 !== null) return BLOCKED.check(v4, "ipv4");
    return BLOCKED.check(bare, "ipv6");
  }
  return true;
}

/** Why an endpoint URL is refused, or null when it may be stored. */
export function webhookUrlProblem(
  raw: string,
  options: { allowPrivate: boolean; requireHttps: boolean },
): string | null {
  if (raw.length > WEBHOOK_URL_MAX) return `must be at most ${WEBHOOK_URL_MAX} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an http(s) URL";
  if (options.requireHttps && url.protocol !== "https:") return "must be an https URL";
  if (url.username || url.password) return "must not contain a user name or password";
  if (url.hash) return "must not contain a #fragment";
  if (!options.allowPrivate) {
    const host = url.hostname.toLowerCase().replace(/\.$/, "");
    if (isIP(host.replace(/^\[|\]$/g, "")) !== 0 ? isPrivateAddress(host) : BLOCKED_NAMES.test(host)) {
      return "must not point to this host, a private network or a metadata address";
    }
    if (isIP(host.replace(/^\[|\]$/g, "")) === 0 && !host.includes(".")) return "must have a fully qualified host name";
  }
  return null;
}

/** A refused destination: the delivery is recorded as failed with this message, never sent. */
export class BlockedDestinationError extends Error {
  override readonly name = "BlockedDestinationError";
  readonly code = "WEBHOOK_DESTINATION_BLOCKED";
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `http.request` that resolves the host and refuses the connection when any of its
 * addresses is private: the check applies to the addresses really connected to, so a name that
 * resolves (or is re-bound) to 127.0.0.1 or 169.254.169.254 is refused too.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, []);
      const blocked = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (blocked) {
        return callback(
          new BlockedDestinationError(
            `${hostname} resolves to ${blocked.address}, a private or local address`,
          ) as never,
          [],
        );
      }
      if (addresses.length === 0)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
