import { DAY_MS } from "@honour/platform";

/**
 * Due dates of privacy requests: one calendar month after receipt, counted on the site's calendar
 * (`SITE_TIME_ZONE`), plus any extension. Pure functions of their arguments, so they are tested
 * across month ends, leap years and clock changes without a database.
 */

/** A date and wall-clock time on the site's calendar. `month` is 1–12. */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** Days in `month` (1–12) of `year`, leap years included. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * The same day `months` calendar months later; a day the target month lacks becomes its last day
 * (31 January + 1 month = 28 February, or 29 in a leap year). Counted from the original date, so
 * 31 January + 3 months is 30 April, not 28 April.
 */
export function addCalendarMonths<T extends { year: number; month: number; day: number }>(date: T, months: number): T {
  const index = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return { ...date, year, month, day: Math.min(date.day, daysInMonth(year, month)) };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let existing = formatters.get(timeZone);
  if (!existing) {
    existing = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, existing);
  }
  return existing;
}

/** The wall-clock reading of `instant` in `timeZone`. */
export function toLocal(instant: Date, timeZone: string): LocalDateTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(instant)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour! % 24,
    minute: parts.minute!,
    second: parts.second!,
    millisecond: instant.getUTCMilliseconds(),
  };
}

function asUtc(local: LocalDateTime): number {
  return Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second, local.millisecond);
}

/** How far `timeZone` is ahead of UTC at `instant`, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  return asUtc(toLocal(new Date(instant), timeZone)) - instant;
}

/**
 * The instant a wall-clock reading in `timeZone` names. A reading the clocks skipped (spring
 * forward) is taken an hour later; one they passed twice (autumn) is the first of the two.
 */
export function fromLocal(local: LocalDateTime, timeZone: string): Date {
  const wall = asUtc(local);
  // The offsets a day either side: real zones change at most once in two days.
  const before = wall - offsetAt(wall - DAY_MS, timeZone);
  const after = wall - offsetAt(wall + DAY_MS, timeZone);
  const readsBack = [before, after]
    .filter((candidate) => asUtc(toLocal(new Date(candidate), timeZone)) === wall)
    .sort((a, b) => a - b);
  return new Date(readsBack[0] ?? before);
}

/**
 * When a request received at `receivedAt` is due: the same wall-clock time `months` calendar
 * months later on the site's calendar (1 for a new request, up to 3 with extensions), clamped to
 * the end of a shorter month.
 */
export function dueDate(receivedAt: Date, months: number, timeZone: string): Date {
  return fromLocal(addCalendarMonths(toLocal(receivedAt, timeZone), months), timeZone);
}

/**
 * Whole calendar days from `now` to `dueAt` on the site's calendar: 0 on the due day itself,
 * negative once it has passed.
 */
export function daysLeft(dueAt: Date, now: Date, timeZone: string): number {
  const due = toLocal(dueAt, timeZone);
  const today = toLocal(now, timeZone);
  return Math.round(
    (Date.UTC(due.year, due.month - 1, due.day) - Date.UTC(today.year, today.month - 1, today.day)) / DAY_MS,
  );
}
