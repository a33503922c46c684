import { toCsv } from "./csv";

describe("the CSV download", () => {
  it("quotes what needs quoting, ends lines with CRLF and defuses spreadsheet formulas", () => {
    expect(
      toCsv([
        ["section", "key", "visitors"],
        ["page", '/a,"b"', 3],
        ["referrer", "=HYPERLINK(1)", null],
      ]),
    ).toBe('section,key,visitors\r\npage,"/a,""b""",3\r\nreferrer,\'=HYPERLINK(1),\r\n');
  });
});
