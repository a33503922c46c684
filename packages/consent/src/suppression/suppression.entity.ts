import type { Channel } from "@honour/platform";
import { UserEntity } from "@honour/users";
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";

/** Why an identifier is on the suppression list. */
export enum SuppressionReason {
  /** The person opted out of everything on the channel. */
  UNSUBSCRIBED = "UNSUBSCRIBED",
  /** The person asked (by telephone, fax or letter) to be removed from a list; staff recorded it. */
  REMOVAL_REQUEST = "REMOVAL_REQUEST",
  /** The receiving server refused the address permanently. */
  BOUNCED = "BOUNCED",
  /** The person marked a message as spam. */
  COMPLAINT = "COMPLAINT",
  /** The account was closed. */
  ACCOUNT_CLOSED = "ACCOUNT_CLOSED",
}

/** Reasons that are the person's own opt-out: a system reason never replaces one of these. */
export const PERSONAL_SUPPRESSION_REASONS: ReadonlySet<SuppressionReason> = new Set([
  SuppressionReason.UNSUBSCRIBED,
  SuppressionReason.REMOVAL_REQUEST,
  SuppressionReason.COMPLAINT,
]);

/**
 * The suppression list, kept apart from consent: an identifier on it receives nothing on its
 * channel whatever was granted. The identifier itself is never stored, only a keyed hash of its
 * normalised form, so the list outlives an account's erasure without holding personal data.
 * Only the person's own explicit action (granting again) lifts an entry.
 */
@Entity("consent_suppression")
@Index("UQ_consent_suppression_identifier", ["channel", "identifierHash"], { unique: true })
@Index("IDX_consent_suppression_since", ["suppressedAt"])
export class SuppressionEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 16 })
  channel!: Channel;

  /** HMAC(server secret, channel, normalised identifier), hex. */
  @Column({ type: "char", length: 64 })
  identifierHash!: string;

  @Column({ type: "varchar", length: 32 })
  reason!: SuppressionReason;

  /** Since when the entry has been in force. */
  @Column({ type: "datetime", precision: 3 })
  suppressedAt!: Date;

  /** Set when the person's own action lifted the entry; it applies again if re-suppressed. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  liftedAt!: Date | null;

  /**
   * The account the entry was made for, when known; lets partners be told (as a hash) while the
   * account exists. Cleared when the account row goes, leaving only the keyed hash.
   */
  @Column({ type: "char", length: 36, nullable: true })
  userId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: "SET NULL", nullable: true })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_consent_suppression_user" })
  user?: Relation<UserEntity> | null;
}
