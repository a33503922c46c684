import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import type { RequestContext } from "../context/request-context";
import { runPrepared } from "./prepared";

/** Quoting for one statement: the entity's table and its columns, as the driver writes them. */
export interface SqlNames {
  table: string;
  column(propertyName: string): string;
}

/**
 * The hottest reads (a page of orders, the session lookup of every request) as plain SQL built
 * once per data source and shape, with rows hydrated straight from the entity metadata. Building
 * and transforming TypeORM queries was the largest share of those requests' CPU time. Keep one
 * instance per service; statements use `?` placeholders, which both drivers take, and run as
 * prepared statements on MySQL/MariaDB ({@link HotReads.run}).
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
    const rows = await this.run<Record<string, unknown>[]>(ctx, sql, parameters);
    return rows.map((raw) => hydrateEntity<T>(dataSource, metadata, raw));
  }

  /**
   * Runs one of this service's statements in `ctx`: a prepared statement on MySQL/MariaDB
   * ({@link runPrepared}), TypeORM's query elsewhere; the rows of a SELECT, the driver's result of
   * a write, or with `structured` TypeORM's QueryResult.
   */
  run<R = unknown>(ctx: RequestContext, sql: string, parameters: readonly unknown[], structured = false): Promise<R> {
    return runPrepared<R>(ctx, sql, parameters, structured);
  }
}

/**
 * An entity from a raw result row, each selectable column converted as TypeORM would. `prefix`
 * is the alias prefix a query builder gives a joined entity's columns (`u_` for alias `u`).
 *
 * Made by a constructor compiled once per entity and prefix (see {@link compileHydrator}), as
 * mysql2 compiles its row parsers: assigning thirty-odd columns one by one through a variable key
 * to `new Entity()` turns the entity into a dictionary-mode object (V8 gives up on fast properties
 * past a dozen keyed additions), which cost about a microsecond per entity to make and a hash
 * lookup for every later read of every field.
 */
export function hydrateEntity<T>(
  dataSource: DataSource,
  metadata: EntityMetadata,
  raw: Record<string, unknown>,
  prefix = "",
): T {
  return hydratorOf(dataSource, metadata, prefix)(raw) as T;
}

type Hydrator = (raw: Record<string, unknown>) => unknown;

/** Each entity's hydrators by prefix, made on first use. */
const hydrators = new WeakMap<EntityMetadata, Map<string, Hydrator>>();

function hydratorOf(dataSource: DataSource, metadata: EntityMetadata, prefix: string): Hydrator {
  let byPrefix = hydrators.get(metadata);
  if (!byPrefix) hydrators.set(metadata, (byPrefix = new Map()));
  let hydrator = byPrefix.get(prefix);
  if (!hydrator) {
    hydrator = compileHydrator(dataSource, metadata, prefix) ?? genericHydrator(dataSource, metadata, prefix);
    byPrefix.set(prefix, hydrator);
  }
  return hydrator;
}

/** What a property name must look like to be written as `this.name` in generated code. */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** A class whose constructor does nothing (no fields, no base class): `new` adds nothing to skip. */
const EMPTY_CLASS = /^class\s*[\w$]*\s*\{\s*\}$/;

/**
 * A constructor that assigns every selectable column by name (each through the driver's
 * `prepareHydratedValue`, as TypeORM converts it), with the entity class's prototype, so the
 * result is an instance of the entity with all its fields in-object. Undefined where that would
 * not be exactly what `metadata.create()` and the assignments make: an entity class with a
 * constructor or base class of its own, lazy relations, TypeORM's `typename` option, or a property
 * name that is not a plain identifier.
 */
function compileHydrator(dataSource: DataSource, metadata: EntityMetadata, prefix: string): Hydrator | undefined {
  const target = metadata.target;
  if (typeof target !== "function" || !EMPTY_CLASS.test(Function.prototype.toString.call(target))) return undefined;
  if (metadata.lazyRelations.length > 0 || dataSource.options.typename) return undefined;
  const { columns, keys } = selectable(metadata, prefix);
  if (columns.some((c) => !IDENTIFIER.test(c.propertyName) || c.propertyName === "__proto__")) return undefined;
  const body = columns
    .map(
      (c, i) => `this.${c.propertyName} = driver.prepareHydratedValue(raw[${JSON.stringify(keys[i])}], columns[${i}]);`,
    )
    .join("\n");
  // Names checked above, row keys quoted by JSON.stringify: nothing but the entity's own metadata
  // reaches the source.
  const Hydrated = new Function("driver", "columns", `return function Hydrated(raw) {\n${body}\n};`)(
    dataSource.driver,
    columns,
  ) as { new (raw: Record<string, unknown>): unknown; prototype: unknown };
  Hydrated.prototype = (target as { prototype: unknown }).prototype;
  return (raw) => new Hydrated(raw);
}

/** An entity's selectable columns and the result-row keys they come under. */
function selectable(metadata: EntityMetadata, prefix: string): { columns: ColumnMetadata[]; keys: string[] } {
  const columns = metadata.columns.filter((column) => column.isSelect);
  return { columns, keys: columns.map((column) => `${prefix}${column.databaseName}`) };
}

/** TypeORM's own way, for the entities {@link compileHydrator} leaves. */
function genericHydrator(dataSource: DataSource, metadata: EntityMetadata, prefix: string): Hydrator {
  const { columns, keys } = selectable(metadata, prefix);
  const { driver } = dataSource;
  return (raw) => {
    const row = metadata.create() as Record<string, unknown>;
    for (let i = 0; i < columns.length; i += 1) {
      const column = columns[i]!;
      row[column.propertyName] = driver.prepareHydratedValue(raw[keys[i]!], column);
    }
    return row;
  };
}
