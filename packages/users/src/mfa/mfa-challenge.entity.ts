import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { UserEntity } from "../user/user.entity";

/**
 * The proof that an account's password was right, handed out with `MFA_REQUIRED` and redeemed by
 * `completeLogin` with a second-factor code. Short-lived, single-use (deleted when redeemed), bound
 * to the account; only the keyed hash of its token is stored.
 */
@Entity("mfa_challenge")
@Index("IDX_mfa_challenge_expires", ["expiresAt"])
@Index("IDX_mfa_challenge_user", ["userId"])
export class MfaChallengeEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  /** Hex HMAC-SHA256 (server secret) of the challenge token. */
  @Index("UQ_mfa_challenge_token_hash", { unique: true })
  @Column({ type: "char", length: 64 })
  tokenHash!: string;

  @Column({ type: "char", length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_mfa_challenge_user" })
  user?: Relation<UserEntity>;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  expiresAt!: Date;
}
