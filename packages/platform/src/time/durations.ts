// Fixed lengths of time in milliseconds, for schedules (`everyMs`), retention cut-offs and TTLs.
// DAY_MS is 24 hours of elapsed time, not a calendar day: code that counts days on the site's
// calendar (due dates, daily statistics) steps through its time zone instead.

/** One minute in milliseconds. */
export const MINUTE_MS = 60 * 1000;
/** One hour in milliseconds. */
export const HOUR_MS = 60 * MINUTE_MS;
/** 24 hours in milliseconds. */
export const DAY_MS = 24 * HOUR_MS;
