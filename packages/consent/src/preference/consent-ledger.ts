import { paginate, type Connection, type PageArgs, type RequestContext } from "@honour/platform";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import { ConsentEventEntity } from "./consent-event.entity";

/**
 * The only code that touches the consent ledger's table. It can append and read; it has no way to
 * update or delete a row, and nothing else in the package writes `consent_event`.
 */
export class ConsentLedger {
  /** Appends entries in the caller's transaction, in one statement. */
  async append(ctx: RequestContext, entries: readonly ConsentEventEntity[]): Promise<void> {
    if (entries.length === 0) return;
    await ctx.manager
      .createQueryBuilder()
      .insert()
      .into(ConsentEventEntity)
      .values([...entries] as QueryDeepPartialEntity<ConsentEventEntity>[])
      .updateEntity(false)
      .execute();
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
