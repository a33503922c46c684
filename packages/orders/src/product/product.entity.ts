import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** What a product is, which decides what fulfilling it means (a LICENCE line issues licences). */
export enum ProductKind {
  LICENCE = "LICENCE",
  SUBSCRIPTION = "SUBSCRIPTION",
  SERVICE = "SERVICE",
}

/** The currencies prices and orders are in. One for now: the business bills in pounds. */
export enum Currency {
  GBP = "GBP",
}

export const PRODUCT_LIMITS = Object.freeze({
  sku: 64,
  name: 200,
  description: 2000,
  /** £1,000,000 in pence: with the order limits, every total fits a 32-bit GraphQL Int. */
  priceMinor: 100_000_000,
});

/** Upper-case letters, digits and single hyphens: `HON-PRO-1`. */
export const SKU_PATTERN = /^[A-Z0-9]+(?:-[A-Z0-9]+)*$/;

/** A catalogue entry. Orders copy its SKU, name and price, so later edits never change an order. */
@Entity("product")
export class ProductEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  /** Stored upper-case, so the unique index compares the same way on MySQL and SQLite. */
  @Index("UQ_product_sku", { unique: true })
  @Column({ type: "varchar", length: PRODUCT_LIMITS.sku })
  sku!: string;

  @Column({ type: "varchar", length: PRODUCT_LIMITS.name })
  name!: string;

  @Column({ type: "varchar", length: PRODUCT_LIMITS.description })
  description!: string;

  /** In minor units (pence); never a float. */
  @Column({ type: "int" })
  priceMinor!: number;

  @Column({ type: "char", length: 3 })
  currency!: Currency;

  @Column({ type: "varchar", length: 16 })
  kind!: ProductKind;

  /** Inactive products stay for the orders that name them but cannot be bought. */
  @Column({ type: "boolean" })
  active!: boolean;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt!: Date;
}
