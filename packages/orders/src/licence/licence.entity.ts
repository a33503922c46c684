import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { OrderLineEntity } from "../order/order-line.entity";
import { OrderEntity } from "../order/order.entity";
import { PRODUCT_LIMITS } from "../product/product.entity";

/**
 * A licence issued when an order with a LICENCE line is fulfilled: one per unit bought. The buyer
 * sees its serial number and control code on the order (the policy's "product serial numbers and
 * control codes").
 */
@Entity("order_licence")
@Index("IDX_order_licence_order", ["orderId"])
@Index("IDX_order_licence_line", ["orderLineId"])
export class LicenceEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "char", length: 36 })
  orderId!: string;

  @ManyToOne(() => OrderEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "orderId", foreignKeyConstraintName: "FK_order_licence_order" })
  order?: Relation<OrderEntity>;

  @Column({ type: "char", length: 36 })
  orderLineId!: string;

  @ManyToOne(() => OrderLineEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "orderLineId", foreignKeyConstraintName: "FK_order_licence_line" })
  orderLine?: Relation<OrderLineEntity>;

  @Column({ type: "varchar", length: PRODUCT_LIMITS.sku })
  sku!: string;

  /** `XXXXX-XXXXX-XXXXX-XXXXX` in Crockford base 32: 100 random bits. */
  @Index("UQ_order_licence_serial", { unique: true })
  @Column({ type: "varchar", length: 32 })
  serial!: string;

  /** Derived from the serial with the server secret, so a licence check needs no database. */
  @Column({ type: "varchar", length: 16 })
  controlCode!: string;

  @Column({ type: "datetime", precision: 3 })
  issuedAt!: Date;
}
