import { MAX_PREPARED_STATEMENTS_PER_CONNECTION } from "@honour/platform";
import { createPool, type Pool } from "mysql2/promise";

/**
 * The mysql2 pool of every hand-written baseline: the gateway's settings (10 connections, UTC,
 * and `trace: false`, which the gateway sets too, so neither pays for mysql2's stack capture on
 * every query). The statements the gateway runs as prepared statements (the platform's
 * `runPrepared`) the baselines run with `execute` too, with the gateway's cap on the prepared
 * statements each connection keeps: the same SQL on the same protocol.
 */
export function baselinePool(url: string): Pool {
  return createPool({
    uri: url.replace(/^mariadb:/, "mysql:"),
    connectionLimit: 10,
    timezone: "Z",
    trace: false,
    maxPreparedStatements: MAX_PREPARED_STATEMENTS_PER_CONNECTION,
  });
}
