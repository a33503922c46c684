import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigException, loadConfig } from "./config";

describe("loadConfig", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "honour-config-"));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  /** A fake environment: nothing leaks in from the machine running the tests. */
  const env = (vars: Record<string, string> = {}): NodeJS.ProcessEnv => ({ HONOUR_DATA_DIR: dataDir, ...vars });

  /** The problems a ConfigException lists, or fails when loading succeeds. */
  function problemsOf(vars: Record<string, string>): string[] {
    try {
      loadConfig(env(vars));
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigException);
      return (error as ConfigException).problems;
    }
    throw new Error("expected a ConfigException");
  }

  it("uses development defaults with the embedded SQLite database in the data directory", () => {
    const config = loadConfig(env());
    expect(config).toMatchObject({
      nodeEnv: "development",
      database: { kind: "sqlite", path: join(dataDir, "honour.sqlite") },
      dataDir,
      host: "127.0.0.1",
      port: 4000,
      publicUrl: "http://127.0.0.1:4000",
      cookieSecure: false,
      demoData: true,
      logLevel: "info",
    });
    expect(config.admin).toBeUndefined();
  });

  it("defaults the mail, proxy, statistics and security-log settings", () => {
    expect(loadConfig(env())).toMatchObject({
      smtpUrl: undefined,
      trustProxy: false,
      stats: { timeZone: "Europe/London", excludedIps: [], siteHosts: ["127.0.0.1"], rawRetentionDays: 7 },
      securityLogRetentionDays: 90,
      metricsToken: undefined,
    });
  });

  it("counts page views of the public URL's host unless STATS_SITE_HOSTS names the site's hosts", () => {
    const secret = { HONOUR_SECRET: "s".repeat(32) };
    expect(loadConfig(env({ PUBLIC_URL: "https://www.Honour.example:8443/app", ...secret })).stats.siteHosts).toEqual([
      "www.honour.example",
    ]);
    expect(loadConfig(env({ PUBLIC_URL: "http://[::1]:4000" })).stats.siteHosts).toEqual(["[::1]"]);
    expect(
      loadConfig(
        env({ PUBLIC_URL: "https://api.honour.example", STATS_SITE_HOSTS: " honour.example,Shop.Honour.example " }),
      ).stats.siteHosts,
    ).toEqual(["honour.example", "shop.honour.example"]);
    expect(loadConfig(env({ STATS_SITE_HOSTS: "192.0.2.7,localhost" })).stats.siteHosts).toEqual([
      "192.0.2.7",
      "localhost",
    ]);
  });

  it("names every STATS_SITE_HOSTS entry that is not a bare host name", () => {
    const problems = problemsOf({
      STATS_SITE_HOSTS: "https://honour.example,honour.example:443,ok.example,-bad-.example",
    });
    expect(problems.filter((p) => p.startsWith("STATS_SITE_HOSTS"))).toHaveLength(3);
    expect(problemsOf({ STATS_SITE_HOSTS: " , " })).toEqual([expect.stringMatching(/^STATS_SITE_HOSTS /)]);
  });

  it("reads METRICS_TOKEN and refuses one too short to resist guessing", () => {
    const token = "m".repeat(20) + "0123456789+/=_-.~";
    expect(loadConfig(env({ METRICS_TOKEN: token })).metricsToken).toBe(token);
    for (const bad of ["short", `${"x".repeat(40)} space`]) {
      expect(problemsOf({ METRICS_TOKEN: bad })).toEqual([expect.stringMatching(/^METRICS_TOKEN /)]);
    }
  });

  it("reads CORS_ORIGINS as origins, the way browsers send them, and names every entry that is not one", () => {
    expect(loadConfig(env()).corsOrigins).toEqual([]);
    expect(
      loadConfig(env({ CORS_ORIGINS: " https://WWW.Honour.example , http://localhost:5173/,https://shop.example:443" }))
        .corsOrigins,
    ).toEqual(["https://www.honour.example", "http://localhost:5173", "https://shop.example"]);
    const problems = problemsOf({
      CORS_ORIGINS: "*,https://ok.example,https://x.example/app,ftp://files.example,null",
    });
    expect(problems.filter((p) => p.startsWith("CORS_ORIGINS"))).toHaveLength(4);
  });

  it("trusts no proxy, every proxy, or the proxies at the addresses and ranges given, and names a bad value", () => {
    expect(loadConfig(env({ TRUST_PROXY: "false" })).trustProxy).toBe(false);
    expect(loadConfig(env({ TRUST_PROXY: "1" })).trustProxy).toBe(true);
    expect(loadConfig(env({ TRUST_PROXY: " 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32" })).trustProxy).toEqual([
      "10.0.0.0/8",
      "192.0.2.7",
      "2001:db8::/32",
    ]);
    for (const bad of ["yes", "10.0.0.0/33", "10.0.0.1, proxy.internal"]) {
      expect(() => loadConfig(env({ TRUST_PROXY: bad }))).toThrow(/TRUST_PROXY must be true, false, or the proxies'/);
    }
  });

  it("reads the mail, proxy, statistics and security-log settings", () => {
    const config = loadConfig(
      env({
        SMTP_URL: "smtp://mailer:secret@mail.internal:587",
        MAIL_FROM: "Honour <hello@honour.example>",
        TRUST_PROXY: "true",
        SITE_TIME_ZONE: "America/New_York",
        STATS_EXCLUDED_IPS: "10.0.0.0/8, 192.0.2.7,2001:db8::/32",
        STATS_RAW_RETENTION_DAYS: "14",
        SECURITY_LOG_RETENTION_DAYS: "30",
      }),
    );
    expect(config).toMatchObject({
      smtpUrl: "smtp://mailer:secret@mail.internal:587",
      mailFrom: "Honour <hello@honour.example>",
      trustProxy: true,
      stats: {
        timeZone: "America/New_York",
        excludedIps: ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"],
        rawRetentionDays: 14,
      },
      securityLogRetentionDays: 30,
    });
  });

  it("defaults every retention period and reads each from its own variable", () => {
    expect(loadConfig(env()).retention).toEqual({
      sessionsDays: 30,
      rawPageViewsDays: 7,
      securityEventsDays: 90,
      dataExportsDays: 5,
      closedAccountsDays: 2190,
      jobHistoryDays: 7,
      auditLogDays: 2190,
    });
    const config = loadConfig(
      env({
        SESSION_RETENTION_DAYS: "14",
        DATA_EXPORT_RETENTION_DAYS: "3",
        CLOSED_ACCOUNT_RETENTION_DAYS: "3650",
        JOB_HISTORY_RETENTION_DAYS: "2",
        AUDIT_LOG_RETENTION_DAYS: "400",
      }),
    );
    expect(config.retention).toMatchObject({
      sessionsDays: 14,
      dataExportsDays: 3,
      closedAccountsDays: 3650,
      jobHistoryDays: 2,
      auditLogDays: 400,
    });
    expect(() => loadConfig(env({ DATA_EXPORT_RETENTION_DAYS: "0", JOB_HISTORY_RETENTION_DAYS: "soon" }))).toThrow(
      /DATA_EXPORT_RETENTION_DAYS[\s\S]*JOB_HISTORY_RETENTION_DAYS|JOB_HISTORY_RETENTION_DAYS[\s\S]*DATA_EXPORT_RETENTION_DAYS/,
    );
  });

  it("names bad mail, time zone, IP range and retention settings", () => {
    const problems = problemsOf({
      SMTP_URL: "http://mail",
      MAIL_FROM: "not an address",
      SITE_TIME_ZONE: "Mars/Olympus",
      STATS_EXCLUDED_IPS: "10.0.0.0/33,not-an-ip",
      STATS_RAW_RETENTION_DAYS: "0",
      SECURITY_LOG_RETENTION_DAYS: "ninety",
    });
    for (const name of [
      "SMTP_URL",
      "MAIL_FROM",
      "SITE_TIME_ZONE",
      "STATS_RAW_RETENTION_DAYS",
      "SECURITY_LOG_RETENTION_DAYS",
    ]) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
    expect(problems.filter((p) => p.startsWith("STATS_EXCLUDED_IPS"))).toHaveLength(2);
  });

  it("reads CAMPAIGN_MAX_IN_FLIGHT (default 64) and names a value outside 1 to 10 000", () => {
    expect(loadConfig(env()).campaignMaxInFlight).toBe(64);
    expect(loadConfig(env({ CAMPAIGN_MAX_IN_FLIGHT: "8" })).campaignMaxInFlight).toBe(8);
    for (const bad of ["0", "10001", "many", "-1"]) {
      expect(problemsOf({ CAMPAIGN_MAX_IN_FLIGHT: bad })).toEqual([expect.stringMatching(/^CAMPAIGN_MAX_IN_FLIGHT /)]);
    }
  });

  it("reads a mysql or mariadb DATABASE_URL", () => {
    expect(loadConfig(env({ DATABASE_URL: "mysql://u:p@db:3306/honour" })).database).toEqual({
      kind: "mysql",
      url: "mysql://u:p@db:3306/honour",
    });
    expect(loadConfig(env({ DATABASE_URL: "mariadb://u@db/honour?ssl=true" })).database.kind).toBe("mysql");
  });

  it("reads REDIS_URL for the job queue and DATABASE_REPLICA_URLS for read replicas, naming bad values", () => {
    expect(loadConfig(env()).redisUrl).toBeUndefined();
    expect(loadConfig(env({ REDIS_URL: "redis://:secret@cache:6380/2" })).redisUrl).toBe(
      "redis://:secret@cache:6380/2",
    );
    expect(
      loadConfig(
        env({
          DATABASE_URL: "mysql://u:p@db:3306/honour",
          DATABASE_REPLICA_URLS: " mysql://r:p@replica1:3306/honour, mariadb://r@replica2/honour ",
        }),
      ).database,
    ).toEqual({
      kind: "mysql",
      url: "mysql://u:p@db:3306/honour",
      replicaUrls: ["mysql://r:p@replica1:3306/honour", "mariadb://r@replica2/honour"],
    });
    expect(problemsOf({ REDIS_URL: "cache:6379" })).toEqual([expect.stringMatching(/^REDIS_URL /)]);
    expect(problemsOf({ DATABASE_REPLICA_URLS: "mysql://r@replica/honour" })).toEqual([
      expect.stringMatching(/^DATABASE_REPLICA_URLS needs DATABASE_URL/),
    ]);
    const problems = problemsOf({
      DATABASE_URL: "mysql://u@db/honour",
      DATABASE_REPLICA_URLS: "postgres://r:pw@x/honour",
    });
    expect(problems).toEqual([expect.stringMatching(/^DATABASE_REPLICA_URLS has "postgres:\/\/…@x\/honour"/)]);
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig(env({ DATABASE_URL: "", PORT: "" })).port).toBe(4000);
  });

  it("derives the public URL and secure cookies from an https PUBLIC_URL", () => {
    const config = loadConfig(env({ PUBLIC_URL: "https://honour.example/", HONOUR_SECRET: "s".repeat(32) }));
    expect(config.publicUrl).toBe("https://honour.example");
    expect(config.cookieSecure).toBe(true);
  });

  it("lets COOKIE_SECURE and HONOUR_DEMO_DATA override the derived defaults, as true/false or 1/0", () => {
    expect(loadConfig(env({ COOKIE_SECURE: "true" })).cookieSecure).toBe(true);
    expect(loadConfig(env({ COOKIE_SECURE: "1" })).cookieSecure).toBe(true);
    expect(loadConfig(env({ PUBLIC_URL: "https://honour.example", COOKIE_SECURE: "false" })).cookieSecure).toBe(false);
    expect(loadConfig(env({ PUBLIC_URL: "https://honour.example", COOKIE_SECURE: "0" })).cookieSecure).toBe(false);
    expect(loadConfig(env({ HONOUR_DEMO_DATA: "0" })).demoData).toBe(false);
    expect(
      loadConfig(env({ HONOUR_DEMO_DATA: "1", NODE_ENV: "production", HONOUR_SECRET: "s".repeat(32) })).demoData,
    ).toBe(true);
  });

  it.each([
    ["DATABASE_URL", "postgres://u@db/honour"],
    ["DATABASE_URL", "mysql://db"],
    ["PORT", "http"],
    ["PORT", "70000"],
    ["PORT", "-1"],
    ["COOKIE_SECURE", "yes"],
    ["HONOUR_DEMO_DATA", "maybe"],
    ["HONOUR_SECRET", "too-short"],
    ["NODE_ENV", "staging"],
    ["LOG_LEVEL", "loud"],
    ["PUBLIC_URL", "honour.example"],
    ["HONOUR_ADMIN_EMAIL", "not-an-email"],
  ])("rejects a bad %s (%s) with a problem naming it", (name, value) => {
    const vars: Record<string, string> = { [name]: value };
    // Keep the admin pair complete so only the variable under test is wrong.
    if (name === "HONOUR_ADMIN_EMAIL") vars.HONOUR_ADMIN_PASSWORD = "long enough password";
    const problems = problemsOf(vars);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.startsWith(`${name} `)).toBe(true);
  });

  it("requires two-factor for staff in production only, unless STAFF_MFA says otherwise", () => {
    const secret = { HONOUR_SECRET: "s".repeat(32) };
    expect(loadConfig(env()).accounts.staffMfaRequired).toBe(false);
    expect(loadConfig(env({ NODE_ENV: "production", ...secret })).accounts.staffMfaRequired).toBe(true);
    expect(loadConfig(env({ STAFF_MFA: "required" })).accounts.staffMfaRequired).toBe(true);
    expect(loadConfig(env({ NODE_ENV: "production", STAFF_MFA: "off", ...secret })).accounts.staffMfaRequired).toBe(
      false,
    );
    expect(problemsOf({ STAFF_MFA: "sometimes" })).toEqual(["STAFF_MFA must be required or off"]);
  });

  it("checks new passwords against a Pwned Passwords range API only when PWNED_PASSWORDS_URL is set", () => {
    expect(loadConfig(env()).accounts.pwnedPasswordsUrl).toBeNull();
    const url = "https://api.pwnedpasswords.com";
    expect(loadConfig(env({ PWNED_PASSWORDS_URL: url })).accounts.pwnedPasswordsUrl).toBe(url);
    expect(problemsOf({ PWNED_PASSWORDS_URL: "api.pwnedpasswords.com" })).toEqual([
      "PWNED_PASSWORDS_URL must be an absolute http(s) URL, e.g. https://api.pwnedpasswords.com",
    ]);
  });

  it("takes the passkeys' relying party from PUBLIC_URL unless WEBAUTHN_* name it, and names a bad one", () => {
    expect(loadConfig(env({ PUBLIC_URL: "https://www.honour.example/shop" })).accounts.webauthn).toEqual({
      rpId: "www.honour.example",
      rpName: "Honour",
      origins: ["https://www.honour.example"],
    });
    const named = loadConfig(
      env({
        WEBAUTHN_RP_ID: "honour.example",
        WEBAUTHN_RP_NAME: "Honour Ltd",
        WEBAUTHN_ORIGINS: "https://www.honour.example, https://honour.example",
      }),
    ).accounts.webauthn;
    expect(named).toEqual({
      rpId: "honour.example",
      rpName: "Honour Ltd",
      origins: ["https://www.honour.example", "https://honour.example"],
    });
    expect(
      problemsOf({
        WEBAUTHN_RP_ID: "honour.example",
        WEBAUTHN_ORIGINS: "https://evil.example,https://honour.example/x",
      }),
    ).toEqual([
      'WEBAUTHN_ORIGINS has "https://evil.example", whose host is not WEBAUTHN_RP_ID (honour.example) or below it',
      'WEBAUTHN_ORIGINS has "https://honour.example/x", which is not an origin (scheme://host[:port], no path)',
    ]);
    expect(problemsOf({ WEBAUTHN_RP_ID: "https://honour.example" })).toEqual([
      'WEBAUTHN_RP_ID must be a host name such as honour.example (got "https://honour.example")',
    ]);
  });

  it("names every bad variable at once", () => {
    const problems = problemsOf({ PORT: "x", COOKIE_SECURE: "nope", HONOUR_SECRET: "short" });
    expect(problems.map((p) => p.split(" ")[0]).sort()).toEqual(["COOKIE_SECURE", "HONOUR_SECRET", "PORT"]);
  });

  it("requires HONOUR_SECRET when NODE_ENV=production", () => {
    const problems = problemsOf({ NODE_ENV: "production" });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^HONOUR_SECRET /);
    expect(loadConfig(env({ NODE_ENV: "production", HONOUR_SECRET: "p".repeat(32) })).secret).toBe("p".repeat(32));
  });

  it("turns demo data off by default in production", () => {
    expect(loadConfig(env({ NODE_ENV: "production", HONOUR_SECRET: "p".repeat(32) })).demoData).toBe(false);
  });

  it("requires the admin email and password together", () => {
    expect(problemsOf({ HONOUR_ADMIN_EMAIL: "admin@honour.example" })[0]).toMatch(/HONOUR_ADMIN_PASSWORD/);
    expect(problemsOf({ HONOUR_ADMIN_PASSWORD: "long enough password" })[0]).toMatch(/HONOUR_ADMIN_EMAIL/);
    expect(
      loadConfig(env({ HONOUR_ADMIN_EMAIL: "admin@honour.example", HONOUR_ADMIN_PASSWORD: "long enough password" }))
        .admin,
    ).toEqual({ email: "admin@honour.example", password: "long enough password" });
  });

  it("rejects an admin password shorter than 10 characters", () => {
    const problems = problemsOf({ HONOUR_ADMIN_EMAIL: "admin@honour.example", HONOUR_ADMIN_PASSWORD: "short" });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^HONOUR_ADMIN_PASSWORD /);
  });

  it("generates a development secret once in the data directory and reuses it", () => {
    const first = loadConfig(env()).secret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dataDir, "secret"), "utf8").trim()).toBe(first);
    expect(loadConfig(env()).secret).toBe(first);
  });

  it("creates a missing data directory for the development secret", () => {
    const nested = join(dataDir, "a", "b");
    const secret = loadConfig({ HONOUR_DATA_DIR: nested }).secret;
    expect(readFileSync(join(nested, "secret"), "utf8").trim()).toBe(secret);
  });

  it("leaves only the secret file in the data directory", () => {
    const secrets = Array.from({ length: 3 }, () => loadConfig(env()).secret);
    expect(new Set(secrets).size).toBe(1);
    expect(readdirSync(dataDir)).toEqual(["secret"]);
  });

  it("rejects a stored development secret that is too short, naming HONOUR_SECRET", () => {
    writeFileSync(join(dataDir, "secret"), "\n");
    expect(problemsOf({})[0]).toMatch(/^HONOUR_SECRET /);
  });

  it("prefers HONOUR_SECRET over the stored development secret", () => {
    loadConfig(env());
    expect(loadConfig(env({ HONOUR_SECRET: "x".repeat(40) })).secret).toBe("x".repeat(40));
  });

  it("never puts the secret in a ConfigException", () => {
    const secret = "short-secret-value";
    const problems = problemsOf({ HONOUR_SECRET: secret });
    expect(problems.join("\n")).not.toContain(secret);
  });
});
