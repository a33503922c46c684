import { HotReads, paginate, type Connection, type PageArgs, type RequestContext } from "@honour/platform";
import { ConsentEventEntity } from "./consent-event.entity";

/**
 * The only code that touches the consent ledger's table. It can append and read; it has no way to
 * update or delete a row, and nothing else in the package writes `consent_event`.
 */
export class ConsentLedger {
  private readonly statements = new HotReads();

  /**
   * Appends entries in the caller's transaction, in one statement: plain SQL built once per
   * number of entries (issue 18: TypeORM's insert builder was a large share of setPreferences).
   */
  async append(ctx: RequestContext, entries: readonly ConsentEventEntity[]): Promise<void> {
    if (entries.length === 0) return;
    const { dataSource } = ctx;
    const { driver } = dataSource;
    const metadata = dataSource.getMetadata(ConsentEventEntity);
    const columns = metadata.columns.filter((column) => column.isInsert);
    const sql = this.statements.statement(dataSource, `consent_event:insert:${entries.length}`, () => {
      const tuple = `(${columns.map(() => "?").join(", ")})`;
      return (
        `INSERT INTO ${driver.escape(metadata.tableName)} ` +
        `(${columns.map((column) => driver.escape(column.databaseName)).join(", ")}) ` +
        `VALUES ${Array(entries.length).fill(tuple).join(", ")}`
      );
    });
    const parameters: unknown[] = [];
    for (const entry of entries) {
      for (const column of columns)
        parameters.push(driver.preparePersistentValue(column.getEntityValue(entry), column));
    }
    await this.statements.run(ctx, sql, parameters);
  }

  /** Every entry of one subject, oldest first (for a copy of the person's data). */
  history(ctx: RequestContext, subjectHash: string): Promise<ConsentEventEntity[]> {
    return ctx.manager.find(ConsentEventEntity, { where: { subjectHash }, order: { id: "ASC" } });
  }

  /** One subject's entries, newest first. */
  page(ctx: RequestContext, subjectHash: string, args: PageArgs): Promise<Connection<ConsentEventEntity>> {
    const query = ctx.manager
      .createQueryBuilder(ConsentEventEntity, "e")
      .where("e.subjectHash = :subjectHash", { subjectHash });
    return paginate(query, args, "DESC");
  }
}
