import type { Topic } from "@honour/platform";
import { escapeHtml, TOPIC_LABELS } from "../unsubscribe/unsubscribe-page";
import type { MailAddress, MailTransport, OutgoingMail } from "./mail-transport";

/** What messages say about where they come from and where to unsubscribe. */
export interface MailSettings {
  /** The From header, e.g. `"Honour" <news@example.com>`. */
  from: string;
  /** The site's public address, without a trailing slash. */
  publicUrl: string;
  /** The mailbox of the List-Unsubscribe mailto (its subject carries the token). */
  unsubscribeMailto: string;
  /** The preference centre, linked from every marketing message's footer. */
  preferencesUrl: string;
  /** The sender's name in footers. */
  organisation: string;
  /** The domain of Message-IDs. */
  messageIdDomain: string;
}

/** A marketing message's content. */
export interface MarketingContent {
  topic: Topic;
  subject: string;
  bodyText: string;
  bodyHtml: string | null;
}

/** A transactional message (order confirmation, password changed): no marketing unsubscribe. */
export interface TransactionalMail {
  to: MailAddress;
  subject: string;
  text: string;
  html?: string | null;
}

/**
 * Composes and sends mail. Marketing messages carry `List-Unsubscribe` (the https URL and a
 * mailto) and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), and a footer with
 * the unsubscribe link and the preference centre; transactional messages carry neither.
 */
export class Mailer {
  constructor(
    readonly transport: MailTransport,
    readonly settings: MailSettings,
  ) {}

  /** The address of the page behind an unsubscribe token. */
  unsubscribeUrl(token: string): string {
    return `${this.settings.publicUrl}/unsubscribe/${encodeURIComponent(token)}`;
  }

  composeMarketing(id: string, to: MailAddress, content: MarketingContent, token: string): OutgoingMail {
    const unsubscribeUrl = this.unsubscribeUrl(token);
    const mailto = `mailto:${this.settings.unsubscribeMailto}?subject=${encodeURIComponent(`unsubscribe ${token}`)}`;
    const topic = TOPIC_LABELS[content.topic];
    const { organisation, preferencesUrl } = this.settings;
    const footerText = [
      "--",
      `You receive ${topic} from ${organisation} by email because you chose to.`,
      `Unsubscribe from ${topic}: ${unsubscribeUrl}`,
      `Manage your communication preferences: ${preferencesUrl}`,
    ].join("\n");
    const footerHtml =
      `<hr><p style="font-size:12px;color:#555">You receive ${escapeHtml(topic)} from ${escapeHtml(organisation)} ` +
      `by email because you chose to. <a href="${escapeHtml(unsubscribeUrl)}">Unsubscribe from ${escapeHtml(topic)}</a>` +
      ` · <a href="${escapeHtml(preferencesUrl)}">Manage your communication preferences</a></p>`;
    return {
      messageId: `<${id}@${this.settings.messageIdDomain}>`,
      from: this.settings.from,
      to,
      subject: content.subject,
      text: `${content.bodyText.replace(/\s+$/, "")}\n\n${footerText}\n`,
      html: content.bodyHtml ? withFooter(content.bodyHtml, footerHtml) : null,
      headers: {
        "List-Unsubscribe": `<${unsubscribeUrl}>, <${mailto}>`,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      },
    };
  }

  /** Sends a transactional message, which no marketing opt-out stops. */
  sendTransactional(id: string, mail: TransactionalMail): Promise<void> {
    return this.transport.send({
      messageId: `<${id}@${this.settings.messageIdDomain}>`,
      from: this.settings.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html ?? null,
    });
  }
}

/** The footer goes just before `</body>` when the HTML has one, else at the end. */
function withFooter(html: string, footer: string): string {
  const close = html.search(/<\/body\s*>/i);
  return close >= 0 ? `${html.slice(0, close)}${footer}${html.slice(close)}` : `${html}${footer}`;
}
