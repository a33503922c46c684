import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { PartnerEntity } from "./partner.entity";

/**
 * A partner's own rate limits, set by ADMIN (`setPartnerRateLimit`) over the gateway's configured
 * ones: tokens per window for operations and for query cost, per API key. Null keeps the
 * configured limit; 0 turns that limit off for the partner. No row: the configured limits.
 */
@Entity("partner_rate_limit")
export class PartnerRateLimitEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  partnerId!: string;

  @ManyToOne(() => PartnerEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "partnerId", foreignKeyConstraintName: "FK_partner_rate_limit_partner" })
  partner?: Relation<PartnerEntity>;

  @Column({ type: "int", nullable: true })
  operations!: number | null;

  @Column({ type: "int", nullable: true })
  cost!: number | null;

  @Column({ type: "datetime", precision: 3 })
  updatedAt!: Date;
}
