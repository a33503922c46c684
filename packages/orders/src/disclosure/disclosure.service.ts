import {
  HotReads,
  isMysql,
  newId,
  paginate,
  type Connection,
  type FieldError,
  type PageArgs,
  type RequestContext,
} from "@honour/platform";
import DataLoader from "dataloader";
import { In, type DataSource } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { invalidInput } from "../field-checks";
import type { OrderEntity } from "../order/order.entity";
import { PartnerEntity } from "../partner/partner.entity";
import { DisclosedField, DisclosureEntity, DisclosurePurpose } from "./disclosure.entity";

/** One order whose contact a partner is about to receive, and which parts of it. */
export interface DisclosureRequest {
  order: OrderEntity;
  fields: readonly DisclosedField[];
}

/** Staff's view of the disclosure log: by partner, by order, or both. */
export interface DisclosureSearchArgs extends PageArgs {
  partnerId?: string | null;
  orderId?: string | null;
}

const FIELD_ORDER = Object.values(DisclosedField);

/** The disclosed fields as stored: the enum's order, comma-separated, no repeats. */
export function encodeFields(fields: Iterable<DisclosedField>): string {
  const set = new Set(fields);
  return FIELD_ORDER.filter((f) => set.has(f)).join(",");
}

/** Whether `fields` are in the enum's order without repeats (as {@link encodeFields} stores them). */
function inFieldOrder(fields: readonly DisclosedField[]): boolean {
  let last = -1;
  for (const field of fields) {
    const index = FIELD_ORDER.indexOf(field);
    if (index <= last) return false;
    last = index;
  }
  return true;
}

export function decodeFields(stored: string): DisclosedField[] {
  return stored === "" ? [] : (stored.split(",") as DisclosedField[]);
}

const ID_PATTERN = /^[0-9a-f-]{36}$/;

/**
 * One request's partner reads of order contacts, for {@link DisclosureService.discloseContact}:
 * keep one per GraphQL request (a request-scoped loader) and pass it to every call.
 */
export class DisclosuresOfRequest {
  /**
   * Per order read: the fields asked for so far, those its record names (both in the enum's
   * order, no repeats), and the record's id.
   */
  readonly entries = new Map<
    string,
    {
      order: OrderEntity;
      fields: readonly DisclosedField[];
      saved: readonly DisclosedField[];
      recordId: Promise<string | undefined>;
    }
  >();
  /** Writes the records of every order first read in the same tick with one INSERT. */
  batch: DataLoader<string, string | undefined> | undefined;
}

/** `fields` and `more` together, in the enum's order, no repeats; `fields` itself when `more` adds nothing. */
function union(fields: readonly DisclosedField[], more: readonly DisclosedField[]): readonly DisclosedField[] {
  if (more.every((f) => fields.includes(f))) return fields;
  if (fields.length === 0 && inFieldOrder(more)) return more;
  return FIELD_ORDER.filter((f) => fields.includes(f) || more.includes(f));
}

/**
 * The disclosure log: every time a partner receives an order's contact, one record (partner,
 * order, fields, purpose, time) per order per request. Written before the data is handed over,
 * so a contact is never given out unrecorded.
 */
export class DisclosureService {
  private readonly reads = new HotReads();
  /** The disclosure table's inserted columns per data source, in the INSERT's order. */
  private readonly columns = new WeakMap<DataSource, ColumnMetadata[]>();

  private insertColumns(dataSource: DataSource): ColumnMetadata[] {
    let columns = this.columns.get(dataSource);
    if (!columns) {
      columns = dataSource.getMetadata(DisclosureEntity).columns.filter((column) => column.isInsert);
      this.columns.set(dataSource, columns);
    }
    return columns;
  }

  /**
   * Records that the calling partner receives these fields of this order's contact, before it is
   * handed over: one disclosure per order per request (`request`), written for every order read
   * in the same tick with one INSERT. A later read of the same order in the same request with more
   * fields widens that record. Each write is its own statement, outside or inside `ctx`'s
   * transaction (see {@link record}).
   */
  async discloseContact(
    ctx: RequestContext,
    request: DisclosuresOfRequest,
    order: OrderEntity,
    fields: readonly DisclosedField[],
  ): Promise<void> {
    if (fields.length === 0) return;
    let entry = request.entries.get(order.id);
    if (!entry) {
      entry = { order, fields: union([], fields), saved: [], recordId: Promise.resolve(undefined) };
      request.entries.set(order.id, entry);
      request.batch ??= new DataLoader(
        async (orderIds: readonly string[]) => {
          const requests = orderIds.map((id) => {
            const read = request.entries.get(id)!;
            read.saved = read.fields;
            return { order: read.order, fields: read.saved };
          });
          const ids = await this.record(ctx, requests);
          return orderIds.map((id) => ids.get(id));
        },
        { cache: false },
      );
      entry.recordId = request.batch.load(order.id);
    } else {
      entry.fields = union(entry.fields, fields);
    }
    const recordId = await entry.recordId;
    if (recordId && entry.fields !== entry.saved && union(entry.saved, entry.fields) !== entry.saved) {
      entry.saved = entry.fields;
      await this.widen(ctx, recordId, entry.saved);
    }
  }

  /**
   * Records that the calling partner receives these orders' contacts, with one INSERT, and returns
   * each order's record id. The partner's name is copied in the same statement, so the record
   * reads the same later.
   */
  async record(ctx: RequestContext, requests: readonly DisclosureRequest[]): Promise<Map<string, string>> {
    const actor = ctx.actor;
    if (actor.kind !== "partner") throw new Error("only a partner's reads are disclosures");
    // Pages ask every order for the same fields: encoded once per list of fields.
    const encoded = new Map<readonly DisclosedField[], string>();
    const rows = requests
      .filter((r) => r.fields.length > 0)
      .map(({ order, fields }) => {
        let stored = encoded.get(fields);
        if (stored === undefined) encoded.set(fields, (stored = encodeFields(fields)));
        return { id: newId(ctx.clock.now().getTime()), order, fields: stored };
      });
    if (rows.length === 0) return new Map();
    const at = ctx.clock.now();
    // Plain SQL built once per page size (issue 18): TypeORM's insert builder scanned its
    // parameters for every row, about 5 % of a partnerOrders request.
    await this.write(ctx, async (tx) => {
      const { dataSource } = tx;
      const { driver } = dataSource;
      const metadata = dataSource.getMetadata(DisclosureEntity);
      const columns = this.insertColumns(dataSource);
      const sql = this.reads.statement(dataSource, `disclosure:insert:${rows.length}`, () => {
        const partners = driver.escape(dataSource.getMetadata(PartnerEntity).tableName);
        // The partner's name copied in the same statement, so the record reads the same later.
        const partnerName = `(SELECT ${driver.escape("name")} FROM ${partners} WHERE ${driver.escape("id")} = ?)`;
        const row = `(${columns.map((c) => (c.propertyName === "partnerName" ? partnerName : "?")).join(", ")})`;
        const names = columns.map((c) => driver.escape(c.databaseName)).join(", ");
        return `INSERT INTO ${driver.escape(metadata.tableName)} (${names}) VALUES ${rows.map(() => row).join(", ")}`;
      });
      // What every row of the statement shares, converted by the driver once (as TypeORM would).
      const shared: Record<string, unknown> = {
        partnerId: actor.partnerId,
        apiKeyId: actor.apiKeyId,
        purpose: DisclosurePurpose.ORDER_FULFILMENT,
        at,
      };
      // The partner's name is copied by the statement's subquery, which takes the partner's id.
      const sharedValues = columns.map((c) =>
        c.propertyName === "partnerName" ? actor.partnerId : driver.preparePersistentValue(shared[c.propertyName], c),
      );
      const parameters: unknown[] = [];
      for (const { id, order, fields } of rows) {
        columns.forEach((c, i) => {
          switch (c.propertyName) {
            case "id":
              return parameters.push(driver.preparePersistentValue(id, c));
            case "orderId":
              return parameters.push(driver.preparePersistentValue(order.id, c));
            case "orderNumber":
              return parameters.push(driver.preparePersistentValue(order.number, c));
            case "fields":
              return parameters.push(driver.preparePersistentValue(fields, c));
            default:
              return parameters.push(sharedValues[i]);
          }
        });
      }
      await this.reads.run(tx, sql, parameters);
    });
    return new Map(rows.map((r) => [r.order.id, r.id]));
  }

  /**
   * Widens a record of this request to more fields (the partner asked for the same order's contact
   * again, with other fields, after the record was written): still one record per order.
   */
  async widen(ctx: RequestContext, disclosureId: string, fields: Iterable<DisclosedField>): Promise<void> {
    await this.write(ctx, (tx) =>
      tx.manager.update(DisclosureEntity, { id: disclosureId }, { fields: encodeFields(fields) }),
    );
  }

  /** The disclosures of these orders, oldest first. */
  async listForOrders(ctx: RequestContext, orderIds: readonly string[]): Promise<DisclosureEntity[]> {
    if (orderIds.length === 0) return [];
    return ctx.manager.find(DisclosureEntity, { where: { orderId: In([...orderIds]) }, order: { id: "ASC" } });
  }

  /** A page of the log, newest first, optionally for one partner and/or one order. */
  async list(ctx: RequestContext, args: DisclosureSearchArgs): Promise<Connection<DisclosureEntity>> {
    const errors: FieldError[] = [];
    if (args.partnerId != null && !ID_PATTERN.test(args.partnerId))
      errors.push({ field: "partnerId", message: "is not an id" });
    if (args.orderId != null && !ID_PATTERN.test(args.orderId))
      errors.push({ field: "orderId", message: "is not an id" });
    if (errors.length > 0) throw invalidInput(errors);
    const query = ctx.manager.createQueryBuilder(DisclosureEntity, "d");
    if (args.partnerId != null) query.andWhere("d.partnerId = :partnerId", { partnerId: args.partnerId });
    if (args.orderId != null) query.andWhere("d.orderId = :orderId", { orderId: args.orderId });
    return paginate(query, args);
  }

  /**
   * On SQLite a statement outside a transaction joins whichever transaction is open on the one
   * shared connection, and would vanish with its rollback; taking a turn keeps the record.
   */
  private async write(ctx: RequestContext, statement: (tx: RequestContext) => Promise<unknown>): Promise<void> {
    if (ctx.inTransaction || isMysql(ctx.dataSource)) await statement(ctx);
    else await ctx.transaction(statement);
  }
}
