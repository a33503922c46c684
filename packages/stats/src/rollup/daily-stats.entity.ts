import { Column, Entity, PrimaryColumn } from "typeorm";

/** What a row of {@link DailyStatsEntity} counts by. */
export enum RollupDimension {
  /** Every page view of the day; `labelId` is 0. */
  TOTAL = "TOTAL",
  PAGE = "PAGE",
  /** `labelId` 0: direct visits. */
  REFERRER_DOMAIN = "REFERRER_DOMAIN",
  BROWSER = "BROWSER",
  /** `labelId` 0: no `utm_source`. */
  UTM_SOURCE = "UTM_SOURCE",
}

/**
 * Daily counts per page, referrer domain, browser and UTM source, and in total, in the site's
 * time zone. Rewritten (upserted) from the raw page views while they are kept; kept for good.
 * Visitor ids change every day, so visitors of several days add up.
 */
@Entity("stats_daily")
export class DailyStatsEntity {
  @PrimaryColumn({ type: "varchar", length: 16 })
  dimension!: RollupDimension;

  @PrimaryColumn({ type: "varchar", length: 10 })
  day!: string;

  /** The page, domain, browser or source in `stats_label`; 0 for none (and for TOTAL). */
  @PrimaryColumn({ type: "int", unsigned: true })
  labelId!: number;

  /** Distinct visitor ids. */
  @Column({ type: "int" })
  visitors!: number;

  @Column({ type: "int" })
  pageviews!: number;
}
