import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * A sign-in attempt that has not (yet) succeeded, kept for the throttling window only. The email
 * is stored as an HMAC with the server secret, so the table is no list of who tried to sign in.
 */
@Entity("sign_in_attempt")
@Index("IDX_sign_in_attempt_key", ["keyHash", "attemptedAt"])
export class SignInAttemptEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  /** Hex HMAC-SHA256 of the normalised email. */
  @Column({ type: "char", length: 64 })
  keyHash!: string;

  @Column({ type: "datetime", precision: 3 })
  attemptedAt!: Date;
}
