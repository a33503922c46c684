import { normaliseEmail } from "@honour/platform";
import { normalisePhoneNumber } from "@honour/users";

/** An address inside free text: no spaces, brackets, quotes or separators around the @. */
const EMAIL_IN_TEXT = /[^\s<>()[\]{},;:"'`]+@[^\s<>()[\]{},;:"'`]+/g;
/** A run that may be a telephone number: digits with the separators people type. */
const PHONE_IN_TEXT = /\+?\d[\d\s().-]{5,}\d/g;
/** Digits of a national significant number, at the least, to match a number typed without its country code. */
const MIN_NATIONAL_DIGITS = 8;

/**
 * True when a requester's contact, as staff typed it ("Ada, ada@example.com, 020 7946 0000"),
 * names this person: one of its email addresses is theirs (in the form accounts store, so case
 * and Unicode composition do not matter), or one of its numbers
 * is their telephone number in any common notation (`+44 20 7946 0000`, `0044…`, or national
 * `020 7946 0000`, compared by the digits after the trunk 0). Never by substring: `sada@x` is
 * not `ada@x`, and `+4420794600001` is not `+442079460000`.
 */
export function contactNames(contact: string, person: { email: string; phone: string | null }): boolean {
  const email = normaliseEmail(person.email);
  for (const found of contact.matchAll(EMAIL_IN_TEXT)) {
    if (normaliseEmail(found[0].replace(/[.]+$/, "")) === email) return true;
  }
  const phone = person.phone;
  if (!phone) return false;
  for (const found of contact.matchAll(PHONE_IN_TEXT)) {
    const typed = found[0].trim();
    const international = normalisePhoneNumber(typed.startsWith("00") ? `+${typed.slice(2)}` : typed);
    if (international === phone) return true;
    const digits = typed.replace(/\D/g, "");
    if (!typed.startsWith("+") && digits.startsWith("0") && !digits.startsWith("00")) {
      const national = digits.slice(1);
      if (national.length >= MIN_NATIONAL_DIGITS && phone.endsWith(national) && phone.length - national.length <= 4) {
        return true;
      }
    }
  }
  return false;
}

/** The first email address in a requester's contact as staff typed it, normalised; null when there is none. */
export function firstEmailIn(contact: string | null): string | null {
  for (const found of (contact ?? "").matchAll(EMAIL_IN_TEXT)) {
    const email = normaliseEmail(found[0].replace(/[.]+$/, ""));
    if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return email;
  }
  return null;
}
