import { ForbiddenException, newId, type RequestContext } from "@honour/platform";
import { invalidInput } from "../field-checks";
import { WebhookEventType } from "../webhook/webhook-endpoint.entity";
import type { WebhookService } from "../webhook/webhook.service";
import { ErasureNoticeEntity } from "./erasure-notice.entity";
import { formatOrderNumber } from "../order/order-number.service";

/**
 * How many notices one `partnerErasureNotices` answer holds at most: the page ends there, except
 * that notices sharing the last one's `erasedAt` all come with it, so that asking again with
 * `since` = the last `erasedAt` never skips one.
 */
export const ERASURE_NOTICE_PAGE_SIZE = 100;

/**
 * How far before the newest `erasedAt` it has seen a partner should start each poll, in minutes.
 * A notice's `erasedAt` is taken inside the closing transaction, shortly before it commits, and by
 * the clock of the server that ran it: one can become visible after another with a later
 * `erasedAt` (concurrent closures, lock waits, clocks that differ between servers). Polling from
 * this much earlier, and de-duplicating by id, catches it; notices are delivered at least once.
 */
export const ERASURE_NOTICE_POLL_OVERLAP_MINUTES = 5;

/** The order numbers a notice names, ascending. */
export function noticeOrderNumbers(notice: Pick<ErasureNoticeEntity, "orderNumbers">): number[] {
  return notice.orderNumbers === "" ? [] : notice.orderNumbers.split(",").map(Number);
}

/**
 * Erasure notices to partners: when a buyer's contact is erased, each partner that received it
 * (through a disclosure) or was assigned the order learns which orders, so it can erase its copies.
 */
export class ErasureNoticeService {
  /** `webhooks`: each notice is also an `erasure.requested` webhook, queued in the erasure's transaction. */
  constructor(private readonly webhooks?: Pick<WebhookService, "publish">) {}

  /**
   * Writes one notice per partner, naming its affected orders, in `ctx`'s transaction (the
   * erasure's). Returns the notices written.
   */
  async notify(
    ctx: RequestContext,
    orderNumbersByPartner: ReadonlyMap<string, Iterable<number>>,
    erasedAt: Date,
  ): Promise<ErasureNoticeEntity[]> {
    const notices = [...orderNumbersByPartner]
      .map(([partnerId, numbers]) => ({ partnerId, numbers: [...new Set(numbers)].sort((a, b) => a - b) }))
      .filter(({ numbers }) => numbers.length > 0)
      .sort((a, b) => (a.partnerId < b.partnerId ? -1 : a.partnerId > b.partnerId ? 1 : 0))
      .map(({ partnerId, numbers }) =>
        Object.assign(new ErasureNoticeEntity(), {
          id: newId(erasedAt.getTime()),
          partnerId,
          orderNumbers: numbers.join(","),
          erasedAt,
        }),
      );
    if (notices.length > 0) {
      await ctx.manager
        .createQueryBuilder()
        .insert()
        .into(ErasureNoticeEntity)
        .values(notices)
        .updateEntity(false)
        .execute();
      for (const notice of notices) {
        await this.webhooks?.publish(ctx, notice.partnerId, WebhookEventType.ERASURE_REQUESTED, {
          noticeId: notice.id,
          orderNumbers: noticeOrderNumbers(notice).map(formatOrderNumber),
          erasedAt: notice.erasedAt.toISOString(),
        });
      }
    }
    return notices;
  }

  /**
   * The calling partner's notices erased after `since` (exclusive; all when null), oldest first:
   * at most {@link ERASURE_NOTICE_PAGE_SIZE}, plus any that share the last one's time. A partner
   * pages by asking again with the last notice's `erasedAt`, and starts each poll
   * {@link ERASURE_NOTICE_POLL_OVERLAP_MINUTES} before the newest `erasedAt` it has seen (a notice
   * can commit after a later one is visible), de-duplicating by id. Anyone but a partner:
   * `FORBIDDEN`.
   */
  async listForPartner(ctx: RequestContext, since?: Date | null): Promise<ErasureNoticeEntity[]> {
    const actor = ctx.actor;
    if (actor.kind !== "partner") throw new ForbiddenException("Erasure notices are for partners.");
    if (since != null && !(since instanceof Date && Number.isFinite(since.getTime()))) {
      throw invalidInput([{ field: "since", message: "is not a date and time" }]);
    }
    const query = ctx.manager
      .createQueryBuilder(ErasureNoticeEntity, "n")
      .where("n.partnerId = :partnerId", { partnerId: actor.partnerId });
    if (since != null) query.andWhere("n.erasedAt > :since", { since });
    const rows = await query
      .orderBy("n.erasedAt", "ASC")
      .addOrderBy("n.id", "ASC")
      .limit(ERASURE_NOTICE_PAGE_SIZE + 1)
      .getMany();
    if (rows.length <= ERASURE_NOTICE_PAGE_SIZE) return rows;
    const page = rows.slice(0, ERASURE_NOTICE_PAGE_SIZE);
    const last = page[page.length - 1]!;
    if (rows[ERASURE_NOTICE_PAGE_SIZE]!.erasedAt.getTime() !== last.erasedAt.getTime()) return page;
    // The next notice shares the last one's time: bring every one of that time, or `since` would skip them.
    const sameTime = await ctx.manager
      .createQueryBuilder(ErasureNoticeEntity, "n")
      .where("n.partnerId = :partnerId AND n.erasedAt = :erasedAt AND n.id > :id", {
        partnerId: actor.partnerId,
        erasedAt: last.erasedAt,
        id: last.id,
      })
      .orderBy("n.id", "ASC")
      .getMany();
    return [...page, ...sameTime];
  }

  /** Deletes notices erased before `before` (retention); returns how many. */
  async purgeOlderThan(ctx: RequestContext, before: Date): Promise<number> {
    const result = await ctx.manager
      .createQueryBuilder()
      .delete()
      .from(ErasureNoticeEntity)
      .where("erasedAt < :before", { before })
      .execute();
    return result.affected ?? 0;
  }
}
