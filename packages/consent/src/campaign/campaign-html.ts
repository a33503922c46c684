import type sanitizeHtml from "sanitize-html";

// Allow-lists for the HTML of marketing email. Anything not listed is removed: script, style,
// iframe, object, embed, form and its fields, meta, link, base, svg, on* handlers, class and id.

const COLOUR = [
  /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i,
  /^[a-z]{3,20}$/i,
  /^rgba?\(\s*\d{1,3}%?\s*,\s*\d{1,3}%?\s*,\s*\d{1,3}%?\s*(?:,\s*(?:0|1|0?\.\d+)\s*)?\)$/i,
];
const LENGTH = /^(?:0|auto|\d{1,4}(?:\.\d+)?(?:px|em|rem|%|pt))$/i;
const LENGTHS = /^(?:(?:0|auto|\d{1,4}(?:\.\d+)?(?:px|em|rem|%|pt))\s*){1,4}$/i;
const BORDER =
  /^(?:none|0|\d{1,2}(?:\.\d+)?px\s+(?:solid|dashed|dotted|double)(?:\s+(?:#[0-9a-f]{3}|#[0-9a-f]{6}|[a-z]{3,20}))?)$/i;

/**
 * Inline style properties that lay out and colour a message. No property that takes a URL
 * (`background`, `background-image`, `list-style-image`...) or moves content over the page
 * (`position`, `z-index`), and values only of the shapes below, so no `url()` or `expression()`.
 */
const STYLES: Record<string, RegExp[]> = {
  color: COLOUR,
  "background-color": COLOUR,
  "font-family": [/^[\w\s,'"-]{1,200}$/],
  "font-size": [LENGTH],
  "font-style": [/^(?:normal|italic)$/i],
  "font-weight": [/^(?:normal|bold|bolder|lighter|[1-9]00)$/i],
  "line-height": [LENGTH, /^\d(?:\.\d+)?$/],
  "letter-spacing": [LENGTH],
  "text-align": [/^(?:left|right|center|justify)$/i],
  "text-decoration": [/^(?:none|underline|line-through)$/i],
  "text-transform": [/^(?:none|uppercase|lowercase|capitalize)$/i],
  "vertical-align": [/^(?:top|middle|bottom|baseline)$/i],
  "white-space": [/^(?:normal|nowrap|pre|pre-wrap)$/i],
  display: [/^(?:block|inline|inline-block|none)$/i],
  width: [LENGTH],
  height: [LENGTH],
  "max-width": [LENGTH],
  "min-width": [LENGTH],
  "border-collapse": [/^(?:collapse|separate)$/i],
  "border-radius": [LENGTHS],
  ...Object.fromEntries(
    ["", "-top", "-right", "-bottom", "-left"].flatMap((side) => [
      [`padding${side}`, [LENGTHS]],
      [`margin${side}`, [LENGTHS]],
      [`border${side}`, [BORDER]],
    ]),
  ),
};

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    // Kept so that a whole document keeps its shape and the footer goes before `</body>`.
    "html",
    "body",
    ...["h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "div", "span", "blockquote", "pre", "code", "center"],
    ...["ul", "ol", "li", "dl", "dt", "dd"],
    ...["table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td"],
    ...["b", "strong", "i", "em", "u", "s", "strike", "del", "ins", "sub", "sup", "small", "mark", "abbr", "font"],
    "a",
    "img",
  ],
  allowedAttributes: {
    "*": ["style", "align", "dir", "lang", "title"],
    a: ["href", "name", "target"],
    img: ["src", "alt", "width", "height", "border"],
    table: ["width", "border", "cellpadding", "cellspacing", "bgcolor", "role"],
    tr: ["valign", "bgcolor"],
    td: ["width", "height", "valign", "colspan", "rowspan", "bgcolor"],
    th: ["width", "height", "valign", "colspan", "rowspan", "bgcolor", "scope"],
    col: ["span", "width"],
    colgroup: ["span", "width"],
    ol: ["start", "type"],
    ul: ["type"],
    font: ["color", "face", "size"],
  },
  allowedStyles: { "*": STYLES },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: { img: ["https"] },
  allowProtocolRelative: false,
  // Raw-text and embedding elements lose their content with their tags (`xmp`: sanitize-html's own default).
  nonTextTags: ["script", "style", "textarea", "option", "xmp", "title", "noscript", "iframe", "object", "template"],
  transformTags: {
    // A link goes to the web or to a mailbox (relative and other links lose their href), in a new
    // window or in the mail client's own.
    a: (tagName, { href, target, ...rest }) => ({
      tagName,
      attribs: {
        ...rest,
        ...(href && /^\s*(?:https?:\/\/|mailto:)/i.test(href) ? { href } : {}),
        ...(target === "_blank" ? { target } : {}),
      },
    }),
  },
  // An image without an https source (none, relative, http:, data:...) is dropped.
  exclusiveFilter: (frame) => frame.tag === "img" && !/^https:\/\//i.test(frame.attribs["src"] ?? ""),
};

/**
 * sanitize-html with htmlparser2 and postcss (about 7 MiB resident and a tenth of a second to
 * load), loaded with the first campaign HTML sanitised rather than when the gateway starts
 * (issue 18: idle memory, start-up).
 */
let sanitize: typeof sanitizeHtml | undefined;

function loadSanitizeHtml(): typeof sanitizeHtml {
  // require, not import(): the build is CommonJS, and jest runs it without ES module support.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("sanitize-html") as typeof import("sanitize-html");
}

/**
 * The HTML of a marketing campaign with only what marketing email needs: headings, paragraphs,
 * lists, tables, inline formatting, links to http(s) and mailto, https images and a short list
 * of inline styles. Scripts, style sheets, frames, forms, event handlers and javascript:/data:
 * URLs are removed. `null` when no text or image is left (or there was no HTML): the message
 * then goes as plain text only. Sanitising its own output changes nothing.
 */
export function sanitiseCampaignHtml(html: string | null | undefined): string | null {
  if (!html?.trim()) return null;
  sanitize ??= loadSanitizeHtml();
  const clean = sanitize(html, OPTIONS);
  const text = clean.replace(/<[^>]*>/g, "").replace(/&nbsp;|&#160;/g, " ");
  return text.trim() === "" && !/<img\b/i.test(clean) ? null : clean;
}
