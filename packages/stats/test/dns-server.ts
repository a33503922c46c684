import { createSocket, type Socket } from "node:dgram";
import { isIP } from "node:net";

/** What the test DNS server answers: records by type and name (lower case, no final dot). */
export interface DnsZone {
  /** PTR: address (as written, e.g. `203.0.113.9`, `2001:db8::7`) → host names. */
  ptr?: Record<string, string[]>;
  /** A: name → IPv4 addresses. */
  a?: Record<string, string[]>;
  /** AAAA: name → IPv6 addresses. */
  aaaa?: Record<string, string[]>;
  /** Names (or PTR addresses) the server never answers, as a dead or slow server would not. */
  silent?: string[];
}

export interface DnsServer {
  /** `127.0.0.1:<port>`, for `Resolver.setServers`. */
  address: string;
  zone: DnsZone;
  /** Questions received, e.g. `PTR 9.113.0.203.in-addr.arpa`. */
  questions: string[];
  close(): Promise<void>;
}

const TYPE = { A: 1, PTR: 12, AAAA: 28 } as const;
const TYPE_NAME: Record<number, string> = { 1: "A", 12: "PTR", 28: "AAAA" };

/**
 * A small authoritative DNS server over UDP on 127.0.0.1 (RFC 1035 messages: one question, A,
 * AAAA and PTR answers, NXDOMAIN otherwise), so host name lookups run through node's real
 * resolver against records the test controls.
 */
export async function startDnsServer(zone: DnsZone = {}): Promise<DnsServer> {
  const socket: Socket = createSocket("udp4");
  const server: DnsServer = {
    address: "",
    zone,
    questions: [],
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  socket.on("message", (message, peer) => {
    let reply: Buffer | null;
    try {
      reply = answer(server, message);
    } catch {
      return; // not a question this server understands: no reply
    }
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  server.address = `127.0.0.1:${socket.address().port}`;
  return server;
}

function answer(server: DnsServer, query: Buffer): Buffer | null {
  const id = query.readUInt16BE(0);
  const questions = query.readUInt16BE(4);
  if (questions !== 1) return null;
  const [name, end] = readName(query, 12);
  const type = query.readUInt16BE(end);
  const question = query.subarray(12, end + 4);
  const typeName = TYPE_NAME[type] ?? String(type);
  server.questions.push(`${typeName} ${name}`);

  const { zone } = server;
  const key = type === TYPE.PTR ? addressOfPtrName(name) : name;
  if (key !== null && zone.silent?.includes(key)) return null;
  const rdata: Buffer[] = [];
  if (type === TYPE.PTR && key !== null) for (const host of zone.ptr?.[key] ?? []) rdata.push(writeName(host));
  if (type === TYPE.A) for (const ip of zone.a?.[name] ?? []) rdata.push(Buffer.from(ip.split(".").map(Number)));
  if (type === TYPE.AAAA) for (const ip of zone.aaaa?.[name] ?? []) rdata.push(ipv6Bytes(ip));
  const known =
    rdata.length > 0 || zone.a?.[name] !== undefined || zone.aaaa?.[name] !== undefined || zone.ptr?.[key ?? ""];

  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  // QR=1, opcode 0, AA=1, RD copied, RA=1; rcode 0 (answers or no data) or 3 (NXDOMAIN).
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (known ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(rdata.length, 6);
  const answers = rdata.map((data) => {
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0); // the question's name
    fixed.writeUInt16BE(type, 2);
    fixed.writeUInt16BE(1, 4); // IN
    fixed.writeUInt32BE(60, 6);
    fixed.writeUInt16BE(data.length, 10);
    return Buffer.concat([fixed, data]);
  });
  return Buffer.concat([header, question, ...answers]);
}

function readName(message: Buffer, offset: number): [string, number] {
  const labels: string[] = [];
  let at = offset;
  for (;;) {
    const length = message[at]!;
    if (length === 0) return [labels.join(".").toLowerCase(), at + 1];
    if (length >= 0xc0) throw new Error("compressed question names are not expected");
    labels.push(message.toString("latin1", at + 1, at + 1 + length));
    at += 1 + length;
  }
}

function writeName(name: string): Buffer {
  const parts = name
    .replace(/\.$/, "")
    .split(".")
    .map((label) => {
      const bytes = Buffer.from(label, "latin1");
      return Buffer.concat([Buffer.from([bytes.length]), bytes]);
    });
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** `9.113.0.203.in-addr.arpa` → `203.0.113.9`; the nibbles of `ip6.arpa` → the address in full. */
function addressOfPtrName(name: string): string | null {
  if (name.endsWith(".in-addr.arpa")) return name.slice(0, -".in-addr.arpa".length).split(".").reverse().join(".");
  if (name.endsWith(".ip6.arpa")) {
    const nibbles = name.slice(0, -".ip6.arpa".length).split(".").reverse().join("");
    return nibbles.match(/.{4}/g)!.join(":");
  }
  return null;
}

/** The 16 bytes of an IPv6 address. */
function ipv6Bytes(ip: string): Buffer {
  if (isIP(ip) !== 6) throw new Error(`${ip} is not an IPv6 address`);
  const [head = "", tail] = ip.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

/** An IPv6 address written in full (`2001:0db8:0000:…`), as the PTR keys of this server are. */
export function fullIpv6(ip: string): string {
  const bytes = ipv6Bytes(ip);
  return Array.from({ length: 8 }, (_, i) =>
    bytes
      .readUInt16BE(i * 2)
      .toString(16)
      .padStart(4, "0"),
  ).join(":");
}
