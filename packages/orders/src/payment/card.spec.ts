import {
  CardBrand,
  cardNumberProblem,
  cvcProblem,
  detectBrand,
  expiryProblems,
  isExpired,
  normaliseCardNumber,
  passesLuhn,
  summariseCard,
} from "./card";

describe("card checks", () => {
  const now = new Date("2026-11-25T12:00:00Z");

  it.each([
    ["4111111111111111", true],
    ["4000000000000002", true],
    ["5555555555554444", true],
    ["378282246310005", true],
    ["79927398713", true],
    ["4111111111111112", false],
    ["79927398710", false],
    ["", false],
    ["4111-1111", false],
  ])("Luhn check of %s is %s", (digits, valid) => {
    expect(passesLuhn(digits)).toBe(valid);
  });

  it.each([
    ["4111111111111111", CardBrand.VISA],
    ["5555555555554444", CardBrand.MASTERCARD],
    ["2223003122003222", CardBrand.MASTERCARD],
    ["378282246310005", CardBrand.AMEX],
    ["341111111111111", CardBrand.AMEX],
    ["6011111111111117", CardBrand.DISCOVER],
    ["6500000000000002", CardBrand.DISCOVER],
    ["3530111333300000", CardBrand.JCB],
    ["36227206271667", CardBrand.DINERS],
    ["9999999999999995", CardBrand.OTHER],
  ])("detects the brand of %s as %s", (digits, brand) => {
    expect(detectBrand(digits)).toBe(brand);
  });

  it("accepts spaces and hyphens in a card number, and nothing else", () => {
    expect(normaliseCardNumber("4111 1111-1111 1111")).toBe("4111111111111111");
    expect(cardNumberProblem("4111 1111 1111 1111")).toBeNull();
    expect(cardNumberProblem("4111.1111.1111.1111")).toBe("must be 12 to 19 digits");
  });

  it("names what is wrong with a number without repeating it", () => {
    const problems = [
      cardNumberProblem("4111111111111112"),
      cardNumberProblem("411111111111111"),
      cardNumberProblem("12"),
      cardNumberProblem("5555555555554444000"),
    ];
    expect(problems).toEqual([
      "is not a valid card number",
      "has the wrong number of digits for its card type",
      "must be 12 to 19 digits",
      "has the wrong number of digits for its card type",
    ]);
    for (const problem of problems) expect(problem).not.toMatch(/\d{4}/);
  });

  it("wants four CVC digits for American Express and three for the others", () => {
    expect(cvcProblem("1234", CardBrand.AMEX)).toBeNull();
    expect(cvcProblem("123", CardBrand.AMEX)).toBe("must be 4 digits");
    expect(cvcProblem("123", CardBrand.VISA)).toBeNull();
    expect(cvcProblem("12a", CardBrand.VISA)).toBe("must be 3 digits");
  });

  it("treats a card as good until the end of its expiry month", () => {
    expect(isExpired(11, 2026, now)).toBe(false);
    expect(isExpired(10, 2026, now)).toBe(true);
    expect(isExpired(12, 2025, now)).toBe(true);
    expect(isExpired(1, 2027, now)).toBe(false);
  });

  it("reports expired, impossible and far-future expiry dates by field", () => {
    expect(expiryProblems(10, 2026, now)).toEqual({
      expiryMonth: "the card has expired",
      expiryYear: "the card has expired",
    });
    expect(expiryProblems(13, 2027, now)).toEqual({ expiryMonth: "must be a month from 1 to 12" });
    expect(expiryProblems(1, 27, now)).toEqual({ expiryYear: "must be a four-digit year" });
    expect(expiryProblems(1, 2050, now)).toEqual({ expiryYear: "must be at most 20 years ahead" });
    expect(expiryProblems(12, 2030, now)).toEqual({});
  });

  it("keeps only the brand, last four digits and expiry of a card", () => {
    const summary = summariseCard({ number: "3782 822463 10005", expiryMonth: 4, expiryYear: 2029 });
    expect(summary).toEqual({ brand: CardBrand.AMEX, last4: "0005", expiryMonth: 4, expiryYear: 2029 });
  });
});
