import {
  ConfigException,
  createPlatform,
  loadConfig,
  ManualClock,
  silentLogger,
  type JobQueue,
} from "@honour/platform";
import type { DataSource } from "typeorm";
import { createStatsServices, DEFAULT_STATS_OPTIONS, resolveStatsOptions } from "./stats.module";

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
    expect(() => resolveStatsOptions({ dnsServers: ["127.0.0.1:5353", "[::1]:53", "192.0.2.53"] })).not.toThrow();
  });

  it("names every bad option at once", () => {
    let error: unknown;
    try {
      resolveStatsOptions({
        timeZone: "Mars/Olympus_Mons",
        excludedIpRanges: ["10.0.0.0/8", "10.0.0.0/99"],
        siteHosts: ["https://honour.example/"],
        rawEventRetentionDays: 0,
        batchSize: 5000,
        dnsServers: ["dns.example:53"],
      });
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(ConfigException);
    expect((error as ConfigException).problems).toEqual([
      expect.stringContaining("timeZone"),
      expect.stringContaining("10.0.0.0/99"),
      expect.stringContaining("dnsServers"),
      expect.stringContaining("siteHosts"),
      expect.stringContaining("rawEventRetentionDays"),
      expect.stringContaining("batchSize"),
    ]);
  });
});

describe("createStatsServices", () => {
  const platformWith = (env: Record<string, string>) =>
    createPlatform(
      loadConfig({ NODE_ENV: "test", HONOUR_SECRET: "a-test-secret-that-is-long-enough-0123456789", ...env }),
      { options: { type: "better-sqlite3" } } as DataSource,
      { clock: new ManualClock(), logger: silentLogger, jobs: {} as JobQueue },
    );

  it("takes the time zone, excluded ranges and retentions from the platform's config", () => {
    const services = createStatsServices(
      platformWith({
        SITE_TIME_ZONE: "America/New_York",
        STATS_EXCLUDED_IPS: "10.0.0.0/8, 192.0.2.1",
        STATS_SITE_HOSTS: "honour.example,shop.honour.example",
        STATS_RAW_RETENTION_DAYS: "3",
        SECURITY_LOG_RETENTION_DAYS: "30",
      }),
    );

    expect(services.options).toMatchObject({
      timeZone: "America/New_York",
      excludedIpRanges: ["10.0.0.0/8", "192.0.2.1"],
      siteHosts: ["honour.example", "shop.honour.example"],
      rawEventRetentionDays: 3,
      securityEventRetentionDays: 30,
    });
    expect(services.zone.name).toBe("America/New_York");
  });

  it("lets the caller's options win over the config", () => {
    const services = createStatsServices(platformWith({ SITE_TIME_ZONE: "America/New_York" }), {
      timeZone: "Europe/Paris",
      rawEventRetentionDays: undefined,
    });

    expect(services.options).toMatchObject({ timeZone: "Europe/Paris", rawEventRetentionDays: 7 });
  });

  it("counts the public URL's host by default, an IPv6 one included", () => {
    expect(createStatsServices(platformWith({ PUBLIC_URL: "https://www.honour.example" })).options.siteHosts).toEqual([
      "www.honour.example",
    ]);
    expect(createStatsServices(platformWith({ PUBLIC_URL: "http://[2001:db8::1]:4000" })).options.siteHosts).toEqual([
      "[2001:db8::1]",
    ]);
  });
});
