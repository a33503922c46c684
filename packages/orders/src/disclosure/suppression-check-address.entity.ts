import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { SuppressionCheckEntity } from "./suppression-check.entity";

/**
 * One address of a partner's suppression check, for the person's data export: the keyed hash of
 * the address (HMAC with the server secret, never the address itself) and the answer the partner
 * got. Lets a person see which partner checked their address, when, and whether it was told not to
 * contact them. Deleted when the person's account is closed; cascades with its check.
 */
@Entity("disclosure_suppression_check_address")
@Index("IDX_disclosure_suppression_check_address_email", ["emailHash"])
export class SuppressionCheckAddressEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  checkId!: string;

  @ManyToOne(() => SuppressionCheckEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "checkId", foreignKeyConstraintName: "FK_disclosure_suppression_check_address_check" })
  check?: Relation<SuppressionCheckEntity>;

  /** Hex HMAC-SHA256 of the normalised address under the server secret. */
  @PrimaryColumn({ type: "char", length: 64 })
  emailHash!: string;

  /** The answer given: true for "do not contact". */
  @Column({ type: "boolean" })
  suppressed!: boolean;
}
