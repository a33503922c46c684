import { BlockList, isIP } from "node:net";

/**
 * Address ranges whose page views are not counted (the office, monitoring), from a CIDR list
 * such as `10.0.0.0/8, 2001:db8::/32`; a bare address means that one address. Throws an Error
 * naming the first entry that is not a range.
 */
export function parseIpRanges(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const raw of ranges) {
    const entry = raw.trim();
    if (!entry) continue;
    const [address = "", prefixText, extra] = entry.split("/");
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (family === 0 || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
      throw new Error(`"${entry}" is not an IP address or CIDR range`);
    }
    list.addSubnet(address, prefix, family === 4 ? "ipv4" : "ipv6");
  }
  return list;
}

/**
 * An address as the statistics compare it: an IPv4 address that reached an IPv6 socket
 * (`::ffff:192.0.2.1`) is the IPv4 address, so one client hashes the same either way.
 */
export function normaliseIp(ip: string): string {
  const lower = ip.trim().toLowerCase();
  return lower.startsWith("::ffff:") && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/** True when `ip` (normalised) lies in one of the ranges. Not an address: false. */
export function inRanges(ranges: BlockList, ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  return ranges.check(ip, family === 4 ? "ipv4" : "ipv6");
}
