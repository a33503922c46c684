import type { RequestContext } from "@honour/platform";
import { In, LessThan } from "typeorm";
import { OrderEntity } from "../order/order.entity";
import type { ErasureNoticeService } from "./erasure-notice.service";

/** Orders deleted per transaction. */
export const ERASED_ORDER_PURGE_BATCH = 500;

/**
 * The end of a closed account's orders: an order whose contact was erased is kept as an
 * accounting record for `CLOSED_ACCOUNT_RETENTION_DAYS` after the erasure, then deleted with its
 * lines, licences and disclosure records. Erasure notices older than that go too (the partners
 * have long had them).
 *
 * Each batch is one transaction of its own, whatever `ctx` is (the job runner's is outside any
 * transaction): an order and everything hanging off it go together or not at all, so a crash
 * never leaves an order whose lines no longer add up to its total, and on SQLite the statements
 * cannot slip into another request's open transaction. The lines, licences and disclosures go by
 * their foreign keys (`ON DELETE CASCADE` to `customer_order`, in the entities and the
 * migration; SQLite runs with `foreign_keys = ON`), in the same statement as the order.
 */
export class ErasedOrderRetention {
  constructor(
    private readonly notices: ErasureNoticeService,
    private readonly batchSize = ERASED_ORDER_PURGE_BATCH,
  ) {}

  /** Deletes what was erased before `before`; returns how many orders and notices. */
  async purge(ctx: RequestContext, before: Date): Promise<{ orders: number; notices: number }> {
    let orders = 0;
    for (;;) {
      const batch = await ctx.transaction((tx) => this.purgeBatch(tx, before));
      if (batch === null) break;
      orders += batch;
    }
    const notices = await ctx.transaction((tx) => this.notices.purgeOlderThan(tx, before));
    return { orders, notices };
  }

  /** Deletes up to one batch of due orders (their dependants by cascade); null when none was due. */
  private async purgeBatch(tx: RequestContext, before: Date): Promise<number | null> {
    const due = await tx.manager
      .createQueryBuilder(OrderEntity, "o")
      .select("o.id", "id")
      .where("o.contactErasedAt < :before", { before })
      .orderBy("o.id", "ASC")
      .limit(this.batchSize)
      .getRawMany<{ id: string }>();
    if (due.length === 0) return null;
    const ids = due.map((r) => r.id);
    const result = await tx.manager.delete(OrderEntity, { id: In(ids), contactErasedAt: LessThan(before) });
    return result.affected ?? ids.length;
  }
}
