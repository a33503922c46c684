import { clientFamilies } from "./client-families";

const FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
  "Version/17.5 Mobile/15E148 Safari/604.1";
const CHROME_MAC =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) " +
  "Chrome/131.0.0.0 Safari/537.36";

describe("clientFamilies", () => {
  it.each([
    [FIREFOX_WINDOWS, { browser: "Firefox", os: "Windows" }],
    [SAFARI_IPHONE, { browser: "Safari", os: "iOS" }],
    [CHROME_MAC, { browser: "Chrome", os: "macOS" }],
  ])("reads the browser and OS families of %s", (userAgent, families) => {
    expect(clientFamilies(userAgent)).toEqual(families);
  });

  it("knows nothing of a missing, empty or overlong user agent", () => {
    for (const userAgent of [undefined, "", `Mozilla/5.0 ${"x".repeat(2000)} Firefox/133.0`]) {
      expect(clientFamilies(userAgent)).toEqual({ browser: null, os: null });
    }
  });

  it("answers null families for an agent bowser does not recognise", () => {
    expect(clientFamilies("curl/8.5.0")).toEqual({ browser: null, os: null });
  });
});
