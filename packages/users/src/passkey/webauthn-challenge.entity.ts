import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * A WebAuthn challenge handed to a browser, kept until it comes back signed (single use) or
 * expires. Registration challenges name the signed-in account; sign-in challenges name nobody
 * (the passkey says whose it is).
 */
@Entity("webauthn_challenge")
@Index("IDX_webauthn_challenge_expires", ["expiresAt"])
export class WebauthnChallengeEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  /** The challenge as sent, base64url (random, 256 bits). */
  @Index("UQ_webauthn_challenge", { unique: true })
  @Column({ type: "varchar", length: 100 })
  challenge!: string;

  @Column({ type: "varchar", length: 20 })
  purpose!: "REGISTRATION" | "SIGN_IN";

  /** The account a registration challenge is for; null for sign-in. Cascades with the account. */
  @Index("IDX_webauthn_challenge_user")
  @Column({ type: "char", length: 36, nullable: true })
  userId!: string | null;

  @Column({ type: "datetime", precision: 3 })
  expiresAt!: Date;
}
