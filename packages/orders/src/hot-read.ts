import type { RequestContext } from "@honour/platform";
import type { DataSource, EntityTarget, ObjectLiteral } from "typeorm";

/** Quoting for one statement: the entity's table and its columns, as the driver writes them. */
export interface SqlNames {
  table: string;
  column(propertyName: string): string;
}

/**
 * Runs the hottest reads (order pages and their lines) as plain SQL built once per data source
 * and shape, and hydrates the rows straight from the entity metadata. Building and transforming
 * TypeORM queries was the largest share of a page's CPU time, as it was for the session lookup.
 * Statements select `*` from one table and use `?` placeholders, which both drivers take.
 */
export class HotReads {
  private readonly statements = new WeakMap<DataSource, Map<string, string>>();

  async select<T extends ObjectLiteral>(
    ctx: RequestContext,
    entity: EntityTarget<T>,
    shape: string,
    build: (names: SqlNames) => string,
    parameters: unknown[],
  ): Promise<T[]> {
    const { dataSource } = ctx;
    const metadata = dataSource.getMetadata(entity);
    let byShape = this.statements.get(dataSource);
    if (!byShape) this.statements.set(dataSource, (byShape = new Map()));
    const key = `${metadata.tableName}:${shape}`;
    let sql = byShape.get(key);
    if (!sql) {
      const { driver } = dataSource;
      sql = build({
        table: driver.escape(metadata.tableName),
        column: (name) => driver.escape(metadata.findColumnWithPropertyName(name)!.databaseName),
      });
      byShape.set(key, sql);
    }
    const rows: Record<string, unknown>[] = await ctx.manager.query(sql, parameters);
    return rows.map((raw) => {
      const row = metadata.create() as Record<string, unknown>;
      for (const column of metadata.columns) {
        row[column.propertyName] = dataSource.driver.prepareHydratedValue(raw[column.databaseName], column);
      }
      return row as T;
    });
  }
}
