import { createPool, type Pool } from "mysql2/promise";

/**
 * The mysql2 pool of every hand-written baseline: the gateway's settings (10 connections, UTC,
 * and `trace: false`, which the gateway sets too, so neither pays for mysql2's stack capture on
 * every query).
 */
export function baselinePool(url: string): Pool {
  return createPool({ uri: url.replace(/^mariadb:/, "mysql:"), connectionLimit: 10, timezone: "Z", trace: false });
}
