import { inRanges, normaliseIp, parseIpRanges } from "./ip-ranges";

describe("excluded IP ranges", () => {
  const ranges = parseIpRanges([" 10.0.0.0/8", "192.0.2.7", "2001:db8::/32", ""]);

  it.each([
    ["10.255.0.1", true],
    ["11.0.0.1", false],
    ["192.0.2.7", true],
    ["192.0.2.8", false],
    ["2001:db8:1::5", true],
    ["2001:db9::5", false],
    ["not an address", false],
  ])("%s excluded: %s", (ip, excluded) => {
    expect(inRanges(ranges, normaliseIp(ip))).toBe(excluded);
  });

  it("sees an IPv4 address through its IPv6-mapped form", () => {
    expect(normaliseIp("::FFFF:10.1.2.3")).toBe("10.1.2.3");
    expect(inRanges(ranges, normaliseIp("::ffff:10.1.2.3"))).toBe(true);
    expect(normaliseIp("::ffff:abcd")).toBe("::ffff:abcd");
  });

  it.each(["10.0.0.0/33", "10.0.0.0/8/1", "example.com", "10.0.0/8", "::/129", "10.0.0.0/x"])(
    "refuses %s, naming it",
    (entry) => {
      expect(() => parseIpRanges([entry])).toThrow(entry);
    },
  );
});
