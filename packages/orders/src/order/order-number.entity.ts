import { Column, Entity, PrimaryGeneratedColumn } from "typeorm";

/**
 * The sequence order numbers come from: one row per number handed out. An auto-increment key is
 * the one counter MySQL and SQLite both keep safely under concurrent inserts without holding a
 * lock until commit. A rolled-back order leaves a gap, which is fine for numbers people read.
 */
@Entity("order_number")
export class OrderNumberEntity {
  @PrimaryGeneratedColumn({ type: "int" })
  number!: number;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;
}
