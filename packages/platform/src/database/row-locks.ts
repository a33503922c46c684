import type { ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { isMysql } from "./data-source";

/**
 * Takes row locks on the rows `query` reads, where the database has them, in the one place that
 * knows how each engine spells them: `share` is MySQL 8's `FOR SHARE` and MariaDB's
 * `LOCK IN SHARE MODE` (TypeORM writes the right one for the dialect the server chose), `update`
 * is `FOR UPDATE` on both. On the embedded SQLite file the query is left as it is: SQLite has no
 * row locks, and transactions there take turns (see `runInTransaction`), which gives the same
 * guarantee. Returns the query, for chaining.
 */
export function lockRows<Q extends SelectQueryBuilder<ObjectLiteral>>(query: Q, mode: "share" | "update"): Q {
  if (isMysql(query.connection)) query.setLock(mode === "share" ? "pessimistic_read" : "pessimistic_write");
  return query;
}
