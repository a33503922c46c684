import type { FastifyInstance, FastifyReply } from "fastify";
import { PAGES_CSS } from "./pages-css";

/** Where the people's pages' one stylesheet is served. */
export const PAGES_CSS_PATH = "/assets/pages.css";

/**
 * The people's pages are plain HTML: no script at all, the one stylesheet from this origin, forms
 * posting only here, never framed. Links carry no Referer, since a page's address may hold a token.
 */
export const PAGES_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface PageOptions {
  /** The page's title and its one `<h1>`. */
  title: string;
  /** The HTML inside `<main>`, after the `<h1>`. Escape every value put in it. */
  body: string;
  /** The organisation's name, in the header and the title. */
  organisation?: string;
}

/**
 * One layout for every page a person sees (preference centre, unsubscribe, account and data
 * export pages): a language, a viewport for phones, a skip link, one `<h1>`, and the stylesheet.
 */
export function renderPage({ title, body, organisation = "Honour" }: PageOptions): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">` +
    `<title>${escapeHtml(title)} – ${escapeHtml(organisation)}</title>` +
    `<link rel="stylesheet" href="${PAGES_CSS_PATH}"></head><body>` +
    `<a class="skip" href="#main">Skip to the content</a>` +
    `<header><p class="brand">${escapeHtml(organisation)}</p></header>` +
    `<main id="main"><h1>${escapeHtml(title)}</h1>${body}</main>` +
    `<footer><p><a href="/privacy-policy">Privacy policy</a> · <a href="/account/preferences">Communication preferences</a></p></footer>` +
    `</body></html>`
  );
}

/** Sends a page with the headers every people's page carries. */
export function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header("content-type", "text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .header("referrer-policy", "no-referrer")
    .header("content-security-policy", PAGES_CSP)
    .header("x-frame-options", "DENY")
    .header("x-content-type-options", "nosniff")
    .send(html);
}

/** A short notice (role=status) or an error list (role=alert) at the top of a page. */
export function notice(text: string, kind: "status" | "alert" = "status"): string {
  return `<div class="notice ${kind === "alert" ? "error" : "ok"}" role="${kind}"><p>${escapeHtml(text)}</p></div>`;
}

/**
 * True when a form POST comes from another site, so is refused: no other site may act on a
 * person's behalf. Browsers that send Sec-Fetch-Site are taken at their word (only same-origin
 * passes); they send `Origin: null` for a form on a page with `Referrer-Policy: no-referrer`, as
 * these pages are. Without it, the Origin must be ours when there is one.
 */
export function isCrossSite(headers: Record<string, string | string[] | undefined>, publicOrigin: string): boolean {
  const site = headers["sec-fetch-site"];
  if (typeof site === "string" && site !== "") return site !== "same-origin" && site !== "none";
  const origin = headers["origin"];
  return typeof origin === "string" && origin !== "" && origin !== publicOrigin;
}

/** `GET /assets/pages.css`: the stylesheet, cached for a day (it is small and changes rarely). */
export function registerPageAssets(app: FastifyInstance): void {
  app.get(PAGES_CSS_PATH, async (_request, reply) =>
    reply
      .header("content-type", "text/css; charset=utf-8")
      .header("cache-control", "public, max-age=86400")
      .header("x-content-type-options", "nosniff")
      .send(PAGES_CSS),
  );
}
