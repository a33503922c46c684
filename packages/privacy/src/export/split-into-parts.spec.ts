import { splitIntoParts } from "./data-export.service";

describe("splitIntoParts", () => {
  it("never cuts an emoji in two, and the parts join back to the document", () => {
    // "😀" is two UTF-16 units; with parts of 4 units the second would otherwise end in half of one.
    const body = `abc😀def😀😀g`;
    const parts = splitIntoParts(body, 4);
    expect(parts.join("")).toBe(body);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(4);
      expect(part.length).toBeGreaterThan(0);
      // A lone surrogate would not survive a round trip through UTF-8.
      expect(Buffer.from(part, "utf8").toString("utf8")).toBe(part);
    }
    expect(parts).toEqual(["abc", "😀de", "f😀", "😀g"]);
  });

  it("keeps plain text in full parts, and an empty document has no parts", () => {
    expect(splitIntoParts("abcdefghij", 4)).toEqual(["abcd", "efgh", "ij"]);
    expect(splitIntoParts("", 4)).toEqual([]);
  });
});
