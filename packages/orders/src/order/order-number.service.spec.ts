import { formatOrderNumber, parseOrderNumber } from "./order-number.service";

describe("order numbers", () => {
  it.each([
    [1, "HON-000001"],
    [123, "HON-000123"],
    [999_999, "HON-999999"],
    [1_000_000, "HON-1000000"],
  ])("shows %d as %s", (number, text) => {
    expect(formatOrderNumber(number)).toBe(text);
    expect(parseOrderNumber(text)).toBe(number);
  });

  it("reads them in any case and with spaces around", () => {
    expect(parseOrderNumber(" hon-000042 ")).toBe(42);
  });

  it.each(["HON-123", "HON-0000123", "ORD-000123", "HON-00012a", "", "HON-000000"])("does not read %p", (text) => {
    expect(parseOrderNumber(text)).toBeNull();
  });

  it("refuses to show numbers that cannot be order numbers", () => {
    expect(() => formatOrderNumber(0)).toThrow(RangeError);
    expect(() => formatOrderNumber(1.5)).toThrow(RangeError);
  });
});
