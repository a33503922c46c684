import { UserEntity } from "@honour/users";
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import type { CardBrand } from "../payment/card";

/**
 * A card kept on a profile for next time, at the buyer's request: the provider's token and the
 * card's brand, last four digits and expiry, never the number or CVC. Deleted at once when the
 * buyer stops keeping billing details; deleted with the account.
 */
@Entity("saved_payment_method")
@Index("UQ_saved_payment_method_card", ["userId", "brand", "last4", "expiryMonth", "expiryYear"], { unique: true })
export class SavedPaymentMethodEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "char", length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_saved_payment_method_user" })
  user?: Relation<UserEntity>;

  @Column({ type: "varchar", length: 32 })
  provider!: string;

  @Column({ type: "varchar", length: 255 })
  token!: string;

  @Column({ type: "varchar", length: 16 })
  brand!: CardBrand;

  @Column({ type: "char", length: 4 })
  last4!: string;

  @Column({ type: "int" })
  expiryMonth!: number;

  @Column({ type: "int" })
  expiryYear!: number;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  /** When it was last saved again (a later order with the same card refreshes the token). */
  @Column({ type: "datetime", precision: 3 })
  updatedAt!: Date;
}
