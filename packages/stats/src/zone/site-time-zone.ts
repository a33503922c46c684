import { DAY_MS, HOUR_MS } from "@honour/platform";

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar day, `YYYY-MM-DD`, in the site's time zone. */
export type LocalDay = string;

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * Days and hours in the site's time zone, computed with `Intl.DateTimeFormat` (the IANA database
 * Node ships), so clock changes fall where the zone says: in Europe/London the day of the March
 * change has 23 hours and the day of the October change 25, with 01:00 twice.
 */
export class SiteTimeZone {
  private readonly format: Intl.DateTimeFormat;

  /** Throws a RangeError for a name that is not an IANA time zone. */
  constructor(readonly name: string) {
    this.format = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
  }

  /** How far local time is ahead of UTC at the instant `ms`, in milliseconds. */
  offsetAt(ms: number): number {
    const p = this.parts(ms);
    const wholeSeconds = Math.floor(ms / 1000) * 1000;
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - wholeSeconds;
  }

  /** The local calendar day of the instant `ms`. */
  dayOf(ms: number): LocalDay {
    const p = this.parts(ms);
    return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  }

  /** The instant the local hour containing `ms` began. */
  hourStart(ms: number): number {
    return ms - mod(ms + this.offsetAt(ms), HOUR_MS);
  }

  /** The first instant of a local day (its midnight, or the end of a clock change's gap). */
  startOfDay(day: LocalDay): number {
    const [year, month, date] = parseDay(day);
    const wall = Date.UTC(year, month - 1, date);
    // Two passes: the offset at the guess may differ from the one at the answer near a change.
    let start = wall - this.offsetAt(wall - this.offsetAt(wall));
    while (this.dayOf(start) < day) start = this.hourStart(start + HOUR_MS);
    while (this.dayOf(start - 1) === day) start = this.hourStart(start - 1);
    return start;
  }

  /** Local midnight-to-midnight as instants: `[start, end)`. */
  dayRange(day: LocalDay): { start: number; end: number } {
    return { start: this.startOfDay(day), end: this.startOfDay(addDays(day, 1)) };
  }

  /**
   * Every local hour from the start of `from` to the end of `to`, in order, with its offset:
   * 23 on the day clocks go forward, 25 on the day they go back. Consults the time zone about
   * once a day, so a quarter's hours cost a millisecond, not tens.
   */
  hoursOf(from: LocalDay, to: LocalDay): { start: number; offset: number }[] {
    const hours: { start: number; offset: number }[] = [];
    const end = addDays(to, 1);
    let day = from;
    let start = this.startOfDay(day);
    let offset = this.offsetAt(start);
    while (day < end) {
      const next = addDays(day, 1);
      // 24 hours on is the next midnight unless the clocks change (no zone changes them twice a day).
      const guess = start + DAY_MS;
      const offsetAtGuess = this.offsetAt(guess);
      if (offsetAtGuess === offset && mod(guess + offsetAtGuess, DAY_MS) === 0) {
        for (let hour = start; hour < guess; hour += HOUR_MS) hours.push({ start: hour, offset });
        start = guess;
      } else {
        const nextStart = this.startOfDay(next);
        for (let hour = start; hour < nextStart; hour = this.hourStart(hour + HOUR_MS)) {
          hours.push({ start: hour, offset: this.offsetAt(hour) });
        }
        start = nextStart;
        offset = this.offsetAt(start);
      }
      day = next;
    }
    return hours;
  }

  /** An hour as an ISO local time with its offset, e.g. `2026-10-25T01:00+01:00`. */
  formatHour(hourStart: number, offset = this.offsetAt(hourStart)): string {
    const wall = new Date(hourStart + offset);
    const offsetMinutes = Math.round(offset / 60_000);
    const sign = offsetMinutes < 0 ? "-" : "+";
    const abs = Math.abs(offsetMinutes);
    const date = `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
    const time = `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`;
    return `${date}T${time}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }

  private parts(ms: number): LocalParts {
    const parts: LocalParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const part of this.format.formatToParts(ms)) {
      if (part.type in parts) parts[part.type as keyof LocalParts] = Number(part.value);
    }
    return parts;
  }
}

/** True for a real calendar day written `YYYY-MM-DD`. */
export function isLocalDay(value: string): boolean {
  const match = DAY_PATTERN.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The calendar day `days` after (or before, when negative) `day`. */
export function addDays(day: LocalDay, days: number): LocalDay {
  const [year, month, date] = parseDay(day);
  return new Date(Date.UTC(year, month - 1, date + days)).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (0 when equal, negative when `to` is earlier). */
export function daysBetween(from: LocalDay, to: LocalDay): number {
  const [y1, m1, d1] = parseDay(from);
  const [y2, m2, d2] = parseDay(to);
  return Math.round((Date.UTC(y2, m2 - 1, d2) - Date.UTC(y1, m1 - 1, d1)) / DAY_MS);
}

function parseDay(day: LocalDay): [number, number, number] {
  const match = DAY_PATTERN.exec(day);
  if (!match) throw new Error(`not a day: ${day}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
