import { MimeBuilder } from "./mime";
import type { OutgoingMail } from "./mail-transport";

/** Undoes quoted-printable (soft breaks, =XX), as a mail client does. */
function qpDecode(body: string): string {
  const bytes = body
    .replace(/=\r\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

/** The message's headers (folds joined) and its parts' decoded bodies. */
function parse(raw: string): { headers: Map<string, string>; parts: Map<string, string> } {
  const split = raw.indexOf("\r\n\r\n");
  const headers = new Map<string, string>();
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]+/g, " ")
    .split("\r\n")) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const parts = new Map<string, string>();
  const boundary = /boundary="([^"]+)"/.exec(headers.get("content-type") ?? "")?.[1];
  const bodies = boundary
    ? raw
        .slice(split + 4)
        .split(`--${boundary}`)
        .slice(1, -1)
        .map((p) => p.replace(/^\r\n/, "").replace(/\r\n$/, ""))
    : [
        `${raw
          .slice(0, split)
          .split("\r\n")
          .filter((l) => /^content-/i.test(l))
          .join("\r\n")}\r\n\r\n${raw.slice(split + 4).replace(/\r\n$/, "")}`,
      ];
  for (const part of bodies) {
    const end = part.indexOf("\r\n\r\n");
    const type = /content-type: ([^;\r\n]+)/i.exec(part.slice(0, end))![1]!;
    expect(part.slice(0, end)).toMatch(/content-transfer-encoding: quoted-printable/i);
    parts.set(type, qpDecode(part.slice(end + 4)));
  }
  return { headers, parts };
}

/** RFC 2047 Q words, decoded (the space between two of them is not part of the text). */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(?==\?)/g, "$1")
    .replace(/=\?utf-8\?Q\?([^?]*)\?=/gi, (_, q: string) => qpDecode(q.replace(/_/g, " ")));
}

const body = `Hello Zoë,\n\n${"Here is what is new this month — and a line long enough to need folding. ".repeat(4)}\n\n`;
const htmlBefore = `<html><body><p>${'Ünïcode and a <a href="https://shop.example/sale?a=1&b=2">link</a> '.repeat(6)}</p>`;

function campaignMail(i: number): OutgoingMail {
  const footer = `--\nUnsubscribe: https://www.honour.example/unsubscribe/tok${i}.abc\n`;
  const htmlFooter = `<hr><p>Unsubscribe <a href="https://www.honour.example/unsubscribe/tok${i}.abc">here</a></p>`;
  return {
    messageId: `<0190-${i}@honour.example>`,
    from: '"Honour Café" <news@honour.example>',
    to: { name: `Zoë "Z" Reader ${i}`, address: `reader${i}@example.com` },
    subject: "Winter sale — 20 % off",
    text: body + footer,
    textParts: [body, footer],
    html: `${htmlBefore}${htmlFooter}</body></html>`,
    htmlParts: [htmlBefore, htmlFooter, "</body></html>"],
    headers: { "List-Unsubscribe": `<https://www.honour.example/unsubscribe/tok${i}.abc>`, "X-Plain": "yes" },
  };
}

describe("MimeBuilder", () => {
  it("writes each part so that it decodes to exactly the message's text and HTML, in lines of at most 78", () => {
    const builder = new MimeBuilder();
    for (const i of [1, 2]) {
      const mail = campaignMail(i);
      const built = builder.build(mail, new Date("2030-01-02T03:04:05Z"))!;
      expect(built.envelope).toEqual({ from: "news@honour.example", to: [`reader${i}@example.com`] });
      for (const line of built.raw.split("\r\n")) expect(line.length).toBeLessThanOrEqual(78);
      expect(built.raw).not.toMatch(/[^\r]\n/); // every line ends in CRLF
      const { headers, parts } = parse(built.raw);
      expect(parts.get("text/plain")).toBe(mail.text.replace(/\n/g, "\r\n"));
      expect(parts.get("text/html")).toBe(mail.html);
      expect(headers.get("message-id")).toBe(`<0190-${i}@honour.example>`);
      expect(headers.get("date")).toBe("Wed, 02 Jan 2030 03:04:05 +0000");
      expect(decodeWords(headers.get("subject")!)).toBe("Winter sale — 20 % off");
      expect(decodeWords(headers.get("from")!)).toBe("Honour Café <news@honour.example>");
      expect(decodeWords(headers.get("to")!)).toBe(`Zoë "Z" Reader ${i} <reader${i}@example.com>`);
      expect(headers.get("list-unsubscribe")).toBe(`<https://www.honour.example/unsubscribe/tok${i}.abc>`);
      expect(headers.get("x-plain")).toBe("yes");
      expect(headers.get("mime-version")).toBe("1.0");
    }
  });

  it("writes a text-only message as one part, and keeps a header from spilling into new lines", () => {
    const built = new MimeBuilder().build({
      messageId: "<a@b.example>",
      from: "news@honour.example",
      to: { name: "", address: "ada@example.com" },
      subject: "Hi\r\nBcc: everyone@example.com",
      text: "Plain.",
    })!;
    const { headers, parts } = parse(built.raw);
    expect(headers.get("to")).toBe("ada@example.com");
    expect(headers.get("subject")).toBe("Hi Bcc: everyone@example.com");
    expect(headers.has("bcc")).toBe(false);
    expect(parts.get("text/plain")).toBe("Plain.");
  });

  it("leaves to nodemailer an address it does not write itself", () => {
    const mail = { ...campaignMail(1), to: { name: "Zoë", address: "zoë@exämple.com" } };
    expect(new MimeBuilder().build(mail)).toBeNull();
  });
});
