import { sanitiseCampaignHtml } from "./campaign-html";

describe("sanitiseCampaignHtml", () => {
  it("keeps headings, paragraphs, lists and inline formatting as they were written", () => {
    const html =
      "<h1>Winter sale</h1><h2>This week only</h2><p>Everything <strong>20%</strong> off, <em>really</em>.</p>" +
      '<ul><li><b>Coats</b></li><li><i>Hats</i> <u>and</u> <s>gloves</s></li></ul><ol start="2"><li>Scarves</li></ol>' +
      "<blockquote>Best prices in years</blockquote><p>H<sub>2</sub>O<sup>1</sup> <small>terms apply</small></p>";

    expect(sanitiseCampaignHtml(html)).toBe(html);
  });

  it("keeps layout tables with their presentational attributes, and drops class and id", () => {
    expect(
      sanitiseCampaignHtml(
        '<table width="600" cellpadding="0" cellspacing="0" border="0" role="presentation" class="wrapper" id="main">' +
          '<tr><td align="center" valign="top" bgcolor="#ffffff" colspan="2">Cell</td></tr></table>',
      ),
    ).toBe(
      '<table width="600" cellpadding="0" cellspacing="0" border="0" role="presentation">' +
        '<tr><td align="center" valign="top" bgcolor="#ffffff" colspan="2">Cell</td></tr></table>',
    );
  });

  it("removes script, style, iframe, object, embed and form elements, with the content of the first four", () => {
    expect(
      sanitiseCampaignHtml(
        "<p>Hello<script>alert(1)</script></p><style>p{color:red}</style>" +
          '<iframe src="https://frame.example/">framed</iframe><object data="https://x.example/o">object</object>' +
          '<embed src="https://x.example/e"><form action="https://x.example/f"><input name="q"><button>Go</button></form>',
      ),
    ).toBe("<p>Hello</p>Go");
  });

  it("removes every event handler attribute and keeps the element", () => {
    expect(
      sanitiseCampaignHtml(
        '<p onclick="alert(1)" onmouseover="steal()">Click</p><img src="https://cdn.example/a.png" onerror="alert(1)" alt="A">',
      ),
    ).toBe('<p>Click</p><img src="https://cdn.example/a.png" alt="A" />');
  });

  it("keeps http, https and mailto links and removes javascript:, data:, vbscript:, relative and protocol-relative ones", () => {
    expect(
      sanitiseCampaignHtml(
        '<a href="https://shop.example/sale?a=1&b=2" target="_blank">Sale</a> <a href="http://old.example/">Old</a> ' +
          '<a href="mailto:help@honour.example" target="_top">Mail</a>',
      ),
    ).toBe(
      '<a href="https://shop.example/sale?a=1&amp;b=2" target="_blank">Sale</a> <a href="http://old.example/">Old</a> ' +
        '<a href="mailto:help@honour.example">Mail</a>',
    );
    expect(
      sanitiseCampaignHtml(
        '<a href="javascript:alert(1)">1</a><a href=" JaVaScRiPt:alert(1)">2</a><a href="jav&#x09;ascript:alert(1)">3</a>' +
          '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">4</a><a href="vbscript:msgbox(1)">5</a>' +
          '<a href="/account">6</a><a href="//evil.example/">7</a>',
      ),
    ).toBe("<a>1</a><a>2</a><a>3</a><a>4</a><a>5</a><a>6</a><a>7</a>");
  });

  it("keeps images with an https source and drops every other image", () => {
    expect(
      sanitiseCampaignHtml(
        '<img src="http://cdn.example/a.png"><img src="data:image/png;base64,iVBORw0KGgo="><img src="/logo.png">' +
          '<img src="javascript:alert(1)"><img alt="no source">' +
          '<img src="https://cdn.example/banner.png" width="600" alt="Banner" srcset="https://cdn.example/b2.png 2x">',
      ),
    ).toBe('<img src="https://cdn.example/banner.png" width="600" alt="Banner" />');
  });

  it("keeps inline styles that colour and lay out, and drops urls, expressions and positioning", () => {
    expect(
      sanitiseCampaignHtml(
        '<p style="color:#c00;font-size:16px;background-image:url(https://track.example/p.gif);position:fixed;top:0">x</p>' +
          '<div style="width:expression(alert(1));background:url(javascript:alert(1));padding:10px 20px;border:1px solid #ddd;text-align:center">y</div>' +
          '<span style="behavior:url(x.htc);color:red">z</span>',
      ),
    ).toBe(
      '<p style="color:#c00;font-size:16px">x</p>' +
        '<div style="padding:10px 20px;border:1px solid #ddd;text-align:center">y</div>' +
        '<span style="color:red">z</span>',
    );
  });

  it("keeps a whole document's html and body, and drops its head: title, meta refresh, style sheets, base", () => {
    expect(
      sanitiseCampaignHtml(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=https://evil.example/">' +
          "<title>The title</title><style>body{background:url(https://track.example/p.gif)}</style>" +
          '<link rel="stylesheet" href="https://x.example/s.css"><base href="https://evil.example/"></head>' +
          '<body style="margin:0"><!-- a comment --><!--[if mso]><p>Outlook</p><![endif]--><p>Body</p></body></html>',
      ),
    ).toBe('<html><body style="margin:0"><p>Body</p></body></html>');
  });

  it("lets no script through raw-text, template, SVG or MathML wrappers", () => {
    const clean = sanitiseCampaignHtml(
      "<p>Before</p><xmp><script>alert(1)</script></xmp>" +
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">n</p></noscript>' +
        "<template><script>alert(2)</script></template><svg onload=alert(3)><script>alert(3)</script></svg>" +
        '<math><mi xlink:href="javascript:alert(4)">m</mi></math><p>After</p>',
    );

    expect(clean).toBe("<p>Before</p>m<p>After</p>");
  });

  it("gives null when no text or image is left, or there was no HTML", () => {
    expect(sanitiseCampaignHtml("<script>alert(1)</script>")).toBeNull();
    expect(sanitiseCampaignHtml("<html><body><script>alert(1)</script>\n</body></html>")).toBeNull();
    expect(sanitiseCampaignHtml("  \n ")).toBeNull();
    expect(sanitiseCampaignHtml("")).toBeNull();
    expect(sanitiseCampaignHtml(null)).toBeNull();
    expect(sanitiseCampaignHtml('<p><img src="https://cdn.example/only-an-image.png"></p>')).toBe(
      '<p><img src="https://cdn.example/only-an-image.png" /></p>',
    );
  });

  it("changes nothing in what it has sanitised already, so stored, previewed and sent HTML are the same", () => {
    const once = sanitiseCampaignHtml(
      "<html><body><h1 style=\"color:#333;font-family:Georgia, 'Times New Roman', serif\">Hi &amp; welcome</h1>" +
        '<p>5 &lt; 6 &gt; 4 &quot;quoted&quot; caf&eacute;</p><a href="https://x.example/?a=1&b=2" target="_blank">Go</a>' +
        '<img src="https://cdn.example/a.png" alt="A &amp; B"><script>alert(1)</script></body></html>',
    );

    expect(once).not.toBeNull();
    expect(once).not.toContain("script");
    expect(sanitiseCampaignHtml(once)).toBe(once);
  });
});
