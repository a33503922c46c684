import { Column, Entity, PrimaryColumn } from "typeorm";

/** Visitors and page views per hour of the site's time zone; kept for good. */
@Entity("stats_hourly")
export class HourlyStatsEntity {
  /** The start of the local hour as a UTC instant (October's repeated hour is two rows). */
  @PrimaryColumn({ type: "datetime" })
  hour!: Date;

  /** Distinct visitor ids within the hour. */
  @Column({ type: "int" })
  visitors!: number;

  @Column({ type: "int" })
  pageviews!: number;
}
