import { addDays, keyLabel, periodOf, todayIn } from "./period";

describe("the Statistics page's periods", () => {
  it("takes today by hour and longer periods by day, each with the same number of days before it", () => {
    expect(periodOf("today", "2026-03-01")).toEqual({
      from: "2026-03-01",
      to: "2026-03-01",
      previousFrom: "2026-02-28",
      previousTo: "2026-02-28",
      series: "HOUR",
      days: 1,
    });
    expect(periodOf("7d", "2026-03-01")).toMatchObject({
      from: "2026-02-23",
      to: "2026-03-01",
      previousFrom: "2026-02-16",
      previousTo: "2026-02-22",
      series: "DATE",
      days: 7,
    });
    expect(periodOf("90d", "2026-12-31")).toMatchObject({ from: "2026-10-03", days: 90, previousTo: "2026-10-02" });
    expect(periodOf("custom", "2026-12-31", { from: "2024-02-28", to: "2024-03-01" })).toMatchObject({
      days: 3,
      previousFrom: "2024-02-25",
      previousTo: "2024-02-27",
    });
  });

  it("counts days on the site's calendar, not the browser's", () => {
    // 23:30 UTC on 31 December is already 1 January in Auckland and still 31 December in London.
    const instant = new Date("2026-12-31T23:30:00Z");
    expect(todayIn("Europe/London", instant)).toBe("2026-12-31");
    expect(todayIn("Pacific/Auckland", instant)).toBe("2027-01-01");
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
  });

  it("labels hours by their time of day and leaves days as they are", () => {
    expect(keyLabel("2026-10-25T01:00+01:00")).toBe("01:00");
    expect(keyLabel("2026-10-25")).toBe("2026-10-25");
    expect(keyLabel(null)).toBe("");
  });
});
