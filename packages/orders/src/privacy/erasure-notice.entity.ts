import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { PartnerEntity } from "../partner/partner.entity";

/**
 * A notice to a partner that the contacts of some orders it received (read through the API, or
 * was assigned) were erased at their buyer's request, so that it erases its own copies. One per
 * partner per erasure; the partner reads them with `partnerErasureNotices(since)`. It names the
 * orders by number only: nothing about the person.
 */
@Entity("erasure_notice")
@Index("IDX_erasure_notice_partner", ["partnerId", "erasedAt", "id"])
export class ErasureNoticeEntity {
  /** UUIDv7. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "char", length: 36 })
  partnerId!: string;

  @ManyToOne(() => PartnerEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "partnerId", foreignKeyConstraintName: "FK_erasure_notice_partner" })
  partner?: Relation<PartnerEntity>;

  /** The affected order numbers, ascending, comma-separated (`12,15`); shown as `HON-000012`. */
  @Column({ type: "text" })
  orderNumbers!: string;

  @Column({ type: "datetime", precision: 3 })
  erasedAt!: Date;
}
