import { ConfigException } from "@honour/platform";
import { DEFAULT_STATS_OPTIONS, resolveStatsOptions } from "./stats.module";

describe("stats options", () => {
  it("has the documented defaults", () => {
    expect(resolveStatsOptions({})).toEqual({
      timeZone: "Europe/London",
      siteHosts: [],
      excludedIpRanges: [],
      rawEventRetentionDays: 7,
      securityEventRetentionDays: 90,
      bufferLimit: 100_000,
      batchSize: 1000,
      flushIntervalMs: 250,
      maxBodyBytes: 8192,
      hostnameLookupTimeoutMs: 2000,
    });
    expect(resolveStatsOptions({ timeZone: undefined })).toEqual(DEFAULT_STATS_OPTIONS);
  });

  it("names every bad option at once", () => {
    let error: unknown;
    try {
      resolveStatsOptions({
        timeZone: "Mars/Olympus_Mons",
        excludedIpRanges: ["10.0.0.0/8", "10.0.0.0/99"],
        siteHosts: ["https://honour.example/"],
        rawEventRetentionDays: 1,
        batchSize: 5000,
      });
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(ConfigException);
    expect((error as ConfigException).problems).toEqual([
      expect.stringContaining("timeZone"),
      expect.stringContaining("10.0.0.0/99"),
      expect.stringContaining("siteHosts"),
      expect.stringContaining("rawEventRetentionDays"),
      expect.stringContaining("batchSize"),
    ]);
  });
});
