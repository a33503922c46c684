import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { OrderEntity } from "../order/order.entity";
import { PARTNER_LIMITS, PartnerEntity } from "../partner/partner.entity";

/** Why a partner received personal data. One purpose for now: fulfilling the order. */
export enum DisclosurePurpose {
  ORDER_FULFILMENT = "ORDER_FULFILMENT",
}

/** The parts of an order's contact a partner may receive. */
export enum DisclosedField {
  NAME = "NAME",
  EMAIL = "EMAIL",
  PHONE = "PHONE",
  ORGANISATION = "ORGANISATION",
  ADDRESS = "ADDRESS",
}

/**
 * A record that a partner read an order's contact: who, which order, which fields, why and when.
 * One per order per request. The partner's name and the order number are copied, so the record
 * reads the same after a partner is renamed.
 */
@Entity("disclosure")
@Index("IDX_disclosure_order", ["orderId", "id"])
@Index("IDX_disclosure_partner", ["partnerId", "id"])
export class DisclosureEntity {
  /** UUIDv7: time-ordered, so pages sort by it. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "char", length: 36 })
  partnerId!: string;

  @ManyToOne(() => PartnerEntity, { onDelete: "RESTRICT", nullable: false })
  @JoinColumn({ name: "partnerId", foreignKeyConstraintName: "FK_disclosure_partner" })
  partner?: Relation<PartnerEntity>;

  @Column({ type: "varchar", length: PARTNER_LIMITS.name })
  partnerName!: string;

  /** The key the partner used. */
  @Column({ type: "char", length: 36 })
  apiKeyId!: string;

  @Column({ type: "char", length: 36 })
  orderId!: string;

  @ManyToOne(() => OrderEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "orderId", foreignKeyConstraintName: "FK_disclosure_order" })
  order?: Relation<OrderEntity>;

  @Column({ type: "int" })
  orderNumber!: number;

  /** {@link DisclosedField}s, comma-separated, in the enum's order. */
  @Column({ type: "varchar", length: 100 })
  fields!: string;

  @Column({ type: "varchar", length: 32 })
  purpose!: DisclosurePurpose;

  @Column({ type: "datetime", precision: 3 })
  at!: Date;
}
