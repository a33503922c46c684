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
});

/**
 * An account. The email is stored normalised (trimmed, lower-case), so the unique index
 * compares addresses case-insensitively on every database.
 */
@Entity("user")
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

  /** Set when the account is closed: it can no longer sign in and its sessions stop resolving. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  closedAt!: Date | null;
}
