import { UserEntity } from "@honour/users";
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import type { CardBrand } from "../payment/card";
import { PartnerEntity } from "../partner/partner.entity";
import type { Currency } from "../product/product.entity";
import type { OrderStatus } from "./order-state";

export const CONTACT_LIMITS = Object.freeze({
  name: 200,
  email: 254,
  phone: 32,
  organisation: 200,
  line1: 200,
  line2: 200,
  city: 100,
  postcode: 16,
});

/**
 * An order. The buyer's contact and the payment's token, brand, last four digits and expiry live
 * on the row (one of each per order, read with it for free); the card number and CVC never do.
 * The table is `customer_order` because ORDER is a reserved word in SQL.
 */
@Entity("customer_order")
@Index("IDX_customer_order_user", ["userId", "id"])
@Index("IDX_customer_order_partner", ["partnerId", "id"])
@Index("IDX_customer_order_status", ["status", "id"])
@Index("IDX_customer_order_former_owner", ["formerOwnerHash"])
@Index("IDX_customer_order_contact_erased", ["contactErasedAt"])
// Guest orders placed with a closing account's email are erased with it (OrdersPersonalData).
@Index("IDX_customer_order_contact_email", ["contactEmail"])
export class OrderEntity {
  /** Time-ordered UUIDv7: pages sort by it. */
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  /** The number people read, shown as `HON-000123`; allocated from `order_number`. */
  @Index("UQ_customer_order_number", { unique: true })
  @Column({ type: "int" })
  number!: number;

  @Column({ type: "varchar", length: 16 })
  status!: OrderStatus;

  /**
   * The buyer's account; null for a guest, and set to null when the buyer stops keeping order
   * history (the order stays for accounting but leaves their history).
   */
  @Column({ type: "char", length: 36, nullable: true })
  userId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: "SET NULL", nullable: true })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_customer_order_user" })
  user?: Relation<UserEntity>;

  /** The reseller fulfilling the order, once staff assign one. */
  @Column({ type: "char", length: 36, nullable: true })
  partnerId!: string | null;

  @ManyToOne(() => PartnerEntity, { onDelete: "RESTRICT", nullable: true })
  @JoinColumn({ name: "partnerId", foreignKeyConstraintName: "FK_customer_order_partner" })
  partner?: Relation<PartnerEntity>;

  @Column({ type: "char", length: 3 })
  currency!: Currency;

  /** Sum of the lines, from the catalogue's prices at the time of the order, in minor units. */
  @Column({ type: "int" })
  totalMinor!: number;

  @Column({ type: "varchar", length: CONTACT_LIMITS.name })
  contactName!: string;

  @Column({ type: "varchar", length: CONTACT_LIMITS.email })
  contactEmail!: string;

  @Column({ type: "varchar", length: CONTACT_LIMITS.phone, nullable: true })
  contactPhone!: string | null;

  @Column({ type: "varchar", length: CONTACT_LIMITS.organisation, nullable: true })
  contactOrganisation!: string | null;

  @Column({ type: "varchar", length: CONTACT_LIMITS.line1 })
  addressLine1!: string;

  @Column({ type: "varchar", length: CONTACT_LIMITS.line2, nullable: true })
  addressLine2!: string | null;

  @Column({ type: "varchar", length: CONTACT_LIMITS.city })
  addressCity!: string;

  @Column({ type: "varchar", length: CONTACT_LIMITS.postcode })
  addressPostcode!: string;

  /** ISO 3166-1 alpha-2, upper-case. */
  @Column({ type: "char", length: 2 })
  addressCountry!: string;

  /** The payment provider's name (`local`, …); null until paid. */
  @Column({ type: "varchar", length: 32, nullable: true })
  paymentProvider!: string | null;

  /** The provider's reusable token for the card; never the card number. */
  @Column({ type: "varchar", length: 255, nullable: true })
  paymentToken!: string | null;

  /** The provider's id of the charge, to refund it. */
  @Column({ type: "varchar", length: 255, nullable: true })
  paymentChargeId!: string | null;

  @Column({ type: "varchar", length: 16, nullable: true })
  cardBrand!: CardBrand | null;

  @Column({ type: "char", length: 4, nullable: true })
  cardLast4!: string | null;

  @Column({ type: "int", nullable: true })
  cardExpiryMonth!: number | null;

  @Column({ type: "int", nullable: true })
  cardExpiryYear!: number | null;

  /**
   * SHA-256 of the buyer's scope and the client's idempotency key: a retry with the same key finds
   * this order instead of placing (and charging) another. Unique, so concurrent retries make one.
   */
  @Index("UQ_customer_order_idempotency", { unique: true })
  @Column({ type: "char", length: 64, nullable: true })
  idempotencyKeyHash!: string | null;

  /** SHA-256 of what was asked for (never card data), to refuse a key reused for another order. */
  @Column({ type: "char", length: 64, nullable: true })
  requestHash!: string | null;

  @Column({ type: "datetime", precision: 3 })
  placedAt!: Date;

  @Column({ type: "datetime", precision: 3, nullable: true })
  paidAt!: Date | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  assignedAt!: Date | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  fulfilledAt!: Date | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  cancelledAt!: Date | null;

  @Column({ type: "datetime", precision: 3 })
  updatedAt!: Date;

  /**
   * A keyed hash (HMAC with the server secret) of the buyer's account id, set when a signed-in
   * buyer's order is not, or no longer, in their history (`keepOrderHistory` off). It lets the
   * buyer's data export and account closure still find the order, without a plain link to the
   * account; erasure clears it.
   */
  @Column({ type: "char", length: 64, nullable: true })
  formerOwnerHash!: string | null;

  /**
   * When the buyer's contact was erased (account closure): the order stays for accounting with
   * only what an invoice needs, and is deleted `CLOSED_ACCOUNT_RETENTION_DAYS` after this.
   */
  @Column({ type: "datetime", precision: 3, nullable: true })
  contactErasedAt!: Date | null;
}
