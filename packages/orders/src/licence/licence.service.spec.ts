import { licenceControlCode, newLicenceSerial } from "./licence.service";

describe("licence serials and control codes", () => {
  it("makes serials of four groups of five Crockford base-32 characters, all different", () => {
    const serials = Array.from({ length: 500 }, newLicenceSerial);
    for (const serial of serials) expect(serial).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/);
    expect(new Set(serials).size).toBe(serials.length);
  });

  it("derives the control code from the serial and the secret alone", () => {
    const serial = newLicenceSerial();
    const code = licenceControlCode("secret-one", serial);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(licenceControlCode("secret-one", serial)).toBe(code);
    expect(licenceControlCode("secret-two", serial)).not.toBe(code);
  });
});
