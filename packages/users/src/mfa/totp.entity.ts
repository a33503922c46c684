import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn, type Relation } from "typeorm";
import { UserEntity } from "../user/user.entity";

/**
 * An account's TOTP (RFC 6238) authenticator: one row per account, while enrolling and once on.
 * The shared secret is sealed (AES-256-GCM under a key derived from `HONOUR_SECRET`), so a copy of
 * the table alone yields no codes.
 */
@Entity("user_totp")
export class TotpEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  userId!: string;

  @OneToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_user_totp_user" })
  user?: Relation<UserEntity>;

  /** The base32 secret, sealed with `sealSecret` (purpose {@link TOTP_SECRET_PURPOSE}). */
  @Column({ type: "varchar", length: 255 })
  sealedSecret!: string;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  /** When the first code confirmed the enrolment; null while enrolling (two-factor is off then). */
  @Column({ type: "datetime", precision: 3, nullable: true })
  enabledAt!: Date | null;

  /**
   * The time step (30-second period since the epoch) of the last code accepted: a code of this step
   * or an earlier one is refused, so no code works twice.
   */
  @Column({ type: "int", nullable: true })
  lastUsedStep!: number | null;
}

/** The `sealSecret` purpose of TOTP secrets. */
export const TOTP_SECRET_PURPOSE = "users.totp-secret";
