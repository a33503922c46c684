import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import type { RequestContext } from "../context/request-context";

/** Quoting for one statement: the entity's table and its columns, as the driver writes them. */
export interface SqlNames {
  table: string;
  column(propertyName: string): string;
}

/**
 * The hottest reads (a page of orders, the session lookup of every request) as plain SQL built
 * once per data source and shape, with rows hydrated straight from the entity metadata. Building
 * and transforming TypeORM queries was the largest share of those requests' CPU time. Keep one
 * instance per service; statements use `?` placeholders, which both drivers take.
 */
export class HotReads {
  private readonly statements = new WeakMap<DataSource, Map<string, string>>();

  /** The statement `key` for `dataSource`: `build` runs once, on first use. */
  statement(dataSource: DataSource, key: string, build: () => string): string {
    let byKey = this.statements.get(dataSource);
    if (!byKey) this.statements.set(dataSource, (byKey = new Map()));
    let sql = byKey.get(key);
    if (!sql) {
      sql = build();
      byKey.set(key, sql);
    }
    return sql;
  }

  /**
   * Rows of one entity's table, hydrated. `build` writes the statement (`SELECT * FROM` the table)
   * for `shape`, the part of the query that varies (which filters, how many ids), once.
   */
  async select<T extends ObjectLiteral>(
    ctx: RequestContext,
    entity: EntityTarget<T>,
    shape: string,
    build: (names: SqlNames) => string,
    parameters: unknown[],
  ): Promise<T[]> {
    const { dataSource } = ctx;
    const metadata = dataSource.getMetadata(entity);
    const sql = this.statement(dataSource, `${metadata.tableName}:${shape}`, () => {
      const { driver } = dataSource;
      return build({
        table: driver.escape(metadata.tableName),
        column: (name) => driver.escape(metadata.findColumnWithPropertyName(name)!.databaseName),
      });
    });
    const rows: Record<string, unknown>[] = await ctx.manager.query(sql, parameters);
    return rows.map((raw) => hydrateEntity<T>(dataSource, metadata, raw));
  }
}

/**
 * An entity from a raw result row, each selectable column converted as TypeORM would. `prefix`
 * is the alias prefix a query builder gives a joined entity's columns (`u_` for alias `u`).
 */
export function hydrateEntity<T>(
  dataSource: DataSource,
  metadata: EntityMetadata,
  raw: Record<string, unknown>,
  prefix = "",
): T {
  const { columns, keys } = selectableColumns(metadata, prefix);
  const { driver } = dataSource;
  const row = metadata.create() as Record<string, unknown>;
  for (let i = 0; i < columns.length; i += 1) {
    const column = columns[i]!;
    row[column.propertyName] = driver.prepareHydratedValue(raw[keys[i]!], column);
  }
  return row as T;
}

/** An entity's selectable columns and the result-row keys they come under, worked out once per prefix. */
const selectable = new WeakMap<EntityMetadata, Map<string, { columns: ColumnMetadata[]; keys: string[] }>>();

function selectableColumns(metadata: EntityMetadata, prefix: string): { columns: ColumnMetadata[]; keys: string[] } {
  let byPrefix = selectable.get(metadata);
  if (!byPrefix) selectable.set(metadata, (byPrefix = new Map()));
  let found = byPrefix.get(prefix);
  if (!found) {
    const columns = metadata.columns.filter((column) => column.isSelect);
    found = { columns, keys: columns.map((column) => `${prefix}${column.databaseName}`) };
    byPrefix.set(prefix, found);
  }
  return found;
}
