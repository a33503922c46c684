import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { PAGE_VIEW_LIMITS } from "../ingest/page-view-reduction";
import type { RollupDimension } from "./daily-stats.entity";

/**
 * The pages, referring domains, browsers and UTM sources the daily counts name, each stored once.
 * The daily rows refer to them by a small integer, so summing a quarter of them groups by an
 * integer rather than by a 500-character text (several times faster on MySQL), and a page's path
 * is not repeated for every day.
 */
@Entity("stats_label")
@Index("UQ_stats_label", ["dimension", "label"], { unique: true })
export class StatsLabelEntity {
  /** From 1; 0 in {@link DailyStatsEntity.labelId} means "none". */
  @PrimaryGeneratedColumn({ type: "int", unsigned: true })
  id!: number;

  @Column({ type: "varchar", length: 16 })
  dimension!: RollupDimension;

  /** Compared with the database's collation (case-insensitively on MySQL), as the rollups group. */
  @Column({ type: "varchar", length: PAGE_VIEW_LIMITS.path })
  label!: string;
}
