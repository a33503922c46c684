import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { PartnerEntity } from "../partner/partner.entity";
import { WEBHOOK_URL_MAX } from "./webhook-url";

/**
 * The events a partner can subscribe an endpoint to, as the payload's `type` names them. Each
 * payload carries ids and what the partner may already see through its API key, never a contact.
 */
export enum WebhookEventType {
  /** An order was assigned to the partner: fetch its contact with `partnerOrder`. */
  ORDER_ASSIGNED = "order.assigned",
  /** An order the partner was assigned was cancelled, or reassigned to another partner. */
  ORDER_CANCELLED = "order.cancelled",
  /** The partner marked an order fulfilled. */
  ORDER_FULFILLED = "order.fulfilled",
  /** The contacts of some orders were erased at their buyer's request: erase your copies. */
  ERASURE_REQUESTED = "erasure.requested",
  /**
   * One of the partner's API keys expires within 14 days: ask for a new one (`rotatePartnerApiKey`).
   * Sent once per key by the worker's hourly job; data: `apiKeyId`, `prefix`, `expiresAt`.
   */
  KEY_EXPIRING = "key.expiring",
}

export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = Object.values(WebhookEventType);

/** The event types as stored: the enum's order, comma-separated, no repeats. */
export function encodeEventTypes(types: Iterable<WebhookEventType>): string {
  const set = new Set(types);
  return WEBHOOK_EVENT_TYPES.filter((t) => set.has(t)).join(",");
}

export function decodeEventTypes(stored: string): WebhookEventType[] {
  return stored === "" ? [] : (stored.split(",") as WebhookEventType[]);
}

/**
 * A partner's URL that receives signed webhooks for the events it subscribed to. Its signing
 * secret is shown once (at creation and rotation) and stored sealed (see `WebhookSecretBox`).
 */
@Entity("webhook_endpoint")
@Index("IDX_webhook_endpoint_partner", ["partnerId"])
export class WebhookEndpointEntity {
  /** UUIDv7. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "char", length: 36 })
  partnerId!: string;

  @ManyToOne(() => PartnerEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "partnerId", foreignKeyConstraintName: "FK_webhook_endpoint_partner" })
  partner?: Relation<PartnerEntity>;

  @Column({ type: "varchar", length: WEBHOOK_URL_MAX })
  url!: string;

  /** {@link WebhookEventType}s, comma-separated, in the enum's order. */
  @Column({ type: "varchar", length: 200 })
  eventTypes!: string;

  /** The signing secret, AES-256-GCM under a key derived from `HONOUR_SECRET`. */
  @Column({ type: "varchar", length: 255 })
  secretSealed!: string;

  /** After a rotation, the previous secret (sealed the same way), which still signs until `previousSecretUntil`. */
  @Column({ type: "varchar", length: 255, nullable: true })
  previousSecretSealed!: string | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  previousSecretUntil!: Date | null;

  /** A disabled endpoint receives nothing; its pending deliveries are cancelled. */
  @Column({ type: "boolean" })
  enabled!: boolean;

  /** Why it was disabled (by an administrator, or after failing for too long). */
  @Column({ type: "varchar", length: 255, nullable: true })
  disabledReason!: string | null;

  /** The first failed attempt since the last success; null while it works. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  failingSince!: Date | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  lastSuccessAt!: Date | null;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt!: Date;
}
