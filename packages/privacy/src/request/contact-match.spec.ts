import { contactNames } from "./contact-match";

const ADA = { email: "ada@example.com", phone: "+442079460999" };

describe("contactNames", () => {
  it.each([
    "ada@example.com",
    "Ada Lovelace <ADA@Example.com>",
    "letter from Ada, ada@example.com.",
    "+44 20 7946 0999",
    "0044 (20) 7946-0999",
    "tel. 020 7946 0999, evenings",
  ])("finds Ada in %p", (contact) => {
    expect(contactNames(contact, ADA)).toBe(true);
  });

  it.each([
    "sada@example.com",
    "ada@example.com.au",
    "xada@example.com, bob@example.com",
    "+44 20 7946 09991",
    "+1 207 946 0999",
    "020 7946 0998",
    "12 High Street, London",
  ])("does not take %p for Ada", (contact) => {
    expect(contactNames(contact, ADA)).toBe(false);
  });

  it("finds an address typed with decomposed accents, as accounts store it composed", () => {
    const zoe = { email: "zoë@example.com", phone: null };
    expect(contactNames("ZOE\u0308@example.com", zoe)).toBe(true);
  });

  it("reads the longest contact staff can type without matching anyone by accident", () => {
    // 500 characters is the column's limit; neither run is an address or a number of Ada's.
    expect(contactNames(`${"a".repeat(499)}@`, ADA)).toBe(false);
    expect(contactNames("1".repeat(500), ADA)).toBe(false);
    expect(contactNames(`${"0 ".repeat(249)}9`, ADA)).toBe(false);
  });

  it("matches no number for a person without one", () => {
    expect(contactNames("+44 20 7946 0999", { email: ADA.email, phone: null })).toBe(false);
  });
});
