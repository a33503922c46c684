import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import {
  IsBooleanString,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from "class-validator";

/** The environment variables Honour reads, as validated at start-up. Documented in the README. */
class EnvironmentVariables {
  @IsIn(["development", "production", "test"])
  NODE_ENV = "development";

  @IsOptional()
  @Matches(/^(mysql|mariadb):\/\/[^/\s]+\/[A-Za-z0-9_$-]+(\?.*)?$/, {
    message: "must be mysql://user:password@host:port/database or mariadb://…; unset it for the embedded SQLite file",
  })
  DATABASE_URL?: string;

  /** Read replicas of `DATABASE_URL`, comma-separated (docs/scaling.md); checked in loadConfig. */
  @IsOptional()
  @IsString()
  DATABASE_REPLICA_URLS?: string;

  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, {
    message: "must be redis://[user:password@]host:port[/db] or rediss://…; unset it for the SQL job queue",
  })
  REDIS_URL?: string;

  @IsString()
  HONOUR_DATA_DIR = "./data";

  @IsString()
  HOST = "127.0.0.1";

  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 4000;

  @IsOptional()
  @MinLength(32, { message: "must be at least 32 characters (try: openssl rand -base64 32)" })
  HONOUR_SECRET?: string;

  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { message: "must be an absolute http(s) URL" })
  PUBLIC_URL?: string;

  @IsOptional()
  @IsBooleanString({ message: "must be true or false" })
  COOKIE_SECURE?: string;

  @IsOptional()
  @IsEmail({}, { message: "must be an email address" })
  HONOUR_ADMIN_EMAIL?: string;

  @IsOptional()
  @MinLength(10, { message: "must be at least 10 characters" })
  HONOUR_ADMIN_PASSWORD?: string;

  @IsOptional()
  @IsBooleanString({ message: "must be true or false" })
  HONOUR_DEMO_DATA?: string;

  @IsIn(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
  LOG_LEVEL = "info";

  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: "must be smtp://user:password@host:port or smtps://…" })
  SMTP_URL?: string;

  @IsInt()
  @Min(1)
  @Max(10_000)
  CAMPAIGN_MAX_IN_FLIGHT = 64;

  @IsOptional()
  @Matches(/^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, {
    message: 'must be an address, or a name and an address: "Honour <no-reply@example.com>"',
  })
  MAIL_FROM?: string;

  /** true, false, or the proxies' addresses and CIDR ranges: checked by `parseTrustProxy`. */
  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  @IsString()
  SITE_TIME_ZONE = "Europe/London";

  @IsString()
  STATS_EXCLUDED_IPS = "";

  /** Host names separated by commas: checked below, since the default comes from PUBLIC_URL. */
  @IsOptional()
  @IsString()
  STATS_SITE_HOSTS?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9._~+/=-]{32,}$/, {
    message: "must be at least 32 characters of A-Z, a-z, 0-9 and ._~+/=- (try: openssl rand -base64 32)",
  })
  METRICS_TOKEN?: string;

  /** Origins separated by commas: checked below (each must be an origin, not a URL with a path). */
  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  /** required/true, or off/false: checked below, since the default depends on NODE_ENV. */
  @IsOptional()
  @IsIn(["required", "true", "1", "off", "false", "0"], { message: "must be required or off" })
  STAFF_MFA?: string;

  /** A host name: checked below, since the default comes from PUBLIC_URL. */
  @IsOptional()
  @IsString()
  WEBAUTHN_RP_ID?: string;

  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, {
    message: "must be an absolute http(s) URL, e.g. https://api.pwnedpasswords.com",
  })
  PWNED_PASSWORDS_URL?: string;

  @IsOptional()
  @IsString()
  WEBAUTHN_RP_NAME?: string;

  /** Origins separated by commas: checked below. */
  @IsOptional()
  @IsString()
  WEBAUTHN_ORIGINS?: string;

  @IsInt()
  @Min(0)
  @Max(100000)
  REGISTRATIONS_PER_IP_PER_HOUR = 30;

  @IsOptional()
  @IsBooleanString({ message: "must be true or false" })
  PARTNER_TRUSTED_DOCUMENTS_ONLY?: string;

  @IsOptional()
  @IsBooleanString({ message: "must be true or false" })
  SITE_TRUSTED_DOCUMENTS_ONLY?: string;

  @IsOptional()
  @IsString()
  TRUSTED_DOCUMENTS_FILE?: string;

  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_PARTNER_OPERATIONS = 600;

  @IsInt()
  @Min(0)
  @Max(100_000_000)
  RATE_LIMIT_PARTNER_COST = 100_000;

  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_SITE_OPERATIONS = 1200;

  @IsInt()
  @Min(0)
  @Max(100_000_000)
  RATE_LIMIT_SITE_COST = 200_000;

  @IsInt()
  @Min(1)
  @Max(86_400)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  @IsInt()
  @Min(0)
  @Max(100_000)
  PARTNER_KEY_REJECTIONS_PER_IP = 10;

  @IsInt()
  @Min(1)
  @Max(3650)
  STATS_RAW_RETENTION_DAYS = 7;

  @IsInt()
  @Min(1)
  @Max(3650)
  SECURITY_LOG_RETENTION_DAYS = 90;

  @IsInt()
  @Min(1)
  @Max(3650)
  SESSION_RETENTION_DAYS = 30;

  @IsInt()
  @Min(1)
  @Max(3650)
  DATA_EXPORT_RETENTION_DAYS = 5;

  @IsInt()
  @Min(1)
  @Max(36500)
  CLOSED_ACCOUNT_RETENTION_DAYS = 2190;

  @IsInt()
  @Min(1)
  @Max(3650)
  JOB_HISTORY_RETENTION_DAYS = 7;

  @IsInt()
  @Min(1)
  @Max(36500)
  AUDIT_LOG_RETENTION_DAYS = 2190;
}

/** Variables read as whole numbers. */
const NUMERIC = new Set([
  "PORT",
  "CAMPAIGN_MAX_IN_FLIGHT",
  "RATE_LIMIT_PARTNER_OPERATIONS",
  "RATE_LIMIT_PARTNER_COST",
  "RATE_LIMIT_SITE_OPERATIONS",
  "RATE_LIMIT_SITE_COST",
  "RATE_LIMIT_WINDOW_SECONDS",
  "PARTNER_KEY_REJECTIONS_PER_IP",
  "REGISTRATIONS_PER_IP_PER_HOUR",
  "STATS_RAW_RETENTION_DAYS",
  "SECURITY_LOG_RETENTION_DAYS",
  "SESSION_RETENTION_DAYS",
  "DATA_EXPORT_RETENTION_DAYS",
  "CLOSED_ACCOUNT_RETENTION_DAYS",
  "JOB_HISTORY_RETENTION_DAYS",
  "AUDIT_LOG_RETENTION_DAYS",
] as const);

const VARIABLES = [
  "NODE_ENV",
  "DATABASE_URL",
  "DATABASE_REPLICA_URLS",
  "REDIS_URL",
  "HONOUR_DATA_DIR",
  "HOST",
  "PORT",
  "HONOUR_SECRET",
  "PUBLIC_URL",
  "COOKIE_SECURE",
  "HONOUR_ADMIN_EMAIL",
  "HONOUR_ADMIN_PASSWORD",
  "HONOUR_DEMO_DATA",
  "LOG_LEVEL",
  "SMTP_URL",
  "CAMPAIGN_MAX_IN_FLIGHT",
  "MAIL_FROM",
  "TRUST_PROXY",
  "SITE_TIME_ZONE",
  "STATS_EXCLUDED_IPS",
  "STATS_SITE_HOSTS",
  "METRICS_TOKEN",
  "CORS_ORIGINS",
  "PARTNER_TRUSTED_DOCUMENTS_ONLY",
  "SITE_TRUSTED_DOCUMENTS_ONLY",
  "TRUSTED_DOCUMENTS_FILE",
  "RATE_LIMIT_PARTNER_OPERATIONS",
  "RATE_LIMIT_PARTNER_COST",
  "RATE_LIMIT_SITE_OPERATIONS",
  "RATE_LIMIT_SITE_COST",
  "RATE_LIMIT_WINDOW_SECONDS",
  "PARTNER_KEY_REJECTIONS_PER_IP",
  "STAFF_MFA",
  "WEBAUTHN_RP_ID",
  "WEBAUTHN_RP_NAME",
  "WEBAUTHN_ORIGINS",
  "REGISTRATIONS_PER_IP_PER_HOUR",
  "PWNED_PASSWORDS_URL",
  "STATS_RAW_RETENTION_DAYS",
  "SECURITY_LOG_RETENTION_DAYS",
  "SESSION_RETENTION_DAYS",
  "DATA_EXPORT_RETENTION_DAYS",
  "CLOSED_ACCOUNT_RETENTION_DAYS",
  "JOB_HISTORY_RETENTION_DAYS",
  "AUDIT_LOG_RETENTION_DAYS",
] as const satisfies readonly (keyof EnvironmentVariables)[];

export type DatabaseConfig =
  | {
      kind: "mysql";
      url: string;
      /** `DATABASE_REPLICA_URLS`: replicas that serve the reads docs/scaling.md lists; none by default. */
      replicaUrls?: readonly string[];
    }
  | { kind: "sqlite"; path: string };

/** Everything an app needs to know about its surroundings, read once at start-up. */
export interface HonourConfig {
  readonly nodeEnv: "development" | "production" | "test";
  readonly database: DatabaseConfig;
  /** `REDIS_URL`: the job queue runs on BullMQ in this Redis; unset, on the `job` table. */
  readonly redisUrl?: string;
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** Server secret for keyed hashes; never logged. */
  readonly secret: string;
  readonly publicUrl: string;
  readonly cookieSecure: boolean;
  readonly admin?: { email: string; password: string };
  /** Seed demo content and accounts when the database is empty. */
  readonly demoData: boolean;
  readonly logLevel: string;
  /** Where marketing and transactional mail go; unset writes `.eml` files under `<dataDir>/outbox/`. */
  readonly smtpUrl?: string;
  /**
   * `CAMPAIGN_MAX_IN_FLIGHT` (default 64): campaign messages the worker has handed to the SMTP
   * server and not yet marked sent. A worker killed mid-campaign sends at most this many again
   * (same Message-ID); fewer costs throughput (docs/performance.md).
   */
  readonly campaignMaxInFlight: number;
  /** The sender of outgoing mail; unset: `"Honour" <no-reply@host of PUBLIC_URL>`. */
  readonly mailFrom?: string;
  /** Behind a load balancer: take the client's address from X-Forwarded-For. */
  /**
   * Whose `X-Forwarded-For` to believe for the client's address: nobody (false), every hop (true:
   * the leftmost address, which the client itself can write unless the proxy replaces the header),
   * or the proxies at these addresses and CIDR ranges (the address left of the last trusted hop).
   */
  readonly trustProxy: boolean | readonly string[];
  readonly stats: {
    /** The site's time zone: days and hours of the statistics are in it. */
    readonly timeZone: string;
    /** Addresses and CIDR ranges whose page views are not counted (the office, monitors). */
    readonly excludedIps: readonly string[];
    /**
     * The site's host names (lower case, `www.` kept as written): page views of pages on any other
     * host are not counted. Default: the host of `publicUrl`.
     */
    readonly siteHosts: readonly string[];
    /** Days raw page views are kept before only the rollups remain. */
    readonly rawRetentionDays: number;
  };
  /** Days the security log keeps IP addresses and host names. */
  readonly securityLogRetentionDays: number;
  /**
   * The bearer token Prometheus sends for `GET /metrics`; never logged. Unset: `/metrics` is off
   * (404), since its figures describe the traffic and nobody should read them unasked.
   */
  readonly metricsToken?: string;
  /**
   * Origins (`https://www.honour.example`, `http://localhost:5173`) whose pages may call the API
   * with the visitor's cookie (CORS with credentials). Empty: only same-origin pages.
   */
  readonly corsOrigins: readonly string[];
  /** Trusted documents and rate limits for partners and the site (README: "Integrations"). */
  readonly integrations: IntegrationsConfig;
  /** Sign-in settings: two-factor for staff, passkeys (README: "Accounts"). */
  readonly accounts: AccountsConfig;
  /**
   * How long each kind of data is kept, in days; the README's retention table documents each and
   * the worker's purge jobs enforce them.
   */
  readonly retention: RetentionConfig;
}

/** How people sign in beyond a password. */
export interface AccountsConfig {
  /**
   * `STAFF_MFA=required`: a staff account without two-factor may sign in only to turn it on; every
   * staff operation answers `MFA_ENROLMENT_REQUIRED` until then. Default: on in production only.
   */
  readonly staffMfaRequired: boolean;
  /** `REGISTRATIONS_PER_IP_PER_HOUR`: registrations accepted from one client IP per hour (0: no limit). */
  readonly registrationsPerIpPerHour: number;
  /**
   * `PWNED_PASSWORDS_URL`: a Have I Been Pwned range API (`https://api.pwnedpasswords.com`); new
   * passwords it lists are refused (only a 5-character SHA-1 prefix is sent). Unset (default): off.
   */
  readonly pwnedPasswordsUrl: string | null;
  /** WebAuthn (passkeys): the relying party the browser binds credentials to. */
  readonly webauthn: {
    /** `WEBAUTHN_RP_ID`: the site's registrable domain or host; default the host of `PUBLIC_URL`. */
    readonly rpId: string;
    /** `WEBAUTHN_RP_NAME`: shown by the browser and the authenticator; default "Honour". */
    readonly rpName: string;
    /** `WEBAUTHN_ORIGINS`: the origins of the pages that call the passkey operations; default `PUBLIC_URL`'s. */
    readonly origins: readonly string[];
  };
}

/** How the gateway treats partners' and the site's operations. */
export interface IntegrationsConfig {
  /** `PARTNER_TRUSTED_DOCUMENTS_ONLY` (default true): partner API keys may run only trusted documents. */
  readonly partnerTrustedDocumentsOnly: boolean;
  /** `SITE_TRUSTED_DOCUMENTS_ONLY` (default false): everyone else may run only trusted documents too. */
  readonly siteTrustedDocumentsOnly: boolean;
  /** `TRUSTED_DOCUMENTS_FILE`: the manifest (`{ "sha256:<hex>": "<document>" }`); default @honour/client's. */
  readonly trustedDocumentsFile?: string;
  /**
   * Token buckets per partner API key and per site client IP: operations and query cost per
   * `windowSeconds`, refilled evenly; 0 turns a bucket off. ADMIN may override a partner's.
   */
  readonly rateLimits: {
    readonly partner: { readonly operations: number; readonly cost: number };
    readonly site: { readonly operations: number; readonly cost: number };
    readonly windowSeconds: number;
  };
  /**
   * `PARTNER_KEY_REJECTIONS_PER_IP` (10): refused partner keys logged per client IP in 15 minutes;
   * beyond, more refusals answer 429 unlogged (a valid key still works). 0: no throttle.
   */
  readonly partnerKeyRejectionsPerIp: number;
}

/** Retention periods in days, one per kind of data (README: "Retention"). */
export interface RetentionConfig {
  /** A session ends after this many days unused, and its row is deleted when it ends. */
  readonly sessionsDays: number;
  /** Raw page views, before only the rollups remain (same as `stats.rawRetentionDays`). */
  readonly rawPageViewsDays: number;
  /** Security events with their IP addresses and host names (same as `securityLogRetentionDays`). */
  readonly securityEventsDays: number;
  /** A data export's download link works this long; then the file is deleted. */
  readonly dataExportsDays: number;
  /** What is left of a closed account (anonymised orders kept for accounting, its requests). */
  readonly closedAccountsDays: number;
  /** Finished and dead jobs, whose payloads may name a recipient. */
  readonly jobHistoryDays: number;
  readonly auditLogDays: number;
}

/** A configuration problem, naming every bad variable. Apps print it and exit. */
export class ConfigException extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigException";
  }
}

/**
 * Reads and validates the environment. Throws {@link ConfigException} naming each bad variable.
 * Outside production a missing `HONOUR_SECRET` is generated once and kept in the data directory.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): HonourConfig {
  const vars = new EnvironmentVariables();
  const problems: string[] = [];
  for (const key of VARIABLES) {
    const raw = env[key];
    if (raw === undefined || raw === "") continue;
    if (NUMERIC.has(key as never)) {
      if (/^\d+$/.test(raw)) (vars as unknown as Record<string, number>)[key] = Number(raw);
      else problems.push(`${key} must be a whole number (got "${raw}")`);
    } else {
      (vars as unknown as Record<string, string>)[key] = raw;
    }
  }
  for (const error of validateSync(vars)) {
    for (const message of Object.values(error.constraints ?? {})) {
      problems.push(`${error.property} ${message.replace(new RegExp(`^${error.property} `), "")}`);
    }
  }
  const production = vars.NODE_ENV === "production";
  if (production && !vars.HONOUR_SECRET) problems.push("HONOUR_SECRET is required when NODE_ENV=production");
  if (Boolean(vars.HONOUR_ADMIN_EMAIL) !== Boolean(vars.HONOUR_ADMIN_PASSWORD)) {
    problems.push("HONOUR_ADMIN_EMAIL and HONOUR_ADMIN_PASSWORD must be set together");
  }
  if (!isTimeZone(vars.SITE_TIME_ZONE)) problems.push(`SITE_TIME_ZONE must be an IANA time zone such as Europe/London`);
  const excludedIps = vars.STATS_EXCLUDED_IPS.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const range of excludedIps) {
    if (!isCidr(range)) problems.push(`STATS_EXCLUDED_IPS has "${range}", which is not an IP address or CIDR range`);
  }
  const trustProxy = parseTrustProxy(vars.TRUST_PROXY ?? "");
  if (trustProxy === null) {
    problems.push(
      `TRUST_PROXY must be true, false, or the proxies' IP addresses and CIDR ranges separated by commas (got "${vars.TRUST_PROXY}")`,
    );
  }
  const siteHostList = vars.STATS_SITE_HOSTS?.split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const host of siteHostList ?? []) {
    if (!isHostName(host))
      problems.push(`STATS_SITE_HOSTS has "${host}", which is not a host name (no scheme, port or path)`);
  }
  if (vars.STATS_SITE_HOSTS !== undefined && siteHostList?.length === 0) {
    problems.push("STATS_SITE_HOSTS must name at least one host, separated by commas");
  }
  const corsOrigins: string[] = [];
  for (const entry of (vars.CORS_ORIGINS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const origin = originOf(entry);
    if (origin) corsOrigins.push(origin);
    else problems.push(`CORS_ORIGINS has "${entry}", which is not an origin (scheme://host[:port], no path)`);
  }
  const defaultPublicUrl = `http://${vars.HOST === "0.0.0.0" ? "localhost" : vars.HOST}:${vars.PORT}`;
  const publicHost = hostOf(vars.PUBLIC_URL ?? defaultPublicUrl);
  const rpId = (vars.WEBAUTHN_RP_ID ?? publicHost ?? "").trim().toLowerCase();
  if (vars.WEBAUTHN_RP_ID !== undefined && !isHostName(rpId)) {
    problems.push(`WEBAUTHN_RP_ID must be a host name such as honour.example (got "${vars.WEBAUTHN_RP_ID}")`);
  }
  const webauthnOrigins: string[] = [];
  for (const entry of (vars.WEBAUTHN_ORIGINS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const origin = originOf(entry);
    if (!origin)
      problems.push(`WEBAUTHN_ORIGINS has "${entry}", which is not an origin (scheme://host[:port], no path)`);
    else if (!withinRpId(new URL(origin).hostname, rpId)) {
      problems.push(`WEBAUTHN_ORIGINS has "${entry}", whose host is not WEBAUTHN_RP_ID (${rpId}) or below it`);
    } else webauthnOrigins.push(origin);
  }
  const replicaUrls = (vars.DATABASE_REPLICA_URLS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (replicaUrls.length > 0 && !vars.DATABASE_URL) {
    problems.push("DATABASE_REPLICA_URLS needs DATABASE_URL: the embedded SQLite file has no replicas");
  }
  for (const replica of replicaUrls) {
    if (!/^(mysql|mariadb):\/\/[^/\s]+\/[A-Za-z0-9_$-]+(\?.*)?$/.test(replica)) {
      problems.push(
        `DATABASE_REPLICA_URLS has "${replica.replace(/\/\/[^@/]*@/, "//…@")}", which is not mysql://user:password@host:port/database`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigException(problems);

  const dataDir = resolve(vars.HONOUR_DATA_DIR);
  const publicUrl = (vars.PUBLIC_URL ?? defaultPublicUrl).replace(/\/$/, "");
  return {
    nodeEnv: vars.NODE_ENV as HonourConfig["nodeEnv"],
    database: vars.DATABASE_URL
      ? { kind: "mysql", url: vars.DATABASE_URL, ...(replicaUrls.length > 0 ? { replicaUrls } : {}) }
      : { kind: "sqlite", path: join(dataDir, "honour.sqlite") },
    redisUrl: vars.REDIS_URL,
    dataDir,
    host: vars.HOST,
    port: vars.PORT,
    secret: vars.HONOUR_SECRET ?? localSecret(dataDir),
    publicUrl,
    cookieSecure: vars.COOKIE_SECURE ? parseBoolean(vars.COOKIE_SECURE) : publicUrl.startsWith("https:"),
    admin:
      vars.HONOUR_ADMIN_EMAIL && vars.HONOUR_ADMIN_PASSWORD
        ? { email: vars.HONOUR_ADMIN_EMAIL, password: vars.HONOUR_ADMIN_PASSWORD }
        : undefined,
    demoData: vars.HONOUR_DEMO_DATA ? parseBoolean(vars.HONOUR_DEMO_DATA) : !production,
    logLevel: vars.LOG_LEVEL,
    smtpUrl: vars.SMTP_URL,
    campaignMaxInFlight: vars.CAMPAIGN_MAX_IN_FLIGHT,
    mailFrom: vars.MAIL_FROM,
    trustProxy: trustProxy ?? false,
    stats: {
      timeZone: vars.SITE_TIME_ZONE,
      excludedIps,
      siteHosts: siteHostList ?? [new URL(publicUrl).hostname],
      rawRetentionDays: vars.STATS_RAW_RETENTION_DAYS,
    },
    securityLogRetentionDays: vars.SECURITY_LOG_RETENTION_DAYS,
    metricsToken: vars.METRICS_TOKEN,
    corsOrigins,
    integrations: {
      partnerTrustedDocumentsOnly: vars.PARTNER_TRUSTED_DOCUMENTS_ONLY
        ? parseBoolean(vars.PARTNER_TRUSTED_DOCUMENTS_ONLY)
        : true,
      siteTrustedDocumentsOnly: vars.SITE_TRUSTED_DOCUMENTS_ONLY
        ? parseBoolean(vars.SITE_TRUSTED_DOCUMENTS_ONLY)
        : false,
      trustedDocumentsFile: vars.TRUSTED_DOCUMENTS_FILE ? resolve(vars.TRUSTED_DOCUMENTS_FILE) : undefined,
      rateLimits: {
        partner: { operations: vars.RATE_LIMIT_PARTNER_OPERATIONS, cost: vars.RATE_LIMIT_PARTNER_COST },
        site: { operations: vars.RATE_LIMIT_SITE_OPERATIONS, cost: vars.RATE_LIMIT_SITE_COST },
        windowSeconds: vars.RATE_LIMIT_WINDOW_SECONDS,
      },
      partnerKeyRejectionsPerIp: vars.PARTNER_KEY_REJECTIONS_PER_IP,
    },
    accounts: {
      staffMfaRequired: vars.STAFF_MFA ? ["required", "true", "1"].includes(vars.STAFF_MFA) : production,
      registrationsPerIpPerHour: vars.REGISTRATIONS_PER_IP_PER_HOUR,
      pwnedPasswordsUrl: vars.PWNED_PASSWORDS_URL ?? null,
      webauthn: {
        rpId,
        rpName: vars.WEBAUTHN_RP_NAME?.trim() || "Honour",
        origins: webauthnOrigins.length > 0 ? webauthnOrigins : [new URL(publicUrl).origin],
      },
    },
    retention: {
      sessionsDays: vars.SESSION_RETENTION_DAYS,
      rawPageViewsDays: vars.STATS_RAW_RETENTION_DAYS,
      securityEventsDays: vars.SECURITY_LOG_RETENTION_DAYS,
      dataExportsDays: vars.DATA_EXPORT_RETENTION_DAYS,
      closedAccountsDays: vars.CLOSED_ACCOUNT_RETENTION_DAYS,
      jobHistoryDays: vars.JOB_HISTORY_RETENTION_DAYS,
      auditLogDays: vars.AUDIT_LOG_RETENTION_DAYS,
    },
  };
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The origin an entry names, as browsers send it in `Origin` (lower-case host, no default port), or null. */
function originOf(entry: string): string | null {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== ""))
    return null;
  return url.origin;
}

/** The lower-case host name of a URL, or undefined when it is none. */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** WebAuthn's rule: an origin may use an RP ID equal to its host or a parent domain of it. */
function withinRpId(host: string, rpId: string): boolean {
  return host === rpId || host.endsWith(`.${rpId}`);
}

/**
 * A DNS name (`www.honour.example`, `localhost`) or an IP address (IPv6 in brackets, as in a URL),
 * without scheme, port or path.
 */
function isHostName(host: string): boolean {
  if (isIP(host) === 4 || (host.startsWith("[") && host.endsWith("]") && isIP(host.slice(1, -1)) === 6)) return true;
  return host.length <= 253 && host.split(".").every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label));
}

/** An IPv4/IPv6 address, or one with a /prefix that fits its family. */
function isCidr(range: string): boolean {
  const [address = "", prefix, extra] = range.split("/");
  if (extra !== undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** TRUST_PROXY: a boolean, or a list of addresses and ranges; null when it is neither. */
function parseTrustProxy(value: string): boolean | string[] | null {
  const text = value.trim().toLowerCase();
  if (text === "" || text === "false" || text === "0") return false;
  if (text === "true" || text === "1") return true;
  const entries = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return entries.length > 0 && entries.every(isCidr) ? entries : null;
}

/** `@IsBooleanString` lets through true/false and 1/0; both spellings mean what they say. */
function parseBoolean(value: string): boolean {
  return value === "true" || value === "1";
}

/** A development secret, generated on first use and kept beside the SQLite file. */
function localSecret(dataDir: string): string {
  const file = join(dataDir, "secret");
  if (existsSync(file)) return readStoredSecret(file);
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  // Written whole to a private file, then linked into place: a process starting at the same time
  // (gateway and worker do) sees either no file or the complete secret, never a half-written one.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(draft, `${secret}\n`, { mode: 0o600 });
  try {
    linkSync(draft, file);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return readStoredSecret(file); // another process won the race: use theirs
  } finally {
    rmSync(draft, { force: true });
  }
}

function readStoredSecret(file: string): string {
  const secret = readFileSync(file, "utf8").trim();
  if (secret.length < 32) {
    throw new ConfigException([`HONOUR_SECRET is unset and ${file} holds no usable secret; delete the file or set it`]);
  }
  return secret;
}
