import { Channel, hmac, normaliseEmail, type Topic } from "@honour/platform";
import { normalisePhoneNumber, type UserEntity } from "@honour/users";
import { isEmail, isISO31661Alpha2 } from "class-validator";

/**
 * The keyed hashes of the consent domain, all HMAC-SHA256 with the server secret and a purpose
 * label, so that a hash made for one purpose never matches one made for another. Identifiers that
 * outlive an account (the ledger's subject, the suppression list) are stored only in these forms.
 */
export class ConsentKeys {
  constructor(private readonly secret: string) {}

  /** The ledger's subject: the account id, keyed. */
  subject(userId: string): string {
    return hmac(this.secret, "consent.subject", userId);
  }

  /** A staff member in the ledger. */
  staff(userId: string): string {
    return hmac(this.secret, "consent.staff", userId);
  }

  /** A suppression list entry: the channel and the normalised identifier ({@link identifierOf}). */
  identifier(channel: Channel, normalised: string): string {
    return hmac(this.secret, "consent.suppression", channel, normalised);
  }

  /** The check half of an unsubscribe token: 128 bits, hex. */
  unsubscribe(tokenId: string, userId: string, topic: Topic): string {
    return hmac(this.secret, "consent.unsubscribe", tokenId, userId, topic).slice(0, 32);
  }

  /**
   * The check half of a preference link (the footer's "manage your preferences"): made over the
   * same random id as the unsubscribe token, under its own purpose, so neither link works as the other.
   */
  preferences(tokenId: string, userId: string): string {
    return hmac(this.secret, "consent.preferences", tokenId, userId).slice(0, 32);
  }

  /**
   * The check half of an expiring preference link: {@link preferences} with the link's expiry
   * (Unix seconds) signed in, under a purpose of its own, so the expiry cannot be moved.
   */
  expiringPreferences(tokenId: string, userId: string, expiresAtSeconds: number): string {
    return hmac(this.secret, "consent.preferences.expiring", tokenId, userId, String(expiresAtSeconds)).slice(0, 32);
  }
}

/** The parts of a postal address that identify it on a mail list. */
export interface PostalKeyParts {
  line1: string;
  postcode: string;
  country: string;
}

/**
 * The normalised form of a postal address for the suppression list: country, postcode without
 * spaces, and the first line lower-cased with punctuation dropped (`GB|SW1A1AA|1 high street`).
 * Line 2 and the town are left out: the postcode and first line already say where it is, and
 * people write the rest differently from one letter to the next.
 */
export function postalKey({ line1, postcode, country }: PostalKeyParts): string {
  const simplify = (text: string) =>
    text
      .normalize("NFKC")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .trim();
  return `${country.trim().toUpperCase()}|${postcode.replace(/\s+/g, "").toUpperCase()}|${simplify(line1)}`;
}

/** An account's normalised identifier on a channel, or null when the profile has none. */
export function identifierOf(
  channel: Channel,
  user: Pick<UserEntity, "email" | "phone" | "fax" | "address">,
): string | null {
  switch (channel) {
    case Channel.EMAIL:
      return normaliseEmail(user.email);
    case Channel.TELEPHONE:
      return user.phone;
    case Channel.FAX:
      return user.fax;
    case Channel.MAIL:
      return user.address ? postalKey(user.address) : null;
    default: {
      const unknown: never = channel;
      throw new Error(`unknown channel ${String(unknown)}`);
    }
  }
}

/**
 * Normalises an identifier as staff type it from a request: an email address, a number in
 * international form, or for MAIL the address on one line, comma-separated, with the postcode and
 * the ISO country code last (`1 High Street, London, SW1A 1AA, GB`). Null when it is not valid.
 */
export function normaliseIdentifier(channel: Channel, value: string): string | null {
  switch (channel) {
    case Channel.EMAIL: {
      const email = normaliseEmail(value);
      return isEmail(email) ? email : null;
    }
    case Channel.TELEPHONE:
    case Channel.FAX:
      return normalisePhoneNumber(value);
    case Channel.MAIL: {
      const parts = value
        .split(/[,\n]/)
        .map((p) => p.trim())
        .filter((p) => p !== "");
      if (parts.length < 3) return null;
      const country = parts.at(-1)!.toUpperCase();
      const postcode = parts.at(-2)!;
      if (!isISO31661Alpha2(country) || !/^[\p{L}\p{N} -]{2,16}$/u.test(postcode)) return null;
      return postalKey({ line1: parts[0]!, postcode, country });
    }
    default: {
      const unknown: never = channel;
      throw new Error(`unknown channel ${String(unknown)}`);
    }
  }
}
