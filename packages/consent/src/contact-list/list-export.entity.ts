import type { Channel, Topic } from "@honour/platform";
import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** The log of contact list exports: who took which list, when, and how many people were on it. */
@Entity("consent_list_export")
@Index("IDX_consent_list_export_at", ["exportedAt"])
export class ListExportEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  /** The staff account that exported the list. */
  @Column({ type: "char", length: 36 })
  exportedBy!: string;

  @Column({ type: "varchar", length: 32 })
  topic!: Topic;

  @Column({ type: "varchar", length: 16 })
  channel!: Channel;

  @Column({ type: "int" })
  rowCount!: number;

  @Column({ type: "datetime", precision: 3 })
  exportedAt!: Date;
}
