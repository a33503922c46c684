import { SecurityEventKind } from "@honour/platform";
import { Column, Entity, Index, PrimaryColumn } from "typeorm";

export const SECURITY_EVENT_LIMITS = Object.freeze({
  ip: 45,
  hostname: 255,
  id: 36,
  detail: 1000,
});

/**
 * The security log: who signed in or failed to, who was throttled, which partner key was used,
 * what staff did, and from which host. The privacy policy's "host names (or IP addresses when
 * the host name is not available) … for systems administration and security purposes". Deleted
 * after a retention period; readable by SECURITY and ADMIN only.
 */
@Entity("security_event")
@Index("IDX_security_event_at", ["at"])
@Index("IDX_security_event_kind", ["kind", "id"])
@Index("IDX_security_event_hostname", ["hostname"])
export class SecurityEventEntity {
  /** Time-ordered UUIDv7, so pages of the log are keyset-paginated by id. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "datetime", precision: 3 })
  at!: Date;

  @Column({ type: "varchar", length: 32 })
  kind!: SecurityEventKind;

  @Column({ type: "varchar", length: SECURITY_EVENT_LIMITS.ip, nullable: true })
  ip!: string | null;

  /**
   * Resolved by the worker shortly after the event; the IP itself when no host name is
   * available. Null until then, and for events without an IP.
   */
  @Column({ type: "varchar", length: SECURITY_EVENT_LIMITS.hostname, nullable: true })
  hostname!: string | null;

  @Column({ type: "varchar", length: SECURITY_EVENT_LIMITS.id, nullable: true })
  userId!: string | null;

  @Column({ type: "varchar", length: SECURITY_EVENT_LIMITS.id, nullable: true })
  partnerId!: string | null;

  @Column({ type: "varchar", length: SECURITY_EVENT_LIMITS.detail, nullable: true })
  detail!: string | null;
}
