import { readFromReplica, Role, ValidationException, type FieldError, type RequestContext } from "@honour/platform";
import { Between, In } from "typeorm";
import { DailyStatsEntity, RollupDimension } from "../rollup/daily-stats.entity";
import { HourlyStatsEntity } from "../rollup/hourly-stats.entity";
import { StatsLabelEntity } from "../rollup/stats-label.entity";
import { planRange, rangeSums } from "../rollup/periods";
import { daysFrom, toDate } from "../rollup/rollup.service";
import { requireRole } from "../stats-access";
import { addDays, daysBetween, isLocalDay, type LocalDay, type SiteTimeZone } from "../zone/site-time-zone";

export enum StatsMetric {
  VISITORS = "VISITORS",
  PAGEVIEWS = "PAGEVIEWS",
}

export enum StatsDimension {
  NONE = "NONE",
  DATE = "DATE",
  HOUR = "HOUR",
  PAGE = "PAGE",
  REFERRER_DOMAIN = "REFERRER_DOMAIN",
  BROWSER = "BROWSER",
  UTM_SOURCE = "UTM_SOURCE",
}

/** The longest range one query may cover, in days; HOUR rows are limited further. */
export const STATS_MAX_DAYS = 731;
export const STATS_MAX_HOUR_DAYS = 92;
export const STATS_MAX_LIMIT = 1000;
/** Rows of a ranking (page, referrer, browser, source) when no limit is given. */
export const STATS_DEFAULT_LIMIT = 100;

/** Who may read the statistics: marketing and admins (and the system itself). */
export const STATS_READERS: readonly Role[] = [Role.MARKETING, Role.ADMIN];

export interface StatsQuery {
  /** First day, site time zone, `YYYY-MM-DD`. */
  from: LocalDay;
  /** Last day, included. */
  to: LocalDay;
  metrics: readonly StatsMetric[];
  dimension?: StatsDimension | null;
  limit?: number | null;
}

/** One row of a statistics answer. A metric not asked for is null. */
export interface StatsRow {
  /**
   * The day (`YYYY-MM-DD`), the hour (`2026-10-25T01:00+01:00`), the page path, referrer domain,
   * browser or UTM source; null for the NONE total, direct visits and views without a source.
   */
  key: string | null;
  visitors: number | null;
  pageviews: number | null;
}

const ROLLUP_DIMENSION: Partial<Record<StatsDimension, RollupDimension>> = {
  [StatsDimension.NONE]: RollupDimension.TOTAL,
  [StatsDimension.DATE]: RollupDimension.TOTAL,
  [StatsDimension.PAGE]: RollupDimension.PAGE,
  [StatsDimension.REFERRER_DOMAIN]: RollupDimension.REFERRER_DOMAIN,
  [StatsDimension.BROWSER]: RollupDimension.BROWSER,
  [StatsDimension.UTM_SOURCE]: RollupDimension.UTM_SOURCE,
};

/**
 * Answers statistics queries from the rollups. Visitors of several days are the sum of each
 * day's unique visitors: visitor ids change daily, so that sum is exact, and it is all anyone
 * can know.
 */
export class StatsQueryService {
  constructor(private readonly zone: SiteTimeZone) {}

  /** Reads a read replica when there is one: the rollups tolerate its lag (docs/scaling.md). */
  query(ctx: RequestContext, query: StatsQuery): Promise<StatsRow[]> {
    return readFromReplica(ctx, (replica) => this.answer(replica, query));
  }

  private async answer(ctx: RequestContext, query: StatsQuery): Promise<StatsRow[]> {
    requireRole(ctx, STATS_READERS);
    const dimension = query.dimension ?? StatsDimension.NONE;
    validate(query, dimension);
    const wantVisitors = query.metrics.includes(StatsMetric.VISITORS);
    const wantPageviews = query.metrics.includes(StatsMetric.PAGEVIEWS);
    const present = (rows: { key: string | null; visitors: number; pageviews: number }[]): StatsRow[] =>
      rows.map((row) => ({
        key: row.key,
        visitors: wantVisitors ? row.visitors : null,
        pageviews: wantPageviews ? row.pageviews : null,
      }));
    const limit = query.limit ?? undefined;

    if (dimension === StatsDimension.HOUR) return present(await this.hours(ctx, query.from, query.to)).slice(0, limit);
    if (dimension === StatsDimension.DATE) return present(await this.dates(ctx, query.from, query.to)).slice(0, limit);

    const rollup = ROLLUP_DIMENSION[dimension]!;
    const today = this.zone.dayOf(ctx.clock.now().getTime());
    const { sql: sums, params } = rangeSums(rollup, planRange(query.from, query.to, today));
    if (dimension === StatsDimension.NONE) {
      const [total] = (await ctx.manager.query(
        `SELECT SUM(u.v) AS sumVisitors, SUM(u.p) AS sumPageviews FROM (${sums}) u`,
        params,
      )) as { sumVisitors: string | number | null; sumPageviews: string | number | null }[];
      return present([
        { key: null, visitors: Number(total?.sumVisitors ?? 0), pageviews: Number(total?.sumPageviews ?? 0) },
      ]);
    }
    // Grouped by the label's integer id, and only the rows kept are given their text. A label
    // seen only on days a period's row brought in and took away again sums to no page views: no row.
    const order = wantVisitors ? ["sumVisitors", "sumPageviews"] : ["sumPageviews", "sumVisitors"];
    const rows = (await ctx.manager.query(
      `SELECT u.labelId AS labelId, SUM(u.v) AS sumVisitors, SUM(u.p) AS sumPageviews FROM (${sums}) u ` +
        `GROUP BY u.labelId HAVING SUM(u.p) > 0 ` +
        `ORDER BY ${order[0]} DESC, ${order[1]} DESC, labelId ASC LIMIT ?`,
      [...params, limit ?? STATS_DEFAULT_LIMIT],
    )) as { labelId: number | string; sumVisitors: string | number; sumPageviews: string | number }[];
    const ids = rows.map((row) => Number(row.labelId)).filter((id) => id !== 0);
    const labels = new Map(
      ids.length === 0
        ? []
        : (await ctx.manager.find(StatsLabelEntity, { where: { id: In(ids) } })).map((l) => [l.id, l.label]),
    );
    const counted = rows.map((row) => ({
      key: labels.get(Number(row.labelId)) ?? null,
      visitors: Number(row.sumVisitors),
      pageviews: Number(row.sumPageviews),
    }));
    const first = wantVisitors ? "visitors" : "pageviews";
    const second = wantVisitors ? "pageviews" : "visitors";
    counted.sort(
      (a, b) => b[first] - a[first] || b[second] - a[second] || String(a.key ?? "").localeCompare(String(b.key ?? "")),
    );
    return present(counted);
  }

  /** Every day of the range, in order, with zeros for days without views. */
  private async dates(ctx: RequestContext, from: LocalDay, to: LocalDay) {
    const rows = await ctx.manager.find(DailyStatsEntity, {
      where: { dimension: RollupDimension.TOTAL, day: Between(from, to), labelId: 0 },
    });
    const byDay = new Map(rows.map((row) => [row.day, row]));
    return daysFrom(from, to).map((day) => ({
      key: day,
      visitors: byDay.get(day)?.visitors ?? 0,
      pageviews: byDay.get(day)?.pageviews ?? 0,
    }));
  }

  /** Every local hour of the range, in order (23 on the spring day, 25 in the autumn), zeros included. */
  private async hours(ctx: RequestContext, from: LocalDay, to: LocalDay) {
    const start = this.zone.startOfDay(from);
    const end = this.zone.startOfDay(addDays(to, 1));
    const rows = await ctx.manager
      .createQueryBuilder(HourlyStatsEntity, "h")
      .where("h.hour >= :start AND h.hour < :end", { start: new Date(start), end: new Date(end) })
      .getMany();
    const byHour = new Map(rows.map((row) => [toDate(row.hour).getTime(), row]));
    return this.zone.hoursOf(from, to).map(({ start: hour, offset }) => {
      const row = byHour.get(hour);
      return { key: this.zone.formatHour(hour, offset), visitors: row?.visitors ?? 0, pageviews: row?.pageviews ?? 0 };
    });
  }
}

function validate(query: StatsQuery, dimension: StatsDimension): void {
  const fields: FieldError[] = [];
  const fromOk = isLocalDay(query.from);
  const toOk = isLocalDay(query.to);
  if (!fromOk) fields.push({ field: "input.from", message: "must be a day, YYYY-MM-DD" });
  if (!toOk) fields.push({ field: "input.to", message: "must be a day, YYYY-MM-DD" });
  if (fromOk && toOk) {
    const days = daysBetween(query.from, query.to) + 1;
    const max = dimension === StatsDimension.HOUR ? STATS_MAX_HOUR_DAYS : STATS_MAX_DAYS;
    if (days < 1) fields.push({ field: "input.to", message: "must not be before from" });
    else if (days > max) fields.push({ field: "input.to", message: `must be at most ${max} days after from` });
  }
  if (query.metrics.length === 0 || query.metrics.some((m) => !Object.values(StatsMetric).includes(m))) {
    fields.push({ field: "input.metrics", message: "must name at least one of VISITORS, PAGEVIEWS" });
  }
  if (!Object.values(StatsDimension).includes(dimension)) {
    fields.push({ field: "input.dimension", message: "is not a dimension" });
  }
  const limit = query.limit;
  if (limit !== undefined && limit !== null && (!Number.isInteger(limit) || limit < 1 || limit > STATS_MAX_LIMIT)) {
    fields.push({ field: "input.limit", message: `must be between 1 and ${STATS_MAX_LIMIT}` });
  }
  if (fields.length > 0) throw new ValidationException(fields);
}
