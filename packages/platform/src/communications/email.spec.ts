import { normaliseEmail } from "./email";

describe("normaliseEmail", () => {
  it("trims and lower-cases", () => {
    expect(normaliseEmail("  Ada.Lovelace@Example.COM\t")).toBe("ada.lovelace@example.com");
  });

  it("gives composed and decomposed accents the same form", () => {
    expect(normaliseEmail("Jos\u0065\u0301@example.com")).toBe(normaliseEmail("Jos\u00e9@example.com"));
  });
});
