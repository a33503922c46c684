import type { EntityManager } from "typeorm";
import { addDays, type LocalDay } from "../zone/site-time-zone";
import { RollupDimension } from "./daily-stats.entity";

/**
 * The periods of `stats_period`: calendar months and their tenths, in the site's calendar. A
 * period's rows are the sums of its days' rows in `stats_daily`, so any range can be summed from
 * a few periods and a few days, each added or taken away, with exactly the daily result.
 */
interface Unit {
  kind: "month" | "tenth" | "day";
  /** `2026-11`, `2026-11/2` or `2026-11-25`. */
  key: string;
  first: LocalDay;
  last: LocalDay;
}

/** `2026-11-25` → `2026-11`. */
export function monthOf(day: LocalDay): string {
  return day.slice(0, 7);
}

/** `2026-11-25` → `2026-11/3`: the 1st to the 10th are `/1`, the 11th to the 20th `/2`, the rest `/3`. */
export function tenthOf(day: LocalDay): string {
  const date = Number(day.slice(8, 10));
  return `${monthOf(day)}/${date <= 10 ? 1 : date <= 20 ? 2 : 3}`;
}

/** The first and last day of a month (`2026-11`) or a tenth (`2026-11/3`). */
export function periodBounds(period: string): [LocalDay, LocalDay] {
  const [month, tenth] = period.split("/") as [string, string | undefined];
  const [year, number] = month.split("-").map(Number) as [number, number];
  const end = `${month}-${String(new Date(Date.UTC(year, number, 0)).getUTCDate()).padStart(2, "0")}`;
  if (tenth === "1") return [`${month}-01`, `${month}-10`];
  if (tenth === "2") return [`${month}-11`, `${month}-20`];
  if (tenth === "3") return [`${month}-21`, end];
  return [`${month}-01`, end];
}

function unit(kind: Unit["kind"], key: string): Unit {
  const [first, last] = kind === "day" ? [key, key] : periodBounds(key);
  return { kind, key, first, last };
}

function children(parent: Unit): Unit[] {
  if (parent.kind === "month") return [1, 2, 3].map((n) => unit("tenth", `${parent.key}/${n}`));
  const days: Unit[] = [];
  for (let day = parent.first; day <= parent.last; day = addDays(day, 1)) days.push(unit("day", day));
  return days;
}

/** Which rollup rows make up a range: periods and day ranges (both ends included), added or taken away. */
export interface RangePlan {
  plus: { periods: string[]; days: [LocalDay, LocalDay][] };
  minus: { periods: string[]; days: [LocalDay, LocalDay][] };
}

interface Term {
  unit: Unit;
  sign: 1 | -1;
}

interface Cover {
  /** Sets of rows read, about one day's worth each; none for days after today (no rows yet). */
  cost: number;
  terms: Term[];
}

/**
 * The cheapest signed sum of periods and days that equals `from`…`to`: each month it covers whole
 * is one month's rows; of a month (or a tenth) it covers in part, either its parts inside, or the
 * whole less its parts outside, whichever reads fewer rows. Days after `today` have no rows yet
 * and cost nothing. Each way gives the same sums, because a period's row is the sum of its days'.
 */
export function planRange(from: LocalDay, to: LocalDay, today: LocalDay): RangePlan {
  const terms: Term[] = [];
  for (let month = monthOf(from); month <= monthOf(to); month = monthOf(addDays(periodBounds(month)[1], 1))) {
    const whole = unit("month", month);
    terms.push(
      ...cover(whole, from > whole.first ? from : whole.first, to < whole.last ? to : whole.last, today).terms,
    );
  }
  const plan: RangePlan = { plus: { periods: [], days: [] }, minus: { periods: [], days: [] } };
  for (const { unit: u, sign } of terms) {
    const side = sign > 0 ? plan.plus : plan.minus;
    if (u.kind !== "day") {
      side.periods.push(u.key);
      continue;
    }
    const last = side.days[side.days.length - 1];
    if (last && addDays(last[1], 1) === u.key) last[1] = u.key;
    else side.days.push([u.key, u.key]);
  }
  return plan;
}

/** The cheapest cover of `from`…`to`, which lie within `whole`. */
function cover(whole: Unit, from: LocalDay, to: LocalDay, today: LocalDay): Cover {
  const cost = whole.first <= today ? 1 : 0;
  if (from === whole.first && to === whole.last) return { cost, terms: [{ unit: whole, sign: 1 }] };
  const parts = (a: LocalDay, b: LocalDay): Cover => {
    const result: Cover = { cost: 0, terms: [] };
    for (const child of children(whole)) {
      if (child.last < a || child.first > b) continue;
      const part = cover(child, a > child.first ? a : child.first, b < child.last ? b : child.last, today);
      result.cost += part.cost;
      result.terms.push(...part.terms);
    }
    return result;
  };
  const inside = parts(from, to);
  const complement: Cover = { cost, terms: [{ unit: whole, sign: 1 }] };
  for (const [a, b] of [
    [whole.first, addDays(from, -1)],
    [addDays(to, 1), whole.last],
  ] as const) {
    if (a > b) continue;
    const outside = parts(a, b);
    complement.cost += outside.cost;
    complement.terms.push(...outside.terms.map((t) => ({ unit: t.unit, sign: -t.sign as 1 | -1 })));
  }
  return inside.cost <= complement.cost ? inside : complement;
}

/**
 * A SELECT of `labelId`, `v` (visitors) and `p` (page views) rows that sum, per label, to the
 * planned range: periods from `stats_period`, days from `stats_daily`, those taken away negated.
 * Each part is summed per label first: the outer sum then groups a few rows per label, not one
 * per label and day (measured some 15 % faster on MariaDB).
 */
export function rangeSums(dimension: RollupDimension, plan: RangePlan): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const [side, sign] of [
    [plan.plus, ""],
    [plan.minus, "-"],
  ] as const) {
    if (side.periods.length > 0) {
      parts.push(
        `SELECT s.\`labelId\` AS labelId, ${sign}SUM(s.\`visitors\`) AS v, ${sign}SUM(s.\`pageviews\`) AS p ` +
          `FROM \`stats_period\` s WHERE s.\`dimension\` = ? AND s.\`period\` IN (${side.periods.map(() => "?").join(", ")}) ` +
          "GROUP BY s.`labelId`",
      );
      params.push(dimension, ...side.periods);
    }
    if (side.days.length > 0) {
      parts.push(
        `SELECT d.\`labelId\` AS labelId, ${sign}SUM(d.\`visitors\`) AS v, ${sign}SUM(d.\`pageviews\`) AS p ` +
          `FROM \`stats_daily\` d WHERE d.\`dimension\` = ? AND (${side.days.map(() => "d.`day` BETWEEN ? AND ?").join(" OR ")}) ` +
          "GROUP BY d.`labelId`",
      );
      params.push(dimension, ...side.days.flat());
    }
  }
  return { sql: parts.join(" UNION ALL "), params };
}

/** Every dimension, so that conditions on a period or on days can use the primary keys, which begin with it. */
const DIMENSIONS: readonly RollupDimension[] = Object.values(RollupDimension);

/** `x.\`dimension\` IN (?, …)` for every dimension, with its parameters. */
function allDimensions(alias: string): { sql: string; params: readonly RollupDimension[] } {
  return { sql: `${alias}\`dimension\` IN (${DIMENSIONS.map(() => "?").join(", ")})`, params: DIMENSIONS };
}

/**
 * Writes anew the rows of the tenth and the month `day` falls in: the tenth as the sums of its
 * days in `stats_daily`, then the month as the sums of its tenths. Whatever happened to the day
 * before (rolled up again, a late view), its periods then equal their days. Runs in the caller's
 * transaction, after the day's own rows.
 *
 * Every condition names all the dimensions: the primary keys begin with the dimension, so that
 * a period or a few days are found by key instead of by reading (and on MariaDB locking) whole tables.
 */
export async function rebuildPeriods(manager: EntityManager, day: LocalDay): Promise<void> {
  const tenth = tenthOf(day);
  const [first, last] = periodBounds(tenth);
  const insert = "INSERT INTO `stats_period` (`dimension`, `period`, `labelId`, `visitors`, `pageviews`) ";
  const plain = allDimensions("");
  const d = allDimensions("d.");
  const t = allDimensions("t.");
  await manager.query(`DELETE FROM \`stats_period\` WHERE ${plain.sql} AND \`period\` = ?`, [...plain.params, tenth]);
  await manager.query(
    `${insert}SELECT d.\`dimension\`, ?, d.\`labelId\`, SUM(d.\`visitors\`), SUM(d.\`pageviews\`) ` +
      `FROM \`stats_daily\` d WHERE ${d.sql} AND d.\`day\` BETWEEN ? AND ? GROUP BY d.\`dimension\`, d.\`labelId\``,
    [tenth, ...d.params, first, last],
  );
  const month = monthOf(day);
  await manager.query(`DELETE FROM \`stats_period\` WHERE ${plain.sql} AND \`period\` = ?`, [...plain.params, month]);
  await manager.query(
    `${insert}SELECT t.\`dimension\`, ?, t.\`labelId\`, SUM(t.\`visitors\`), SUM(t.\`pageviews\`) ` +
      `FROM \`stats_period\` t WHERE ${t.sql} AND t.\`period\` IN (?, ?, ?) GROUP BY t.\`dimension\`, t.\`labelId\``,
    [month, ...t.params, `${month}/1`, `${month}/2`, `${month}/3`],
  );
}

/**
 * The tenths to rebuild so that every period with daily rows has its rows: each tenth of a day
 * with daily rows that has no rows itself, or whose month has none, oldest first. Every rolled-up
 * day has a TOTAL row, and every rebuilt period a TOTAL row, so the TOTAL rows (one a day, four a
 * month) tell. Reads every TOTAL row: for a start-up check or when {@link periodsLookIncomplete}
 * says so, not for every rollup.
 */
export async function missingTenths(manager: EntityManager): Promise<string[]> {
  const days = (await manager.query("SELECT d.`day` AS day FROM `stats_daily` d WHERE d.`dimension` = ?", [
    RollupDimension.TOTAL,
  ])) as { day: string }[];
  const periods = (await manager.query("SELECT p.`period` AS period FROM `stats_period` p WHERE p.`dimension` = ?", [
    RollupDimension.TOTAL,
  ])) as { period: string }[];
  const present = new Set(periods.map((row) => row.period));
  const missing = new Set<string>();
  for (const { day } of days) {
    const tenth = tenthOf(day);
    if (!present.has(tenth) || !present.has(monthOf(day))) missing.add(tenth);
  }
  return [...missing].sort();
}

/**
 * A cheap check, two reads by primary key: whether the oldest day with daily rows falls before the
 * oldest tenth with period rows (or there is none). Periods are written with their days, so the
 * only ones missing are those of days rolled up before `stats_period` existed, all older than any
 * period row (on SQLite the table comes from the entities, with no migration to fill it).
 */
export async function periodsLookIncomplete(manager: EntityManager): Promise<boolean> {
  const [oldestDay] = (await manager.query(
    "SELECT d.`day` AS day FROM `stats_daily` d WHERE d.`dimension` = ? ORDER BY d.`day` LIMIT 1",
    [RollupDimension.TOTAL],
  )) as { day: string }[];
  if (!oldestDay) return false;
  const [oldestTenth] = (await manager.query(
    "SELECT p.`period` AS period FROM `stats_period` p WHERE p.`dimension` = ? AND p.`period` LIKE ? " +
      "ORDER BY p.`period` LIMIT 1",
    [RollupDimension.TOTAL, "%/%"],
  )) as { period: string }[];
  return !oldestTenth || oldestTenth.period > tenthOf(oldestDay.day);
}
