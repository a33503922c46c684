import { Column, Entity, PrimaryColumn } from "typeorm";

export const PARTNER_LIMITS = Object.freeze({
  name: 200,
  contactEmail: 254,
});

/**
 * A reseller that fulfils orders staff assign to it. It calls the API with keys of its own and
 * sees only those orders, and only what fulfilment needs.
 */
@Entity("partner")
export class PartnerEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: PARTNER_LIMITS.name })
  name!: string;

  /** Stored trimmed and lower-case. */
  @Column({ type: "varchar", length: PARTNER_LIMITS.contactEmail })
  contactEmail!: string;

  /** An inactive partner's keys stop working and no order can be assigned to it. */
  @Column({ type: "boolean" })
  active!: boolean;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt!: Date;
}
