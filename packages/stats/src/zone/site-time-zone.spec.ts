import { addDays, daysBetween, isLocalDay, SiteTimeZone } from "./site-time-zone";

const at = (iso: string) => new Date(iso).getTime();
const iso = (ms: number) => new Date(ms).toISOString();

describe("SiteTimeZone", () => {
  const london = new SiteTimeZone("Europe/London");

  it("refuses a name that is not a time zone", () => {
    expect(() => new SiteTimeZone("Europe/Atlantis")).toThrow(RangeError);
  });

  describe("Europe/London", () => {
    it("puts the hour before midnight BST on the day before, and midnight BST on the next day", () => {
      expect(london.dayOf(at("2026-07-14T22:59:59.999Z"))).toBe("2026-07-14");
      expect(london.dayOf(at("2026-07-14T23:00:00.000Z"))).toBe("2026-07-15");
      expect(london.dayOf(at("2026-11-25T23:59:59.999Z"))).toBe("2026-11-25");
      expect(london.dayOf(at("2026-11-26T00:00:00.000Z"))).toBe("2026-11-26");
    });

    it("has days of 24 hours, 23 on the last Sunday of March and 25 on the last Sunday of October", () => {
      const hours = (day: string) => {
        const { start, end } = london.dayRange(day);
        return (end - start) / 3_600_000;
      };

      expect(hours("2026-11-25")).toBe(24);
      expect(hours("2026-03-29")).toBe(23);
      expect(hours("2026-10-25")).toBe(25);
      expect(iso(london.startOfDay("2026-03-29"))).toBe("2026-03-29T00:00:00.000Z");
      expect(iso(london.startOfDay("2026-03-30"))).toBe("2026-03-29T23:00:00.000Z");
      expect(iso(london.startOfDay("2026-10-25"))).toBe("2026-10-24T23:00:00.000Z");
      expect(iso(london.startOfDay("2026-10-26"))).toBe("2026-10-26T00:00:00.000Z");
    });

    it("names the hours of the clock changes with their offsets, October's 01:00 twice", () => {
      const hoursOf = (day: string) => {
        const { start, end } = london.dayRange(day);
        const names: string[] = [];
        for (let h = start; h < end; h = london.hourStart(h + 3_600_000)) names.push(london.formatHour(h).slice(11));
        return names;
      };

      expect(hoursOf("2026-03-29").slice(0, 3)).toEqual(["00:00+00:00", "02:00+01:00", "03:00+01:00"]);
      expect(hoursOf("2026-10-25").slice(0, 4)).toEqual(["00:00+01:00", "01:00+01:00", "01:00+00:00", "02:00+00:00"]);
    });

    it("finds the start of the local hour of any instant", () => {
      expect(iso(london.hourStart(at("2026-07-14T12:34:56.789Z")))).toBe("2026-07-14T12:00:00.000Z");
      expect(iso(london.hourStart(at("2026-10-25T01:30:00.000Z")))).toBe("2026-10-25T01:00:00.000Z");
      expect(iso(london.hourStart(at("2026-10-25T00:30:00.000Z")))).toBe("2026-10-25T00:00:00.000Z");
    });

    it("knows the offset on either side of a change", () => {
      expect(london.offsetAt(at("2026-03-29T00:59:59.999Z"))).toBe(0);
      expect(london.offsetAt(at("2026-03-29T01:00:00.000Z"))).toBe(3_600_000);
      expect(london.offsetAt(at("2026-10-25T00:59:59.999Z"))).toBe(3_600_000);
      expect(london.offsetAt(at("2026-10-25T01:00:00.000Z"))).toBe(0);
    });
  });

  it("handles zones ahead of and behind UTC, and half-hour offsets", () => {
    const kolkata = new SiteTimeZone("Asia/Kolkata");
    const newYork = new SiteTimeZone("America/New_York");

    expect(iso(kolkata.startOfDay("2026-11-25"))).toBe("2026-11-24T18:30:00.000Z");
    expect(iso(kolkata.hourStart(at("2026-11-25T12:10:00.000Z")))).toBe("2026-11-25T11:30:00.000Z");
    expect(kolkata.formatHour(kolkata.hourStart(at("2026-11-25T12:10:00.000Z")))).toBe("2026-11-25T17:00+05:30");
    expect(iso(newYork.startOfDay("2026-11-25"))).toBe("2026-11-25T05:00:00.000Z");
    expect(newYork.dayOf(at("2026-11-26T04:59:59.000Z"))).toBe("2026-11-25");
    expect(newYork.dayRange("2026-03-08").end - newYork.dayRange("2026-03-08").start).toBe(23 * 3_600_000);
  });

  it("finds the first instant of a day that begins with a clock change at midnight", () => {
    // Santiago moved its clocks from 24:00 to 01:00 on 2022-09-11: that day began at 01:00.
    const santiago = new SiteTimeZone("America/Santiago");
    const start = santiago.startOfDay("2022-09-11");

    expect(santiago.dayOf(start)).toBe("2022-09-11");
    expect(santiago.dayOf(start - 1)).toBe("2022-09-10");
    expect(santiago.formatHour(start)).toBe("2022-09-11T01:00-03:00");
  });
});

describe("SiteTimeZone.hoursOf", () => {
  /** The slow, obvious way: ask the time zone about every hour. */
  function slowHours(zone: SiteTimeZone, from: string, to: string) {
    const hours: string[] = [];
    const end = zone.startOfDay(addDays(to, 1));
    for (let h = zone.startOfDay(from); h < end; h = zone.hourStart(h + 3_600_000)) hours.push(zone.formatHour(h));
    return hours;
  }

  it.each([
    ["Europe/London", "2026-01-01", "2026-12-31"],
    ["America/New_York", "2026-03-01", "2026-11-30"],
    ["Asia/Kolkata", "2026-11-01", "2026-11-30"],
    ["America/Santiago", "2022-09-01", "2022-09-30"],
    ["Australia/Lord_Howe", "2026-03-25", "2026-04-10"],
  ])("lists the same hours as asking about each one, in %s", (name, from, to) => {
    const zone = new SiteTimeZone(name);

    expect(zone.hoursOf(from, to).map((h) => zone.formatHour(h.start, h.offset))).toEqual(slowHours(zone, from, to));
  });

  it("lists a quarter's hours in a few milliseconds", () => {
    const zone = new SiteTimeZone("Europe/London");
    const started = process.hrtime.bigint();

    const hours = zone.hoursOf("2026-08-01", "2026-10-31");

    expect(hours).toHaveLength(92 * 24 + 1);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(50);
  });
});

describe("calendar days", () => {
  it("checks, adds and counts days, across month, year and leap days", () => {
    expect(isLocalDay("2028-02-29")).toBe(true);
    expect(isLocalDay("2026-02-29")).toBe(false);
    expect(isLocalDay("2026-13-01")).toBe(false);
    expect(isLocalDay("26-11-25")).toBe(false);
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2028-03-01", -1)).toBe("2028-02-29");
    expect(daysBetween("2026-11-25", "2027-01-01")).toBe(37);
  });
});
