import { QueryFailedError, QueryRunnerAlreadyReleasedError, type QueryRunner } from "typeorm";
import { QueryResult } from "typeorm/query-runner/QueryResult";
import { BroadcasterResult } from "typeorm/subscriber/BroadcasterResult";
import type { RequestContext } from "../context/request-context";
import { isMysql } from "./data-source";

/** The part of mysql2's connection that runs prepared statements (callback API). */
interface Mysql2Connection {
  execute(
    options: string | { sql: string; timeout?: number },
    values: unknown[],
    callback: (error: Error | null, result: unknown) => void,
  ): void;
}

/**
 * Runs one statement with `?` placeholders in `ctx`'s transaction (or on a pooled connection of
 * its own), returning what TypeORM's `manager.query` returns: the rows of a SELECT, the driver's
 * result of a write (with `structured`, TypeORM's QueryResult, whose `affected` is the rows
 * changed).
 *
 * On MySQL/MariaDB it is a prepared statement (mysql2's `execute`): the server parses it once per
 * connection and keeps it, parameters travel typed and rows come back in the binary protocol, so
 * nothing is formatted into SQL text or parsed back out of it: the hand-written `myOrders`
 * baseline used half the CPU a request that way, the gateway about a tenth less of the machine's
 * (docs/performance.md, "Fifth pass"). Everything else is as TypeORM's own query: logged (and
 * counted by tests) through the data source's logger, broadcast to subscribers, timed against
 * `maxQueryExecutionTime`, and failing with a QueryFailedError. SQLite, and a statement given an
 * array to expand (which only the text protocol does), run through TypeORM's query.
 */
export async function runPrepared<T = unknown>(
  ctx: RequestContext,
  sql: string,
  parameters: readonly unknown[],
  structured = false,
): Promise<T> {
  const { manager, dataSource } = ctx;
  const prepared = isMysql(dataSource) && !parameters.some(Array.isArray);
  if (!prepared && !structured) return (await manager.query(sql, parameters as unknown[])) as T;
  const runner = manager.queryRunner ?? dataSource.createQueryRunner();
  try {
    return (
      prepared
        ? await execute(runner, sql, parameters, structured)
        : await runner.query(sql, parameters as unknown[], true)
    ) as T;
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}

/**
 * TypeORM's MysqlQueryRunner.query (typeorm 1.1), with mysql2's `execute` in place of `query`; the
 * broadcaster's before- and after-query events are skipped when the data source has no
 * subscribers (they would reach nobody, at a promise and an await a statement).
 */
async function execute(runner: QueryRunner, sql: string, parameters: readonly unknown[], structured: boolean) {
  if (runner.isReleased) throw new QueryRunnerAlreadyReleasedError();
  const connection = (await runner.connect()) as Mysql2Connection;
  const { dataSource, broadcaster } = runner;
  const { logger } = dataSource;
  const options = dataSource.driver.options as { maxQueryExecutionTime?: number; enableQueryTimeout?: boolean };
  const maxTime = options.maxQueryExecutionTime;
  // mysql2 refuses `undefined`; the text protocol wrote it as NULL, and so does this.
  const values = parameters.includes(undefined)
    ? parameters.map((value) => (value === undefined ? null : value))
    : (parameters as unknown[]);
  logger.logQuery(sql, values, runner);
  const broadcasterResult = dataSource.subscribers.length > 0 ? new BroadcasterResult() : undefined;
  if (broadcasterResult) await broadcaster.broadcast("BeforeQuery", sql, values);
  const started = Date.now();
  try {
    const raw = await new Promise<unknown>((resolve, reject) =>
      connection.execute(options.enableQueryTimeout && maxTime ? { sql, timeout: maxTime } : sql, values, (e, r) =>
        e ? reject(e) : resolve(r),
      ),
    );
    const elapsed = Date.now() - started;
    if (maxTime && elapsed > maxTime) logger.logQuerySlow(elapsed, sql, values, runner);
    if (broadcasterResult)
      broadcaster.broadcastAfterQueryEvent(broadcasterResult, sql, values, true, elapsed, raw, undefined);
    if (!structured) return raw;
    const result = new QueryResult();
    result.raw = raw;
    if (Array.isArray(raw)) result.records = raw;
    const affected = (raw as { affectedRows?: number } | null)?.affectedRows;
    if (affected !== undefined) result.affected = affected;
    return result;
  } catch (error) {
    const elapsed = Date.now() - started;
    if (maxTime && elapsed > maxTime) logger.logQuerySlow(elapsed, sql, values, runner);
    logger.logQueryError(error as Error, sql, values, runner);
    if (broadcasterResult)
      broadcaster.broadcastAfterQueryEvent(broadcasterResult, sql, values, false, undefined, undefined, error);
    throw new QueryFailedError(sql, values, error as Error);
  } finally {
    if (broadcasterResult) await broadcasterResult.wait();
  }
}
