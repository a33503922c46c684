import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * The counters of one throttle key (an account, a client IP, an account's second factor) for the
 * growing delays of {@link SignInThrottle}: the failed checks, and the checks in progress. The key
 * is an HMAC with the server secret, so the table is no list of who tried to sign in from where.
 */
@Entity("sign_in_failure")
@Index("IDX_sign_in_failure_updated", ["updatedAt"])
export class SignInFailureEntity {
  /** Hex HMAC-SHA256 of the key's kind and value. */
  @PrimaryColumn({ type: "char", length: 64 })
  keyHash!: string;

  /** Failures since the key was last cleared (a right answer) or forgotten (none for a while). */
  @Column({ type: "int" })
  failures!: number;

  @Column({ type: "datetime", precision: 3, nullable: true })
  lastFailureAt!: Date | null;

  /** Checks admitted and not yet settled; they count against the free failures left. */
  @Column({ type: "int" })
  pending!: number;

  /** When a check was last admitted: pending checks older than a while are presumed dead. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  pendingAt!: Date | null;

  /** The last change, for deleting rows that no longer count. */
  @Column({ type: "datetime", precision: 3 })
  updatedAt!: Date;
}
