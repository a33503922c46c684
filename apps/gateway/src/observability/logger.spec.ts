import { safeUrl } from "./logger";

describe("safeUrl", () => {
  it.each([
    ["/unsubscribe/abc.def", "/unsubscribe/[REDACTED]"],
    ["/download/xyz", "/download/[REDACTED]"],
    ["/privacy/exports/7f3c/0123abcd", "/privacy/exports/[REDACTED]"],
    ["/privacy/exports/7f3c/0123abcd?x=1", "/privacy/exports/[REDACTED]?x=[REDACTED]"],
    ["/exports/7f3c/sig#frag", "/exports/[REDACTED]#frag"],
  ])("masks every segment of the signed link %s", (url, expected) => {
    expect(safeUrl(url)).toBe(expected);
  });

  it("keeps ordinary paths and drops only query values", () => {
    expect(safeUrl("/graphql")).toBe("/graphql");
    expect(safeUrl("/api/event?utm_source=news&token=s3cret")).toBe(
      "/api/event?utm_source=[REDACTED]&token=[REDACTED]",
    );
    expect(safeUrl("/privacy/requests/12")).toBe("/privacy/requests/12");
  });
});
