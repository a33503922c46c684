import { ConfigException } from "../config/config";

/**
 * What answers at a `mysql://` or `mariadb://` URL, read from the server itself. The URL's scheme
 * says nothing reliable: hosting panels hand out `mysql://` for MariaDB too, and the two differ
 * where it matters (MariaDB rejects MySQL 8's `FOR SHARE`).
 */
export interface DatabaseServer {
  /** The SQL dialect TypeORM must speak: MariaDB's, or MySQL's (MySQL-compatible engines too). */
  dialect: "mariadb" | "mysql";
  /** The product, for people: "MariaDB", "MySQL", "TiDB", "Vitess", "Aurora MySQL". */
  product: string;
  /** The server's version number, e.g. "10.11.19" (for a MySQL-compatible engine: the MySQL it speaks). */
  version: string;
  /** The server's whole answer to `SELECT VERSION()`. */
  versionText: string;
}

/**
 * The oldest servers Honour supports: the first with `SELECT … FOR UPDATE SKIP LOCKED`, which the
 * job queue claims with so that several workers can share it.
 */
export const MINIMUM_SERVER_VERSIONS = { mariadb: "10.6.0", mysql: "8.0.1" } as const;

/** Reads a `SELECT VERSION()` answer: "10.11.19-MariaDB-0+deb12u1", "8.0.36", "8.0.11-TiDB-v7.5.1". */
export function parseServerVersion(versionText: string): DatabaseServer {
  const text = versionText.trim();
  const version = /^(\d+)\.(\d+)\.(\d+)/.exec(text)?.[0] ?? /^(\d+)\.(\d+)/.exec(text)?.[0] ?? "0.0.0";
  if (/mariadb/i.test(text)) return { dialect: "mariadb", product: "MariaDB", version, versionText: text };
  const product = /tidb/i.test(text)
    ? "TiDB"
    : /vitess/i.test(text)
      ? "Vitess"
      : /aurora/i.test(text)
        ? "Aurora MySQL"
        : "MySQL";
  return { dialect: "mysql", product, version, versionText: text };
}

/** "MariaDB 10.11.19", as start-up logs it. */
export function describeServer(server: DatabaseServer): string {
  return `${server.product} ${server.version}`;
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b` ("10.6.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Throws a {@link ConfigException} naming `DATABASE_URL` for a server older than Honour supports,
 * so that start-up stops with a reason instead of the first order failing on a lock clause.
 */
export function assertSupportedServer(server: DatabaseServer): void {
  const minimum = MINIMUM_SERVER_VERSIONS[server.dialect];
  if (compareVersions(server.version, minimum) >= 0) return;
  const family = server.dialect === "mariadb" ? "MariaDB" : "MySQL";
  throw new ConfigException([
    `DATABASE_URL: the server is ${describeServer(server)} (${server.versionText}); Honour needs ` +
      `MariaDB ${MINIMUM_SERVER_VERSIONS.mariadb.replace(/\.0$/, "")} or later, or MySQL 8.0.1 or later ` +
      `(${family} ${minimum} is the first with SELECT … FOR UPDATE SKIP LOCKED).`,
  ]);
}

/** Connection settings mysql2 takes, from a `mysql://` or `mariadb://` URL. */
function connectionOptions(url: string) {
  const parsed = new URL(`mysql://${url.slice(url.indexOf("://") + 3)}`);
  return {
    host: decodeURIComponent(parsed.hostname),
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, "")) || undefined,
  };
}

/**
 * Connects once to the server of a `mysql://` or `mariadb://` URL, asks `SELECT VERSION()` and
 * checks it is supported. Connection errors are thrown as mysql2 reports them (the worker retries
 * those); an unsupported server is a {@link ConfigException}.
 */
export async function probeDatabaseServer(url: string, connectTimeoutMs = 10_000): Promise<DatabaseServer> {
  // mysql2 (about 100 modules) is loaded only on a MySQL/MariaDB start, not on the SQLite default.
  // require, not import(): the build is CommonJS, and jest runs it without ES module support.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createConnection } = require("mysql2/promise") as typeof import("mysql2/promise");
  const connection = await createConnection({ ...connectionOptions(url), connectTimeout: connectTimeoutMs });
  let versionText: string;
  try {
    const [rows] = await connection.query("SELECT VERSION() AS version");
    versionText = String((rows as { version: unknown }[])[0]?.version ?? "");
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
  const server = parseServerVersion(versionText);
  assertSupportedServer(server);
  return server;
}
