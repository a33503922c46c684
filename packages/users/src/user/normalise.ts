/**
 * The form an email address is stored and compared in: Unicode NFC, trimmed, lower-case.
 * Other packages that key data by email (consent, suppression list) must use the same form.
 */
export function normaliseEmail(email: string): string {
  return email.normalize("NFC").trim().toLowerCase();
}

/** E.164: a plus sign, a country code that does not start with 0, at most 15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * The E.164 form of a telephone or fax number, or null when it is not one. Spaces, dashes, dots
 * and brackets are dropped first (`+44 (20) 7946-0000` is `+442079460000`); a national number
 * without its country code is refused, since its country cannot be known. Other packages that
 * key data by number (the suppression list) must use the same form.
 */
export function normalisePhoneNumber(value: string): string | null {
  const compact = value.normalize("NFKC").replace(/[\s().-]/g, "");
  return E164.test(compact) ? compact : null;
}
