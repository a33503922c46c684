import { Column, Entity, PrimaryColumn } from "typeorm";
import type { RollupDimension } from "./daily-stats.entity";

/**
 * The sums of {@link DailyStatsEntity} over longer periods of the site's calendar, per dimension
 * and label: each calendar month (`2026-11`) and each of its three tenths (`2026-11/1` the 1st to
 * the 10th, `/2` the 11th to the 20th, `/3` the 21st to the end). Visitor ids change every day,
 * so a period's visitors are exactly the sum of its days'. Rebuilt whenever a day is rolled up,
 * in the same transaction: its tenth from the tenth's days, then its month from the month's
 * tenths, so a period always equals its days; days rolled up before this table existed get
 * theirs at the next rollup (`RollupService.repairPeriods`). A query over a quarter reads a few
 * periods and a few days instead of ninety days.
 */
@Entity("stats_period")
export class PeriodStatsEntity {
  @PrimaryColumn({ type: "varchar", length: 16 })
  dimension!: RollupDimension;

  /** `YYYY-MM` for a month, `YYYY-MM/1`, `/2` or `/3` for its tenths. */
  @PrimaryColumn({ type: "varchar", length: 9 })
  period!: string;

  /** As in the daily rows: the label's id in `stats_label`, 0 for none (and for TOTAL). */
  @PrimaryColumn({ type: "int", unsigned: true })
  labelId!: number;

  @Column({ type: "int" })
  visitors!: number;

  @Column({ type: "int" })
  pageviews!: number;
}
