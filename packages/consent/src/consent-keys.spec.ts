import { Channel } from "@honour/platform";
import { ConsentKeys, identifierOf, normaliseIdentifier, postalKey } from "./consent-keys";

describe("identifiers for the suppression list", () => {
  it("normalises emails, numbers and addresses the way profiles hold them", () => {
    expect(normaliseIdentifier(Channel.EMAIL, "  Ada@Example.COM ")).toBe("ada@example.com");
    expect(normaliseIdentifier(Channel.TELEPHONE, "+44 (20) 7946-0000")).toBe("+442079460000");
    expect(normaliseIdentifier(Channel.FAX, "+1.212.555.0100")).toBe("+12125550100");
    expect(normaliseIdentifier(Channel.MAIL, "1 High Street, Flat 2, London, sw1a 1aa, gb")).toBe(
      "GB|SW1A1AA|1 high street",
    );
  });

  it.each([
    [Channel.EMAIL, "ada"],
    [Channel.TELEPHONE, "020 7946 0000"],
    [Channel.TELEPHONE, "+0 20 7946 0000"],
    [Channel.TELEPHONE, "+44 20 7946 0000 ext 2"],
    [Channel.FAX, "+1234"],
    [Channel.MAIL, "1 High Street, London"],
    [Channel.MAIL, "1 High Street, London, SW1A 1AA, UK!"],
  ])("refuses a malformed %s value %j", (channel, value) => {
    expect(normaliseIdentifier(channel, value)).toBeNull();
  });

  it("matches an address however its first line is punctuated or cased", () => {
    const profile = { line1: "Flat 2, 10 Downing St.", postcode: "SW1A 2AA", country: "gb" };
    expect(postalKey(profile)).toBe(postalKey({ line1: "flat 2 10 downing st", postcode: "sw1a2aa", country: "GB" }));
    expect(postalKey(profile)).not.toBe(postalKey({ ...profile, line1: "Flat 3, 10 Downing St." }));
  });

  it("reads an account's identifier on each channel, or null when the profile has none", () => {
    const user = {
      email: "Ada@Example.com",
      phone: "+442079460000",
      fax: null,
      address: { line1: "1 High Street", line2: null, city: "London", postcode: "SW1A 1AA", country: "GB" },
    };
    expect(identifierOf(Channel.EMAIL, user)).toBe("ada@example.com");
    expect(identifierOf(Channel.TELEPHONE, user)).toBe("+442079460000");
    expect(identifierOf(Channel.FAX, user)).toBeNull();
    expect(identifierOf(Channel.MAIL, user)).toBe("GB|SW1A1AA|1 high street");
    expect(identifierOf(Channel.MAIL, { ...user, address: null })).toBeNull();
  });
});

describe("ConsentKeys", () => {
  const keys = new ConsentKeys("a-test-secret-that-is-long-enough-0123456789");

  it("keys every hash with the secret and keeps purposes apart", () => {
    const other = new ConsentKeys("another-secret-that-is-long-enough-987654321");
    expect(keys.subject("u1")).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.subject("u1")).not.toBe(other.subject("u1"));
    expect(keys.subject("u1")).not.toBe(keys.staff("u1"));
    expect(keys.identifier(Channel.TELEPHONE, "+442079460000")).not.toBe(keys.identifier(Channel.FAX, "+442079460000"));
    expect(keys.unsubscribe("id", "u1", "NEWSLETTER" as never)).toMatch(/^[0-9a-f]{32}$/);
    expect(keys.unsubscribe("id", "u1", "NEWSLETTER" as never)).not.toBe(
      keys.unsubscribe("id", "u2", "NEWSLETTER" as never),
    );
  });
});
