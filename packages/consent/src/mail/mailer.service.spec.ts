import { Topic } from "@honour/platform";
import type { MailTransport, OutgoingMail } from "./mail-transport";
import { Mailer, type MailSettings } from "./mailer.service";

const settings: MailSettings = {
  from: '"Honour" <news@honour.example>',
  publicUrl: "https://www.honour.example",
  unsubscribeMailto: "unsubscribe@honour.example",
  preferencesUrl: "https://www.honour.example/preferences",
  organisation: "Honour & Co",
  messageIdDomain: "honour.example",
};

function recording(): MailTransport & { sent: OutgoingMail[] } {
  const sent: OutgoingMail[] = [];
  return { kind: "file", sent, send: async (mail) => void sent.push(mail), close: () => {} };
}

describe("Mailer", () => {
  const token = "AAAAAAAAAAAAAAAAAAAAAA.0123456789abcdef0123456789abcdef";

  it("gives marketing mail RFC 8058 headers and a footer with the unsubscribe link and the preference centre", () => {
    const mailer = new Mailer(recording(), settings);

    const mail = mailer.composeMarketing(
      "0190-id",
      { name: "Ada", address: "ada@example.com" },
      {
        topic: Topic.SPECIAL_OFFERS,
        subject: "Sale",
        bodyText: "20% off.\n\n",
        bodyHtml: "<html><body><p>20% off.</p></body></html>",
      },
      token,
    );

    const url = `https://www.honour.example/unsubscribe/${token}`;
    expect(mail.messageId).toBe("<0190-id@honour.example>");
    expect(mail.headers).toEqual({
      "List-Unsubscribe": `<${url}>, <mailto:unsubscribe@honour.example?subject=unsubscribe%20${token}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    });
    expect(mail.text).toBe(
      [
        "20% off.",
        "",
        "--",
        "You receive special offers from Honour & Co by email because you chose to.",
        `Unsubscribe from special offers: ${url}`,
        "Manage your communication preferences: https://www.honour.example/preferences",
        "",
      ].join("\n"),
    );
    expect(mail.html).toMatch(/^<html><body><p>20% off\.<\/p><hr><p [^>]*>.*<\/p><\/body><\/html>$/);
    expect(mail.html).toContain(`<a href="${url}">Unsubscribe from special offers</a>`);
    expect(mail.html).toContain("Honour &amp; Co");
    expect(mail.html).toContain('<a href="https://www.honour.example/preferences">');
  });

  it("appends the footer to HTML without a body element", () => {
    const mail = new Mailer(recording(), settings).composeMarketing(
      "id",
      { name: "Ada", address: "ada@example.com" },
      { topic: Topic.NEWSLETTER, subject: "S", bodyText: "T", bodyHtml: "<p>Hi</p>" },
      token,
    );
    expect(mail.html).toMatch(/^<p>Hi<\/p><hr>/);
  });

  it("sends transactional mail without any marketing unsubscribe", async () => {
    const transport = recording();

    await new Mailer(transport, settings).sendTransactional("id", {
      to: { name: "Ada", address: "ada@example.com" },
      subject: "Your order",
      text: "Thank you for your order.",
    });

    expect(transport.sent).toEqual([
      {
        messageId: "<id@honour.example>",
        from: settings.from,
        to: { name: "Ada", address: "ada@example.com" },
        subject: "Your order",
        text: "Thank you for your order.",
        html: null,
      },
    ]);
    expect(JSON.stringify(transport.sent)).not.toMatch(/List-Unsubscribe|unsubscribe\//i);
  });
});
