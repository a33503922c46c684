import { UserEntity } from "@honour/users";
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { CampaignEntity } from "./campaign.entity";

export enum OutboxStatus {
  PENDING = "PENDING",
  /** Claimed by a worker that is sending it now. */
  SENDING = "SENDING",
  SENT = "SENT",
  /** Not sent: consent, the suppression list or the account said no just before sending. */
  SKIPPED = "SKIPPED",
  FAILED = "FAILED",
}

/** Why a message was skipped or failed. */
export enum OutboxOutcome {
  WITHDRAWN = "WITHDRAWN",
  SUPPRESSED = "SUPPRESSED",
  ACCOUNT_CLOSED = "ACCOUNT_CLOSED",
  /** The receiving server refused the address permanently. */
  REJECTED = "REJECTED",
  /** Temporary SMTP errors on every attempt. */
  SMTP_ERROR = "SMTP_ERROR",
  /**
   * Older versions gave up a message whose worker stopped mid-send; such rows may remain. Now
   * the message is sent again instead, with the same Message-ID.
   */
  INTERRUPTED = "INTERRUPTED",
}

/**
 * One message of a campaign to one recipient: unique per campaign and account, so a retried job
 * or a restarted worker never sends a person the same campaign again, except the one message a
 * dying worker had in hand, which goes again under the same Message-ID. The address is read
 * from the account just before sending, not kept here.
 */
@Entity("consent_outbox")
@Index("UQ_consent_outbox_recipient", ["campaignId", "userId"], { unique: true })
@Index("IDX_consent_outbox_status", ["campaignId", "status"])
// By account (erasure, export, the user foreign key). MariaDB had one only as the foreign key's
// implicit index; SQLite, built from the entities, had none.
@Index("IDX_consent_outbox_user", ["userId"])
export class OutboxMessageEntity {
  /** Time-ordered UUIDv7; also the local part of the message's Message-ID. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "char", length: 36 })
  campaignId!: string;

  @ManyToOne(() => CampaignEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "campaignId", foreignKeyConstraintName: "FK_consent_outbox_campaign" })
  campaign?: Relation<CampaignEntity>;

  @Column({ type: "char", length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_consent_outbox_user" })
  user?: Relation<UserEntity>;

  @Column({ type: "varchar", length: 16 })
  status!: OutboxStatus;

  @Column({ type: "int", default: 0 })
  attempts!: number;

  /** The job run that claimed it. */
  @Column({ type: "varchar", length: 64, nullable: true })
  claimedBy!: string | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  claimedAt!: Date | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  sentAt!: Date | null;

  @Column({ type: "varchar", length: 32, nullable: true })
  outcome!: OutboxOutcome | null;
}
