import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { PRODUCT_LIMITS, ProductEntity, type ProductKind } from "../product/product.entity";
import { OrderEntity } from "./order.entity";

/** One line of an order: a copy of the product as it was sold, and the quantity. */
@Entity("order_line")
@Index("UQ_order_line_position", ["orderId", "position"], { unique: true })
export class OrderLineEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "char", length: 36 })
  orderId!: string;

  @ManyToOne(() => OrderEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "orderId", foreignKeyConstraintName: "FK_order_line_order" })
  order?: Relation<OrderEntity>;

  /** 0-based, in the order the buyer listed the lines. */
  @Column({ type: "int" })
  position!: number;

  @Index("IDX_order_line_product")
  @Column({ type: "char", length: 36 })
  productId!: string;

  @ManyToOne(() => ProductEntity, { onDelete: "RESTRICT", nullable: false })
  @JoinColumn({ name: "productId", foreignKeyConstraintName: "FK_order_line_product" })
  product?: Relation<ProductEntity>;

  @Column({ type: "varchar", length: PRODUCT_LIMITS.sku })
  sku!: string;

  @Column({ type: "varchar", length: PRODUCT_LIMITS.name })
  name!: string;

  @Column({ type: "varchar", length: 16 })
  kind!: ProductKind;

  @Column({ type: "int" })
  quantity!: number;

  @Column({ type: "int" })
  unitPriceMinor!: number;

  @Column({ type: "int" })
  totalMinor!: number;
}
