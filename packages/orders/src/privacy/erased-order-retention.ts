import type { RequestContext } from "@honour/platform";
import { In, LessThan } from "typeorm";
import { DisclosureEntity } from "../disclosure/disclosure.entity";
import { LicenceEntity } from "../licence/licence.entity";
import { OrderLineEntity } from "../order/order-line.entity";
import { OrderEntity } from "../order/order.entity";
import type { ErasureNoticeService } from "./erasure-notice.service";

/** Rows deleted per statement. */
const BATCH = 500;

/**
 * The end of a closed account's orders: an order whose contact was erased is kept as an
 * accounting record for `CLOSED_ACCOUNT_RETENTION_DAYS` after the erasure, then deleted with its
 * lines, licences and disclosure records. Erasure notices older than that go too (the partners
 * have long had them).
 */
export class ErasedOrderRetention {
  constructor(private readonly notices: ErasureNoticeService) {}

  /** Deletes what was erased before `before`; returns how many orders and notices. */
  async purge(ctx: RequestContext, before: Date): Promise<{ orders: number; notices: number }> {
    let orders = 0;
    for (;;) {
      const due = await ctx.manager
        .createQueryBuilder(OrderEntity, "o")
        .select("o.id", "id")
        .where("o.contactErasedAt < :before", { before })
        .orderBy("o.id", "ASC")
        .limit(BATCH)
        .getRawMany<{ id: string }>();
      if (due.length === 0) break;
      const ids = due.map((r) => r.id);
      await ctx.manager.delete(LicenceEntity, { orderId: In(ids) });
      await ctx.manager.delete(DisclosureEntity, { orderId: In(ids) });
      await ctx.manager.delete(OrderLineEntity, { orderId: In(ids) });
      const result = await ctx.manager.delete(OrderEntity, { id: In(ids), contactErasedAt: LessThan(before) });
      orders += result.affected ?? ids.length;
    }
    const notices = await this.notices.purgeOlderThan(ctx, before);
    return { orders, notices };
  }
}
