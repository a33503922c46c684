import { addCalendarMonths, daysInMonth, daysLeft, dueDate, fromLocal, toLocal } from "./due-date";

const LONDON = "Europe/London";

function local(iso: string) {
  const [date = "", time = "00:00:00"] = iso.split("T");
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const [hour, minute, second] = time.split(":").map(Number) as [number, number, number];
  return { year, month, day, hour, minute, second, millisecond: 0 };
}

describe("daysInMonth", () => {
  it("knows February in leap and common years, century rules included", () => {
    expect(daysInMonth(2027, 2)).toBe(28);
    expect(daysInMonth(2028, 2)).toBe(29);
    expect(daysInMonth(2100, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(daysInMonth(2027, 4)).toBe(30);
    expect(daysInMonth(2027, 12)).toBe(31);
  });
});

describe("addCalendarMonths", () => {
  const add = (date: string, months: number) => {
    const [year, month, day] = date.split("-").map(Number) as [number, number, number];
    const r = addCalendarMonths({ year, month, day }, months);
    return `${r.year}-${String(r.month).padStart(2, "0")}-${String(r.day).padStart(2, "0")}`;
  };

  it("clamps 31 January to the end of February, 28 or 29 days", () => {
    expect(add("2027-01-31", 1)).toBe("2027-02-28");
    expect(add("2028-01-31", 1)).toBe("2028-02-29");
    expect(add("2028-01-29", 1)).toBe("2028-02-29");
    expect(add("2027-01-29", 1)).toBe("2027-02-28");
  });

  it("keeps the day when the month has it, and clamps to 30-day months", () => {
    expect(add("2027-01-15", 1)).toBe("2027-02-15");
    expect(add("2027-03-31", 1)).toBe("2027-04-30");
    expect(add("2027-08-31", 1)).toBe("2027-09-30");
    expect(add("2027-07-31", 1)).toBe("2027-08-31");
  });

  it("crosses the year end", () => {
    expect(add("2026-12-31", 1)).toBe("2027-01-31");
    expect(add("2026-11-30", 2)).toBe("2027-01-30");
    expect(add("2026-12-15", 3)).toBe("2027-03-15");
  });

  it("counts extensions from the receipt, not from the clamped due date", () => {
    // 31 Jan + 1 = 28 Feb, but 31 Jan + 3 is 30 April (not 28 April).
    expect(add("2027-01-31", 3)).toBe("2027-04-30");
    expect(add("2027-11-30", 3)).toBe("2028-02-29");
    expect(add("2028-02-29", 12)).toBe("2029-02-28");
  });
});

describe("toLocal / fromLocal", () => {
  it("round-trips ordinary readings in summer and winter", () => {
    for (const iso of ["2027-01-31T10:15:30", "2027-07-01T23:59:59", "2028-02-29T00:00:00"]) {
      const reading = local(iso);
      expect(toLocal(fromLocal(reading, LONDON), LONDON)).toEqual(reading);
    }
    expect(fromLocal(local("2027-07-01T12:00:00"), LONDON).toISOString()).toBe("2027-07-01T11:00:00.000Z");
    expect(fromLocal(local("2027-01-01T12:00:00"), LONDON).toISOString()).toBe("2027-01-01T12:00:00.000Z");
  });

  it("moves a reading the spring change skipped an hour later", () => {
    // 28 March 2027: London goes from 01:00 GMT straight to 02:00 BST.
    expect(fromLocal(local("2027-03-28T01:30:00"), LONDON).toISOString()).toBe("2027-03-28T01:30:00.000Z");
  });

  it("takes the first of a reading the autumn change passes twice", () => {
    // 31 October 2027: 01:30 happens at 00:30 UTC (BST) and again at 01:30 UTC (GMT).
    expect(fromLocal(local("2027-10-31T01:30:00"), LONDON).toISOString()).toBe("2027-10-31T00:30:00.000Z");
  });
});

describe("dueDate", () => {
  it("is one calendar month after receipt on the site's calendar", () => {
    expect(dueDate(new Date("2027-01-31T10:00:00Z"), 1, LONDON).toISOString()).toBe("2027-02-28T10:00:00.000Z");
    expect(dueDate(new Date("2028-01-31T10:00:00Z"), 1, LONDON).toISOString()).toBe("2028-02-29T10:00:00.000Z");
    expect(dueDate(new Date("2026-12-31T18:00:00Z"), 1, LONDON).toISOString()).toBe("2027-01-31T18:00:00.000Z");
  });

  it("uses the local date, which differs from UTC's near midnight", () => {
    // 23:30 UTC on 31 January is already 1 February in Berlin, so the month runs to 1 March.
    const received = new Date("2027-01-31T23:30:00Z");
    expect(dueDate(received, 1, LONDON).toISOString()).toBe("2027-02-28T23:30:00.000Z");
    expect(dueDate(received, 1, "Europe/Berlin").toISOString()).toBe("2027-02-28T23:30:00.000Z");
    expect(toLocal(dueDate(received, 1, "Europe/Berlin"), "Europe/Berlin")).toMatchObject({ month: 3, day: 1 });
    // 23:30 UTC on 28 February in New York is still the 28th there: due 28 March, local time kept.
    const ny = dueDate(new Date("2027-02-28T23:30:00Z"), 1, "America/New_York");
    expect(toLocal(ny, "America/New_York")).toMatchObject({ month: 3, day: 28, hour: 18, minute: 30 });
  });

  it("keeps the wall-clock time across a change of the clocks", () => {
    // Received at 09:00 GMT in March, due at 09:00 BST in April: an hour earlier in UTC.
    expect(dueDate(new Date("2027-03-10T09:00:00Z"), 1, LONDON).toISOString()).toBe("2027-04-10T08:00:00.000Z");
  });

  it("extends from the receipt: three months from 31 January is 30 April", () => {
    expect(dueDate(new Date("2027-01-31T10:00:00Z"), 3, LONDON).toISOString()).toBe("2027-04-30T09:00:00.000Z");
    expect(dueDate(new Date("2027-11-30T10:00:00Z"), 3, LONDON).toISOString()).toBe("2028-02-29T10:00:00.000Z");
  });
});

describe("daysLeft", () => {
  const due = new Date("2027-02-28T10:00:00Z");

  it("counts calendar days on the site's calendar, 0 on the due day", () => {
    expect(daysLeft(due, new Date("2027-01-31T10:00:00Z"), LONDON)).toBe(28);
    expect(daysLeft(due, new Date("2027-02-27T23:59:00Z"), LONDON)).toBe(1);
    expect(daysLeft(due, new Date("2027-02-28T00:00:00Z"), LONDON)).toBe(0);
    expect(daysLeft(due, new Date("2027-02-28T23:00:00Z"), LONDON)).toBe(0);
  });

  it("is negative once the due day has passed", () => {
    expect(daysLeft(due, new Date("2027-03-01T00:00:00Z"), LONDON)).toBe(-1);
    expect(daysLeft(due, new Date("2027-03-10T12:00:00Z"), LONDON)).toBe(-10);
  });

  it("counts across a leap day and a change of the clocks", () => {
    expect(daysLeft(new Date("2028-03-01T12:00:00Z"), new Date("2028-02-28T12:00:00Z"), LONDON)).toBe(2);
    expect(daysLeft(new Date("2027-04-01T08:00:00Z"), new Date("2027-03-27T12:00:00Z"), LONDON)).toBe(5);
  });

  it("follows the site's day, not UTC's", () => {
    // 23:30 UTC on the 27th is already the 28th in Berlin: the due day itself there.
    expect(daysLeft(new Date("2027-02-28T10:00:00Z"), new Date("2027-02-27T23:30:00Z"), "Europe/Berlin")).toBe(0);
    expect(daysLeft(new Date("2027-02-28T10:00:00Z"), new Date("2027-02-27T23:30:00Z"), LONDON)).toBe(1);
  });
});
