import type { Topic } from "@honour/platform";
import { Column, Entity, Index, PrimaryColumn } from "typeorm";

export enum CampaignStatus {
  DRAFT = "DRAFT",
  /** Recipients are being computed or messages sent. */
  SENDING = "SENDING",
  /** Every recipient's message was sent, skipped or failed. */
  SENT = "SENT",
}

export const CAMPAIGN_LIMITS = Object.freeze({
  subject: 200,
  /** Bodies are MySQL `text` columns: at most 65 535 bytes of UTF-8. */
  bodyBytes: 65_535,
});

/** A marketing email on one topic, sent by the worker to everyone who granted it at send time. */
@Entity("consent_campaign")
@Index("IDX_consent_campaign_status", ["status"])
export class CampaignEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 32 })
  topic!: Topic;

  @Column({ type: "varchar", length: CAMPAIGN_LIMITS.subject })
  subject!: string;

  @Column({ type: "text" })
  bodyText!: string;

  @Column({ type: "text", nullable: true })
  bodyHtml!: string | null;

  @Column({ type: "varchar", length: 16 })
  status!: CampaignStatus;

  /** The staff account that created it. */
  @Column({ type: "char", length: 36, nullable: true })
  createdBy!: string | null;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3, nullable: true })
  sendRequestedAt!: Date | null;

  /** When the recipients were computed and the outbox written. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  preparedAt!: Date | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  completedAt!: Date | null;
}
