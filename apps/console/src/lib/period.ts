/** A day in the site's time zone, `YYYY-MM-DD`. */
export type LocalDay = string;

export type PeriodChoice = "today" | "7d" | "30d" | "90d" | "custom";

export interface Period {
  from: LocalDay;
  to: LocalDay;
  /** The same number of days just before. */
  previousFrom: LocalDay;
  previousTo: LocalDay;
  /** By hour for a single day, by day for longer. */
  series: "HOUR" | "DATE";
  days: number;
}

export const PERIOD_CHOICES: { value: PeriodChoice; label: string }[] = [
  { value: "today", label: "Today" },
  { value: "7d", label: "7 days" },
  { value: "30d", label: "30 days" },
  { value: "90d", label: "90 days" },
  { value: "custom", label: "Custom" },
];

/** Today in the time zone, as the site's calendar has it. */
export function todayIn(timeZone: string, now: Date = new Date()): LocalDay {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/** The day `days` after (or before) `day`, by the calendar (no time zone involved). */
export function addDays(day: LocalDay, days: number): LocalDay {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

export function daysBetween(from: LocalDay, to: LocalDay): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function isLocalDay(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
}

/** The period a choice stands for, ending today (custom: from..to as given), and the one before it. */
export function periodOf(choice: PeriodChoice, today: LocalDay, custom?: { from: LocalDay; to: LocalDay }): Period {
  let from: LocalDay;
  let to: LocalDay = today;
  if (choice === "custom" && custom) {
    from = custom.from;
    to = custom.to;
  } else {
    const days = choice === "7d" ? 7 : choice === "30d" ? 30 : choice === "90d" ? 90 : 1;
    from = addDays(today, 1 - days);
  }
  const days = daysBetween(from, to) + 1;
  return {
    from,
    to,
    previousFrom: addDays(from, -days),
    previousTo: addDays(from, -1),
    series: days === 1 ? "HOUR" : "DATE",
    days,
  };
}

/** A row key as a short axis or table label: `2026-10-25T01:00+01:00` → `01:00`; days stay days. */
export function keyLabel(key: string | null | undefined): string {
  if (!key) return "";
  const hour = /^\d{4}-\d{2}-\d{2}T(\d{2}:\d{2})/.exec(key);
  return hour ? hour[1] : key;
}
