import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { PartnerEntity } from "../partner/partner.entity";

/**
 * A record that a partner asked which of the addresses it holds must not be contacted
 * (`checkPartnerSuppressions`): who, with which key, how many addresses, how many were answered
 * "do not contact", and when. The addresses themselves are not kept. One per call; the sum of
 * `addresses` over the last hour is also the partner's budget (see `PartnerSuppressionService`).
 */
@Entity("disclosure_suppression_check")
@Index("IDX_disclosure_suppression_check_partner", ["partnerId", "at"])
export class SuppressionCheckEntity {
  /** UUIDv7. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "char", length: 36 })
  partnerId!: string;

  @ManyToOne(() => PartnerEntity, { onDelete: "RESTRICT", nullable: false })
  @JoinColumn({ name: "partnerId", foreignKeyConstraintName: "FK_disclosure_suppression_check_partner" })
  partner?: Relation<PartnerEntity>;

  /** The key the partner used. */
  @Column({ type: "char", length: 36 })
  apiKeyId!: string;

  /** How many distinct addresses were checked. */
  @Column({ type: "int" })
  addresses!: number;

  /** How many of them were answered "do not contact". */
  @Column({ type: "int" })
  matches!: number;

  @Column({ type: "datetime", precision: 3 })
  at!: Date;
}
