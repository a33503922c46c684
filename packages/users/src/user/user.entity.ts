import { Role } from "@honour/platform";
import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** Column lengths, shared by the entity, the service's checks and the GraphQL inputs. */
export const USER_LIMITS = Object.freeze({
  /** RFC 5321's limit for a forward path. */
  email: 254,
  name: 200,
  organisation: 200,
  organisationUrl: 500,
  jobTitle: 200,
  referralSource: 500,
  /** E.164: a plus sign and at most 15 digits. */
  phone: 16,
  fax: 16,
  addressLine1: 200,
  addressLine2: 200,
  addressCity: 100,
  addressPostcode: 16,
});

/** A postal address as the profile keeps it; `country` is an ISO 3166-1 alpha-2 code. */
export interface PostalAddress {
  line1: string;
  line2: string | null;
  city: string;
  postcode: string;
  country: string;
}

/**
 * An account. The email is stored normalised (trimmed, lower-case), so the unique index
 * compares addresses case-insensitively on every database.
 */
@Entity("user")
// For the daily deletion of closed accounts past their retention period.
@Index("IDX_user_closed_at", ["closedAt"])
export class UserEntity {
  /** Time-ordered UUIDv7 from `newId()`. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Index("UQ_user_email", { unique: true })
  @Column({ type: "varchar", length: USER_LIMITS.email })
  email!: string;

  /**
   * `scrypt$N$r$p$salt$key`. Not selected unless asked for (`addSelect`), so the hash never
   * travels with an ordinary user row into a response, a log or a data export.
   */
  @Column({ type: "varchar", length: 255, select: false })
  passwordHash!: string;

  @Column({ type: "varchar", length: USER_LIMITS.name })
  name!: string;

  @Column({ type: "varchar", length: USER_LIMITS.organisation, nullable: true })
  organisation!: string | null;

  @Column({ type: "varchar", length: USER_LIMITS.organisationUrl, nullable: true })
  organisationUrl!: string | null;

  @Column({ type: "varchar", length: USER_LIMITS.jobTitle, nullable: true })
  jobTitle!: string | null;

  /** The policy's "references that help us better serve you": how the person came to us. */
  @Column({ type: "varchar", length: USER_LIMITS.referralSource, nullable: true })
  referralSource!: string | null;

  /** E.164 (`+442079460000`), for the telephone list. */
  @Column({ type: "varchar", length: USER_LIMITS.phone, nullable: true })
  phone!: string | null;

  /** E.164, for the fax list. */
  @Column({ type: "varchar", length: USER_LIMITS.fax, nullable: true })
  fax!: string | null;

  /** The postal address, for the mail list: all of line1, city, postcode and country, or none. */
  @Column({ type: "varchar", length: USER_LIMITS.addressLine1, nullable: true })
  addressLine1!: string | null;

  @Column({ type: "varchar", length: USER_LIMITS.addressLine2, nullable: true })
  addressLine2!: string | null;

  @Column({ type: "varchar", length: USER_LIMITS.addressCity, nullable: true })
  addressCity!: string | null;

  @Column({ type: "varchar", length: USER_LIMITS.addressPostcode, nullable: true })
  addressPostcode!: string | null;

  @Column({ type: "char", length: 2, nullable: true })
  addressCountry!: string | null;

  /** A varchar rather than a database enum, so the same schema works on MySQL and SQLite. */
  @Column({ type: "varchar", length: 16 })
  role!: Role;

  /** Saved payment methods stay on the profile for next time; off deletes them. */
  @Column({ type: "boolean", default: true })
  keepBillingDetails!: boolean;

  /** Orders stay in the account's history; off detaches them (kept for accounting only). */
  @Column({ type: "boolean", default: true })
  keepOrderHistory!: boolean;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt!: Date;

  /**
   * When the holder proved that `email` is theirs (a verification link, or the confirmation of an
   * email change); null until then, and again whenever the address changes without such proof.
   */
  @Column({ type: "datetime", precision: 3, nullable: true })
  emailVerifiedAt!: Date | null;

  /** Set when the account is closed: it can no longer sign in and its sessions stop resolving. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  closedAt!: Date | null;

  /** The address columns as one value, or null when the profile has none. */
  get address(): PostalAddress | null {
    if (!this.addressLine1 || !this.addressCity || !this.addressPostcode || !this.addressCountry) return null;
    return {
      line1: this.addressLine1,
      line2: this.addressLine2 ?? null,
      city: this.addressCity,
      postcode: this.addressPostcode,
      country: this.addressCountry,
    };
  }
}
