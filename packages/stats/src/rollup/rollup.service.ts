import { ValidationException, type RequestContext } from "@honour/platform";
import type { EntityManager } from "typeorm";
import { PageViewEntity } from "../ingest/page-view.entity";
import { addDays, daysBetween, isLocalDay, type LocalDay, type SiteTimeZone } from "../zone/site-time-zone";
import { DailyStatsEntity, RollupDimension } from "./daily-stats.entity";
import { HourlyStatsEntity } from "./hourly-stats.entity";

/** The page view column each dimension counts by. */
const DIMENSION_COLUMNS: readonly [RollupDimension, keyof PageViewEntity][] = [
  [RollupDimension.PAGE, "path"],
  [RollupDimension.REFERRER_DOMAIN, "referrerDomain"],
  [RollupDimension.BROWSER, "browser"],
  [RollupDimension.UTM_SOURCE, "utmSource"],
];

const UPSERT_CHUNK = 500;

interface CountRow {
  label: string | null;
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
    const unique = [...new Set(wanted)].sort();
    for (const day of unique) await ctx.transaction((tx) => this.rollUpDay(tx.manager, day));
    return unique;
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
    const daily: DailyStatsEntity[] = [];
    const add = (dimension: RollupDimension, rows: CountRow[]) => {
      for (const row of rows) {
        daily.push(
          Object.assign(new DailyStatsEntity(), {
            dimension,
            day,
            label: row.label ?? "",
            visitors: Number(row.visitors),
            pageviews: Number(row.pageviews),
          }),
        );
      }
    };
    const base = () =>
      manager
        .createQueryBuilder(PageViewEntity, "v")
        .select("COUNT(DISTINCT v.visitorId)", "visitors")
        .addSelect("COUNT(*)", "pageviews")
        .where("v.day = :day", { day });

    const [total] = await base().getRawMany<CountRow>();
    if (!total || Number(total.pageviews) === 0) return;
    add(RollupDimension.TOTAL, [{ ...total, label: "" }]);
    for (const [dimension, column] of DIMENSION_COLUMNS) {
      add(dimension, await base().addSelect(`v.${column}`, "label").groupBy(`v.${column}`).getRawMany<CountRow>());
    }
    const hours = await base()
      .addSelect("v.hour", "hour")
      .groupBy("v.hour")
      .getRawMany<CountRow & { hour: Date | string }>();

    for (let i = 0; i < daily.length; i += UPSERT_CHUNK) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(DailyStatsEntity)
        .values(daily.slice(i, i + UPSERT_CHUNK))
        .orUpdate(["visitors", "pageviews"], ["dimension", "day", "label"])
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
