import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { WebhookEndpointEntity } from "./webhook-endpoint.entity";

export enum WebhookDeliveryStatus {
  /** Waiting for its first attempt. */
  PENDING = "PENDING",
  /** An attempt failed; another is scheduled (`nextAttemptAt`). */
  RETRYING = "RETRYING",
  /** The endpoint answered 2xx. */
  SUCCEEDED = "SUCCEEDED",
  /** Every attempt failed for the whole retry period (`WEBHOOK_RETRY_FOR_MS`, 3 days). */
  FAILED = "FAILED",
  /** The endpoint was disabled before it succeeded. */
  CANCELLED = "CANCELLED",
}

/**
 * One event for one endpoint: the body exactly as signed and sent, and how its attempts went. Its
 * id is the `webhook-id` of every attempt, so a receiver can de-duplicate (delivery is at least
 * once). Written in the same transaction as the change that causes the event.
 */
@Entity("webhook_delivery")
@Index("IDX_webhook_delivery_endpoint", ["endpointId", "id"])
export class WebhookDeliveryEntity {
  /** UUIDv7; `msg_` and it, without dashes, is the `webhook-id`. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "char", length: 36 })
  endpointId!: string;

  @ManyToOne(() => WebhookEndpointEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "endpointId", foreignKeyConstraintName: "FK_webhook_delivery_endpoint" })
  endpoint?: Relation<WebhookEndpointEntity>;

  @Column({ type: "varchar", length: 32 })
  eventType!: string;

  /** The JSON body, byte for byte what is signed. */
  @Column({ type: "text" })
  payload!: string;

  @Column({ type: "varchar", length: 16 })
  status!: WebhookDeliveryStatus;

  /** Attempts made so far (an attempt cut short by a dying worker is not counted, and is repeated). */
  @Column({ type: "int" })
  attempts!: number;

  /** The last attempt's HTTP status; null when there was no answer. */
  @Column({ type: "int", nullable: true })
  httpStatus!: number | null;

  /** The last attempt's time from sending to the answer's status, in milliseconds. */
  @Column({ type: "int", nullable: true })
  latencyMs!: number | null;

  /** Why the last attempt failed (timeout, refused address, HTTP 500 …); null after a success. */
  @Column({ type: "varchar", length: 500, nullable: true })
  error!: string | null;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3, nullable: true })
  lastAttemptAt!: Date | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  finishedAt!: Date | null;
}

/** The `webhook-id` header of a delivery: `msg_` and its id without dashes (stable across attempts). */
export function webhookMessageId(deliveryId: string): string {
  return `msg_${deliveryId.replace(/-/g, "")}`;
}
