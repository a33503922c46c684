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

/** How a marketing message's footer reads for its recipient. */
export interface MarketingOptions {
  /** The recipient's signed preference link token; without it the footer links the bare preference centre. */
  preferencesToken?: string;
  /** The recipient has the policy's soft opt-in (never ticked a box): the footer says so. */
  softOptIn?: boolean;
}

/** A campaign's content, ready to be addressed to each recipient ({@link Mailer.marketingTemplate}). */
export interface MarketingTemplate {
  /** The message to one recipient: their footer (unsubscribe token, preference link, why) and headers. */
  compose(id: string, to: MailAddress, token: string, options?: MarketingOptions): OutgoingMail;
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

  /** The preference centre, opened from a message by its signed preference link when there is one. */
  preferencesUrl(preferencesToken?: string): string {
    const base = this.settings.preferencesUrl;
    return preferencesToken ? `${base}?token=${encodeURIComponent(preferencesToken)}` : base;
  }

  /**
   * A marketing message as its recipient gets it: the body, then a footer saying why they get it,
   * the unsubscribe link and the preference centre (by the signed preference link when given), and
   * the RFC 8058 headers. A soft opt-in recipient never ticked a box, so their footer says they get
   * it because they registered or bought from us, not because they chose to.
   */
  composeMarketing(
    id: string,
    to: MailAddress,
    content: MarketingContent,
    token: string,
    options: MarketingOptions = {},
  ): OutgoingMail {
    return this.marketingTemplate(content).compose(id, to, token, options);
  }

  /**
   * A campaign's content made ready once for all its recipients: the HTML split where the footer
   * goes, and the same body strings in every message, which the SMTP transport encodes only once.
   */
  marketingTemplate(content: MarketingContent): MarketingTemplate {
    const topic = TOPIC_LABELS[content.topic];
    const { organisation } = this.settings;
    const text = `${content.bodyText.replace(/\s+$/, "")}\n\n`;
    const html = content.bodyHtml ? splitForFooter(content.bodyHtml) : null;
    const topicHtml = escapeHtml(topic);
    const organisationHtml = escapeHtml(organisation);
    const headers = {
      messageIdDomain: this.settings.messageIdDomain,
      from: this.settings.from,
      subject: content.subject,
    };
    return {
      compose: (id, to, token, options = {}) => {
        const unsubscribeUrl = this.unsubscribeUrl(token);
        const mailto = `mailto:${this.settings.unsubscribeMailto}?subject=${encodeURIComponent(`unsubscribe ${token}`)}`;
        const preferencesUrl = this.preferencesUrl(options.preferencesToken);
        const why = options.softOptIn
          ? "because you registered or bought from us and have not said no"
          : "because you chose to";
        const footerText = [
          "--",
          `You receive ${topic} from ${organisation} by email ${why}.`,
          `Unsubscribe from ${topic}: ${unsubscribeUrl}`,
          `Manage your communication preferences: ${preferencesUrl}`,
          "",
        ].join("\n");
        const textParts = [text, footerText];
        const htmlParts = html
          ? [
              html.before,
              `<hr><p style="font-size:12px;color:#555">You receive ${topicHtml} from ${organisationHtml} ` +
                `by email ${why}. <a href="${escapeHtml(unsubscribeUrl)}">Unsubscribe from ${topicHtml}</a>` +
                ` · <a href="${escapeHtml(preferencesUrl)}">Manage your communication preferences</a></p>`,
              html.after,
            ]
          : undefined;
        return {
          messageId: `<${id}@${headers.messageIdDomain}>`,
          from: headers.from,
          to,
          subject: headers.subject,
          text: textParts.join(""),
          html: htmlParts ? htmlParts.join("") : null,
          textParts,
          ...(htmlParts ? { htmlParts } : {}),
          headers: {
            "List-Unsubscribe": `<${unsubscribeUrl}>, <${mailto}>`,
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
          },
        };
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
function splitForFooter(html: string): { before: string; after: string } {
  const close = html.search(/<\/body\s*>/i);
  return close >= 0 ? { before: html.slice(0, close), after: html.slice(close) } : { before: html, after: "" };
}
