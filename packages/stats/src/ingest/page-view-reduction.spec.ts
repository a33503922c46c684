import { BrowserFamilies, cut, reduceHost, reducePageUrl, referrerDomain } from "./page-view-reduction";

describe("page view reduction", () => {
  describe("the page", () => {
    it("keeps the host without www., the path and the three UTM parameters, and drops the rest", () => {
      expect(
        reducePageUrl(
          "https://WWW.Honour.Example:8443/a/b/../c/?utm_medium=email&utm_source=News&utm_campaign=x&fbclid=1&utm_term=t#frag",
        ),
      ).toEqual({ host: "honour.example", path: "/a/c/", utmSource: "News", utmMedium: "email", utmCampaign: "x" });
      expect(reducePageUrl("http://honour.example")).toEqual({
        host: "honour.example",
        path: "/",
        utmSource: null,
        utmMedium: null,
        utmCampaign: null,
      });
    });

    it("treats empty or blank UTM values as none, and trims the rest", () => {
      expect(reducePageUrl("https://honour.example/?utm_source=&utm_medium=%20%20&utm_campaign=%20a%20")).toMatchObject(
        {
          utmSource: null,
          utmMedium: null,
          utmCampaign: "a",
        },
      );
    });

    it.each([
      "",
      "/relative",
      "not a url",
      "ftp://honour.example/",
      "javascript:alert(1)",
      "data:text/html,x",
      "https://",
    ])("refuses %j", (url) => {
      expect(reducePageUrl(url)).toBeNull();
    });

    it("cuts very long paths without splitting a character", () => {
      const path = reducePageUrl(`https://honour.example/${"x".repeat(600)}`)!.path;

      expect(path).toHaveLength(500);
      expect(cut(`${"a".repeat(9)}\u{1F600}`, 10)).toBe("a".repeat(9));
    });
  });

  describe("the referrer", () => {
    const site = new Set(["honour.example", "shop.honour.example"]);

    it.each([
      ["https://www.google.co.uk/search?q=x", "google.co.uk"],
      ["https://aol.com/", "aol.com"],
      ["http://News.Example.ORG./story", "news.example.org"],
      ["https://[2001:db8::1]/", "[2001:db8::1]"],
    ])("reduces %s to %s", (referrer, domain) => {
      expect(referrerDomain(referrer, "honour.example", site)).toBe(domain);
    });

    it.each([
      ["no referrer", null],
      ["the empty string", ""],
      ["the site itself", "https://www.honour.example/pricing"],
      ["another host of the site", "https://shop.honour.example/"],
      ["an app", "android-app://com.google.android.gm/"],
      ["garbage", "http://[::1"],
    ])("gives null for %s", (_name, referrer) => {
      expect(referrerDomain(referrer, "honour.example", site)).toBeNull();
    });

    it("treats the page's own host as the site when no hosts are configured", () => {
      expect(referrerDomain("https://www.blog.example/", "blog.example", new Set())).toBeNull();
    });
  });

  it("reduces a host name", () => {
    expect(reduceHost("WWW.Example.COM.")).toBe("example.com");
    expect(reduceHost("www2.example.com")).toBe("www2.example.com");
    expect(reduceHost(`${"a".repeat(300)}.com`)).toBe("");
  });

  describe("browser families", () => {
    const families = new BrowserFamilies(3);

    it.each([
      ["Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox"],
      [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        "Microsoft Edge",
      ],
      [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        "Safari",
      ],
      // bowser's own answer for a browser it does not know
      ["Mozilla/5.0 (X11; Linux x86_64) Zorblax/1.0", "Mozilla"],
      ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", null],
      ["curl/8.5.0", null],
      ["python-requests/2.32.3", null],
    ])("%s is %s", (userAgent, family) => {
      expect(families.of(userAgent)).toBe(family);
      expect(families.of(userAgent)).toBe(family); // and again, from the cache
    });
  });
});
