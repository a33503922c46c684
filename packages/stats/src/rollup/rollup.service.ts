import { ValidationException, type RequestContext } from "@honour/platform";
import type { EntityManager } from "typeorm";
import { PageViewEntity } from "../ingest/page-view.entity";
import { addDays, daysBetween, isLocalDay, type LocalDay, type SiteTimeZone } from "../zone/site-time-zone";
import { DailyStatsEntity, RollupDimension } from "./daily-stats.entity";
import { HourlyStatsEntity } from "./hourly-stats.entity";
import { missingTenths, periodBounds, periodsLookIncomplete, rebuildPeriods } from "./periods";
import { StatsLabelEntity } from "./stats-label.entity";

/** The page view column each dimension counts by. */
const DIMENSION_COLUMNS: readonly [RollupDimension, keyof PageViewEntity & string][] = [
  [RollupDimension.PAGE, "path"],
  [RollupDimension.REFERRER_DOMAIN, "referrerDomain"],
  [RollupDimension.BROWSER, "browser"],
  [RollupDimension.UTM_SOURCE, "utmSource"],
];

const UPSERT_CHUNK = 500;
/** Labels checked per statement (SQLite allows 500 terms in a compound SELECT). */
const LABEL_CHUNK = 200;
/** `labelId` of TOTAL rows and of views without a referrer or source. */
const NO_LABEL = 0;

interface CountRow {
  visitors: number | string;
  pageviews: number | string;
}

/**
 * Rolls the raw page views up into daily counts (in total and per page, referrer domain,
 * browser and UTM source) and hourly counts, in the site's time zone. A day's counts are computed
 * whole from its raw page views and upserted, so rolling up again is harmless and a late page view
 * (written after an outage) is counted at the next run.
 */
export class RollupService {
  /** Whether this process has made sure, once, that every period with daily rows has its rows. */
  private periodsComplete = false;

  constructor(
    private readonly zone: SiteTimeZone,
    private readonly rawRetentionDays: number,
  ) {}

  /**
   * Rolls up the given days, by default yesterday and today. Days whose raw page views may
   * already be deleted are refused: their counts would come out too low.
   */
  async rollUp(ctx: RequestContext, days?: readonly LocalDay[]): Promise<LocalDay[]> {
    const today = this.zone.dayOf(ctx.clock.now().getTime());
    const oldestKept = this.oldestKeptDay(ctx);
    const wanted = days ?? [addDays(today, -1), today];
    for (const day of wanted) {
      if (!isLocalDay(day))
        throw new ValidationException([{ field: "days", message: `${day} is not a YYYY-MM-DD day` }]);
      if (day < oldestKept) {
        throw new ValidationException([
          { field: "days", message: `${day} is older than the ${this.rawRetentionDays} days raw page views are kept` },
        ]);
      }
    }
    await this.repairPeriods(ctx);
    const unique = [...new Set(wanted)].sort();
    for (const day of unique) await ctx.transaction((tx) => this.rollUpDay(tx.manager, day));
    return unique;
  }

  /**
   * Rebuilds the months and tenths of days that have daily rows but no period rows: days rolled
   * up before `stats_period` existed, which the MariaDB migration fills but SQLite (whose tables
   * come from the entities) does not, and which no rollup visits again. Run at every rollup: the
   * first in a process compares every day with the periods; later ones only make the cheap check
   * of {@link periodsLookIncomplete}. Each tenth (with its month) in a transaction of its own,
   * newest first, so that a repair cut short leaves the oldest missing and the check sees it.
   * Returns the tenths rebuilt, oldest first.
   */
  async repairPeriods(ctx: RequestContext): Promise<string[]> {
    if (this.periodsComplete && !(await periodsLookIncomplete(ctx.manager))) return [];
    const missing = await missingTenths(ctx.manager);
    for (const tenth of [...missing].reverse()) {
      await ctx.transaction((tx) => rebuildPeriods(tx.manager, periodBounds(tenth)[0]));
    }
    this.periodsComplete = true;
    return missing;
  }

  /** The first day whose raw page views are all still kept. */
  oldestKeptDay(ctx: RequestContext): LocalDay {
    return addDays(this.zone.dayOf(ctx.clock.now().getTime()), -this.rawRetentionDays);
  }

  /** Deletes raw page views of days before the retention period. Returns how many. */
  async purgeRawPageViews(ctx: RequestContext): Promise<number> {
    const before = this.oldestKeptDay(ctx);
    const result = await ctx.manager
      .createQueryBuilder()
      .delete()
      .from(PageViewEntity)
      .where("day < :before", { before })
      .execute();
    return result.affected ?? 0;
  }

  private async rollUpDay(manager: EntityManager, day: LocalDay): Promise<void> {
    const counts = (select: string, where = "", params: unknown[] = []) =>
      manager.query(
        `SELECT ${select}COUNT(DISTINCT v.\`visitorId\`) AS visitors, COUNT(*) AS pageviews ` +
          `FROM \`stats_page_view\` v WHERE v.\`day\` = ?${where}`,
        [day, ...params],
      ) as Promise<CountRow[]>;
    const [total] = await counts("");
    if (!total || Number(total.pageviews) === 0) return;

    const daily: DailyStatsEntity[] = [];
    const add = (dimension: RollupDimension, labelId: number, row: CountRow) =>
      daily.push(
        Object.assign(new DailyStatsEntity(), {
          dimension,
          day,
          labelId,
          visitors: Number(row.visitors),
          pageviews: Number(row.pageviews),
        }),
      );
    add(RollupDimension.TOTAL, NO_LABEL, total);
    for (const [dimension, column] of DIMENSION_COLUMNS) {
      await this.ensureLabels(manager, dimension, column, day);
      // Grouped first, then joined: the join touches one row per label, and matches with the
      // database's collation, exactly as the grouping and the label's unique index compare.
      const rows: (CountRow & { labelId: number | string })[] = await manager.query(
        `SELECT l.\`id\` AS labelId, g.visitors, g.pageviews FROM (` +
          `SELECT v.\`${column}\` AS label, COUNT(DISTINCT v.\`visitorId\`) AS visitors, COUNT(*) AS pageviews ` +
          `FROM \`stats_page_view\` v WHERE v.\`day\` = ? AND v.\`${column}\` IS NOT NULL GROUP BY v.\`${column}\`` +
          `) g INNER JOIN \`stats_label\` l ON l.\`dimension\` = ? AND l.\`label\` = g.label`,
        [day, dimension],
      );
      for (const row of rows) add(dimension, Number(row.labelId), row);
      const [none] = await counts("", ` AND v.\`${column}\` IS NULL`);
      if (none && Number(none.pageviews) > 0) add(dimension, NO_LABEL, none);
    }
    const hours = (await manager.query(
      "SELECT v.`hour` AS hour, COUNT(DISTINCT v.`visitorId`) AS visitors, COUNT(*) AS pageviews " +
        "FROM `stats_page_view` v WHERE v.`day` = ? GROUP BY v.`hour`",
      [day],
    )) as (CountRow & { hour: Date | string })[];

    for (let i = 0; i < daily.length; i += UPSERT_CHUNK) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(DailyStatsEntity)
        .values(daily.slice(i, i + UPSERT_CHUNK))
        .orUpdate(["visitors", "pageviews"], ["dimension", "day", "labelId"])
        .execute();
    }
    const hourly = hours.map((row) =>
      Object.assign(new HourlyStatsEntity(), {
        hour: toDate(row.hour),
        visitors: Number(row.visitors),
        pageviews: Number(row.pageviews),
      }),
    );
    await manager
      .createQueryBuilder()
      .insert()
      .into(HourlyStatsEntity)
      .values(hourly)
      .orUpdate(["visitors", "pageviews"], ["hour"])
      .execute();
    await rebuildPeriods(manager, day);
  }

  /**
   * Adds the labels of a day's page views that `stats_label` does not have yet. Which ones are
   * new is asked of the database (a join on the labels), never decided in JavaScript: on MySQL
   * `/About` and `/about` are one label, as they are one group.
   */
  private async ensureLabels(
    manager: EntityManager,
    dimension: RollupDimension,
    column: string,
    day: LocalDay,
  ): Promise<void> {
    const distinct: { label: string }[] = await manager.query(
      `SELECT DISTINCT v.\`${column}\` AS label FROM \`stats_page_view\` v ` +
        `WHERE v.\`day\` = ? AND v.\`${column}\` IS NOT NULL`,
      [day],
    );
    for (let i = 0; i < distinct.length; i += LABEL_CHUNK) {
      const chunk = distinct.slice(i, i + LABEL_CHUNK).map((row) => row.label);
      const wanted = chunk.map(() => "SELECT ? AS label").join(" UNION ALL ");
      const missing: { label: string }[] = await manager.query(
        `SELECT w.label FROM (${wanted}) w LEFT JOIN \`stats_label\` l ` +
          `ON l.\`dimension\` = ? AND l.\`label\` = w.label WHERE l.\`id\` IS NULL`,
        [...chunk, dimension],
      );
      if (missing.length === 0) continue;
      // orIgnore: another worker may add the same label meanwhile; either row will do.
      await manager
        .createQueryBuilder()
        .insert()
        .into(StatsLabelEntity)
        .values(missing.map(({ label }) => ({ dimension, label })))
        .orIgnore()
        .execute();
    }
  }
}

/** A datetime read by a raw query: mysql2 gives a Date (UTC), SQLite TypeORM's UTC text. */
export function toDate(value: Date | string): Date {
  if (value instanceof Date) return value;
  return new Date(`${value.replace(" ", "T")}${value.endsWith("Z") ? "" : "Z"}`);
}

/** Days from `from` to `to`, both included. */
export function daysFrom(from: LocalDay, to: LocalDay): LocalDay[] {
  const days: LocalDay[] = [];
  for (let i = 0; i <= daysBetween(from, to); i++) days.push(addDays(from, i));
  return days;
}
