import { UserEntity } from "@honour/users";
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";

/** What the person asks for (UK/EU GDPR articles 15, 16, 17 and 21). */
export enum PrivacyRequestType {
  /** A copy of their data (a data export). */
  ACCESS = "ACCESS",
  /** Correction of their data; staff correct it through the accounts API, then complete the request. */
  RECTIFICATION = "RECTIFICATION",
  /** Erasure: the account is closed and its personal data erased. */
  ERASURE = "ERASURE",
  /** An objection to direct marketing: every consent is withdrawn. */
  OBJECTION = "OBJECTION",
}

export enum PrivacyRequestStatus {
  RECEIVED = "RECEIVED",
  IN_PROGRESS = "IN_PROGRESS",
  COMPLETED = "COMPLETED",
  REJECTED = "REJECTED",
}

/** The orders `privacyRequests` can list in. */
export enum PrivacyRequestOrder {
  /** Newest received first (by id): the default. */
  NEWEST_FIRST = "NEWEST_FIRST",
  /** Soonest due first, so overdue requests lead; ties by id. */
  DUE_FIRST = "DUE_FIRST",
}

/** The statuses of a request still waiting for an answer. */
export const OPEN_STATUSES: readonly PrivacyRequestStatus[] = [
  PrivacyRequestStatus.RECEIVED,
  PrivacyRequestStatus.IN_PROGRESS,
];

/** How the request reached us. */
export enum PrivacyRequestChannel {
  /** Through the site, by the signed-in person. */
  ONLINE = "ONLINE",
  EMAIL = "EMAIL",
  LETTER = "LETTER",
  TELEPHONE = "TELEPHONE",
}

/** Column lengths, shared by the entity, the service's checks and the GraphQL input. */
export const PRIVACY_REQUEST_LIMITS = Object.freeze({
  requesterContact: 500,
  notes: 2000,
  /** One reason per extension, newline-separated: room for two. */
  extensionReason: 1000,
  reason: 480,
  rejectionReason: 500,
});

/** Extensions add at most this many months to the first month (three in total). */
export const MAX_EXTENSION_MONTHS = 2;

/**
 * A privacy request and its answer. Due one calendar month after receipt on the site's calendar,
 * later when extended (at most three months in all). The free-text fields may hold personal data:
 * they are erased with the account, and the rows of closed accounts are purged after the
 * closed-accounts retention period.
 */
@Entity("privacy_request")
@Index("IDX_privacy_request_subject", ["subjectUserId", "id"])
@Index("IDX_privacy_request_status", ["status", "id"])
// The queue (`orderBy: DUE_FIRST`) pages by (dueAt, id), of every status or of one.
@Index("IDX_privacy_request_due", ["dueAt", "id"])
@Index("IDX_privacy_request_status_due", ["status", "dueAt", "id"])
export class PrivacyRequestEntity {
  /** UUIDv7: time-ordered, the pagination key. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 16 })
  type!: PrivacyRequestType;

  @Column({ type: "varchar", length: 16 })
  status!: PrivacyRequestStatus;

  /** The account the request is about; null for a requester without one (or not yet found). */
  @Column({ type: "char", length: 36, nullable: true })
  subjectUserId!: string | null;

  /** Requests go with the account when the closed-accounts retention deletes it. */
  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: true })
  @JoinColumn({ name: "subjectUserId", foreignKeyConstraintName: "FK_privacy_request_user" })
  subject?: Relation<UserEntity> | null;

  @Column({ type: "varchar", length: 16 })
  channel!: PrivacyRequestChannel;

  /** For requests staff entered: how to reach the requester, as given. Personal data. */
  @Column({ type: "varchar", length: PRIVACY_REQUEST_LIMITS.requesterContact, nullable: true })
  requesterContact!: string | null;

  /** Staff notes. May hold personal data. */
  @Column({ type: "varchar", length: PRIVACY_REQUEST_LIMITS.notes, nullable: true })
  notes!: string | null;

  /** The user id of the staff member who entered the request; null when the person asked online. */
  @Column({ type: "char", length: 36, nullable: true })
  recordedById!: string | null;

  @Column({ type: "datetime", precision: 3 })
  receivedAt!: Date;

  /** receivedAt + (1 + extendedByMonths) calendar months on the site's calendar. */
  @Column({ type: "datetime", precision: 3 })
  dueAt!: Date;

  @Column({ type: "int", default: 0 })
  extendedByMonths!: number;

  @Column({ type: "varchar", length: PRIVACY_REQUEST_LIMITS.extensionReason, nullable: true })
  extensionReason!: string | null;

  /** When it was completed or rejected. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  completedAt!: Date | null;

  @Column({ type: "varchar", length: PRIVACY_REQUEST_LIMITS.rejectionReason, nullable: true })
  rejectionReason!: string | null;

  @Column({ type: "datetime", precision: 3 })
  updatedAt!: Date;

  /**
   * `ACCESS:<account id>` while an access request about an account is open, else null: the
   * unique index lets each account have one open access request at a time, even under a race.
   */
  @Index("UQ_privacy_request_open_key", { unique: true })
  @Column({ type: "varchar", length: 64, nullable: true })
  openKey!: string | null;
}

/** The {@link PrivacyRequestEntity.openKey} of an open access request about `userId`. */
export function openAccessKey(userId: string): string {
  return `ACCESS:${userId}`;
}
