// The form an email address is stored and compared in is platform's (several domains need it);
// re-exported here, where accounts and the callers of this package have always found it.
export { normaliseEmail } from "@honour/platform";

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
