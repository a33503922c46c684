import { randomBytes } from "node:crypto";
// Its functions call each other through `this`: called on the module, never destructured.
import * as mimeFuncs from "nodemailer/lib/mime-funcs";
import { encode as qpEncode, wrap as qpWrap } from "nodemailer/lib/qp";
import type { MailAddress, OutgoingMail } from "./mail-transport";

/** Addresses written as they are: printable ASCII, one `@`, no quoting needed. Anything else goes through nodemailer's composer. */
const PLAIN_ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+$/;
/** A display name that needs neither encoding nor more than quotes. */
const PLAIN_NAME = /^[\x20-\x7e]*$/;
/** Encoded pieces kept (a campaign's body is a handful of them; footers are never asked for twice). */
const CACHE_LIMIT = 64;

/**
 * Builds RFC 5322 messages by hand, for the SMTP transport: nodemailer's composer spends several
 * milliseconds a message (a stream pipeline per MIME node), which capped campaigns at a few
 * hundred messages a second. The body of a campaign is the same for every recipient, so its
 * quoted-printable form is made once and kept (keyed by the very string, whose hash V8 caches);
 * only the footer and the headers are encoded per message.
 *
 * `buildMime` returns null for what it does not write itself (an address outside plain ASCII),
 * and the transport lets nodemailer compose that message instead.
 */
export class MimeBuilder {
  private readonly encoded = new Map<string, string>();
  private readonly headerCache = new Map<string, string>();
  private readonly fromCache = new Map<string, { header: string; address: string } | null>();

  build(mail: OutgoingMail, date = new Date()): { raw: string; envelope: { from: string; to: string[] } } | null {
    const from = this.cached(this.fromCache, mail.from, () => fromHeader(mail.from));
    if (!from || !PLAIN_ADDRESS.test(mail.to.address)) return null;
    const head: string[] = [
      `From: ${from.header}`,
      `To: ${addressHeader(mail.to)}`,
      mimeFuncs.foldLines(
        `Subject: ${this.cached(this.headerCache, mail.subject, () => mimeFuncs.encodeWords(oneLine(mail.subject), "Q", 52))}`,
        76,
      ),
      `Message-ID: ${oneLine(mail.messageId)}`,
      `Date: ${date.toUTCString().replace(/GMT$/, "+0000")}`,
    ];
    for (const [name, value] of Object.entries(mail.headers ?? {})) {
      head.push(mimeFuncs.foldLines(`${name}: ${mimeFuncs.encodeWords(oneLine(value), "Q", 52)}`, 76));
    }
    head.push("MIME-Version: 1.0");
    const text = this.body(mail.textParts ?? [mail.text]);
    let raw: string;
    if (mail.html) {
      const boundary = `--_honour_${randomBytes(12).toString("hex")}`;
      raw =
        `${head.join("\r\n")}\r\nContent-Type: multipart/alternative;\r\n boundary="${boundary}"\r\n\r\n` +
        `--${boundary}\r\n${PART_HEADERS.text}\r\n\r\n${text}\r\n` +
        `--${boundary}\r\n${PART_HEADERS.html}\r\n\r\n${this.body(mail.htmlParts ?? [mail.html])}\r\n` +
        `--${boundary}--\r\n`;
    } else {
      raw = `${head.join("\r\n")}\r\n${PART_HEADERS.text}\r\n\r\n${text}\r\n`;
    }
    return { raw, envelope: { from: from.address, to: [mail.to.address] } };
  }

  /**
   * The quoted-printable form of pieces whose concatenation is the part's content. A piece that
   * ends mid-line is joined to the next by a soft line break (`=` CRLF), which decoders drop.
   */
  private body(parts: readonly string[]): string {
    let out = "";
    for (const part of parts) {
      if (part === "") continue;
      if (out !== "" && !out.endsWith("\r\n")) out += "=\r\n";
      out += this.cached(this.encoded, part, () => qpWrap(qpEncode(part.replace(/\r?\n|\r/g, "\r\n")), 76));
    }
    return out;
  }

  private cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
    let value = cache.get(key);
    if (value === undefined) {
      value = make();
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
      cache.set(key, value);
    }
    return value;
  }
}

const PART_HEADERS = {
  text: "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable",
  html: "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable",
};

/** A header value never spans lines it was not folded into. */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, " ");
}

/** `"Name" <address>`, the name encoded (RFC 2047) when it is not plain ASCII. */
function addressHeader({ name, address }: MailAddress): string {
  const clean = oneLine(name).trim();
  if (!clean) return address;
  const display = PLAIN_NAME.test(clean)
    ? `"${clean.replace(/["\\]/g, "\\$&")}"`
    : mimeFuncs.encodeWord(clean, "Q", 52);
  return mimeFuncs.foldLines(`${display} <${address}>`, 76, true);
}

/** The From setting (`"Honour" <news@example.com>` or a bare address): its header and envelope address. */
function fromHeader(from: string): { header: string; address: string } | null {
  const match = /^\s*(?:"?([^"<]*?)"?\s*)?<([^<>\s]+)>\s*$/.exec(from) ?? /^\s*()([^<>\s"]+)\s*$/.exec(from);
  if (!match || !PLAIN_ADDRESS.test(match[2]!)) return null;
  const address = match[2]!;
  return { header: addressHeader({ name: match[1] ?? "", address }), address };
}
