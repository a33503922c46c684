import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { PartnerEntity } from "./partner.entity";

/**
 * A partner's API key. The key itself (`hpk_<prefix>_<secret>`) is shown once, when issued; only
 * its SHA-256 is stored, so a copy of the table does not let anyone call the API. The prefix is
 * stored too: it finds the row with one indexed lookup and lets people tell keys apart.
 */
@Entity("partner_api_key")
@Index("IDX_partner_api_key_partner", ["partnerId"])
export class PartnerApiKeyEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "char", length: 36 })
  partnerId!: string;

  @ManyToOne(() => PartnerEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "partnerId", foreignKeyConstraintName: "FK_partner_api_key_partner" })
  partner?: Relation<PartnerEntity>;

  /** `hpk_` and 12 hex digits: public, unique. */
  @Index("UQ_partner_api_key_prefix", { unique: true })
  @Column({ type: "varchar", length: 16 })
  prefix!: string;

  /** Hex SHA-256 of the whole key. */
  @Column({ type: "char", length: 64 })
  secretHash!: string;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  /** Written at most once a minute per key, so that reads do not all become writes. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  lastUsedAt!: Date | null;

  /** A revoked key answers UNAUTHENTICATED at once. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  revokedAt!: Date | null;

  /** From then on the key answers UNAUTHENTICATED (reason `API_KEY_EXPIRED`); null: it never expires. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  expiresAt!: Date | null;

  /** When the `key.expiring` webhook was queued for it (once per key); null: not yet. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  expiryNoticeAt!: Date | null;
}
