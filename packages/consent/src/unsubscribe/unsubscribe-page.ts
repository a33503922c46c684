import { Channel, Topic } from "@honour/platform";
import type { UnsubscribeOutcome, UnsubscribeView } from "./unsubscribe.service";

/** How topics read to people. */
export const TOPIC_LABELS: Readonly<Record<Topic, string>> = {
  [Topic.COMPANY_INFO]: "information about our company",
  [Topic.PRODUCT_UPDATES]: "product updates",
  [Topic.SPECIAL_OFFERS]: "special offers",
  [Topic.NEWSLETTER]: "newsletters",
  [Topic.PARTNER_OFFERS]: "offers from our partners",
};

/** What each topic brings, in the preference centre. */
export const TOPIC_DESCRIPTIONS: Readonly<Record<Topic, string>> = {
  [Topic.COMPANY_INFO]: "News about the company: what we do, where and with whom.",
  [Topic.PRODUCT_UPDATES]: "New versions and features of the products, and changes you should know about.",
  [Topic.SPECIAL_OFFERS]: "Discounts and offers on our own products and services.",
  [Topic.NEWSLETTER]: "Our newsletter, about once a month.",
  [Topic.PARTNER_OFFERS]: "Offers from our partners and resellers, sent by us: your details are not given to them.",
};

/** How channels read to people. */
export const CHANNEL_LABELS: Readonly<Record<Channel, string>> = {
  [Channel.EMAIL]: "Email",
  [Channel.TELEPHONE]: "Telephone",
  [Channel.FAX]: "Fax",
  [Channel.MAIL]: "Post",
};

export interface UnsubscribePageOptions {
  /** Where the preference centre is (footer link); absolute or site-relative. */
  preferencesUrl?: string;
  /** The organisation's name in the page title. */
  organisation?: string;
  /**
   * Puts the page's title and content (HTML) into the site's own page layout; without it the
   * page is a plain document of its own.
   */
  layout?: (title: string, content: string) => string;
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function page(title: string, content: string, options: UnsubscribePageOptions): string {
  const organisation = escapeHtml(options.organisation ?? "Honour");
  const preferences = options.preferencesUrl
    ? `<p><a href="${escapeHtml(options.preferencesUrl)}">Manage all your communication preferences</a></p>`
    : "";
  if (options.layout) return options.layout(title, `${content}\n${preferences}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} – ${organisation}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}button{font:inherit;padding:.5rem 1rem;cursor:pointer}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${content}
${preferences}
</body>
</html>
`;
}

/**
 * The page for `GET /unsubscribe/:token`: a confirm button that POSTs
 * `List-Unsubscribe=One-Click` back to the same address. Showing it changes nothing. Serve it
 * with status 200 when `view.valid`, else 404.
 */
export function renderUnsubscribePage(view: UnsubscribeView, options: UnsubscribePageOptions = {}): string {
  if (!view.valid) {
    return page("This link does not work", "<p>This unsubscribe link is not valid. Nothing was changed.</p>", options);
  }
  const topic = escapeHtml(TOPIC_LABELS[view.topic]);
  const email = escapeHtml(view.maskedEmail);
  if (!view.subscribed) {
    return page("You are unsubscribed", `<p>${email} no longer receives ${topic} by email.</p>`, options);
  }
  return page(
    "Unsubscribe",
    `<p>Stop sending ${topic} to ${email}?</p>
<form method="post" action="">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe from ${topic}</button>
</form>`,
    options,
  );
}

/**
 * The answer to `POST /unsubscribe/:token` (status 200 when `outcome.done`, else 404; never a
 * redirect, as RFC 8058 asks).
 */
export function renderUnsubscribeDone(outcome: UnsubscribeOutcome, options: UnsubscribePageOptions = {}): string {
  if (!outcome.done) {
    return page("This link does not work", "<p>This unsubscribe link is not valid. Nothing was changed.</p>", options);
  }
  return page(
    "You are unsubscribed",
    `<p>You will no longer receive ${escapeHtml(TOPIC_LABELS[outcome.topic])} by email.</p>`,
    options,
  );
}
