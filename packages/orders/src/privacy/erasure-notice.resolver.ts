import { PARTNER_ROLE } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { Args, Authorized, Ctx, Query, Resolver } from "type-graphql";
import { formatOrderNumber } from "../order/order-number.service";
import type { OrdersServices } from "../orders.module";
import { ErasureNoticeObject, ErasureNoticesArgs } from "./erasure-notice.object";
import {
  ERASURE_NOTICE_PAGE_SIZE,
  ERASURE_NOTICE_POLL_OVERLAP_MINUTES,
  noticeOrderNumbers,
} from "./erasure-notice.service";

/** What a partner learns of erasures: which of its orders' contacts to erase. */
@Resolver(() => ErasureNoticeObject)
export class ErasureNoticeResolver {
  constructor(private readonly services: OrdersServices) {}

  @Authorized([PARTNER_ROLE])
  @Query(() => [ErasureNoticeObject], {
    description:
      "Partners (API key) only: the calling partner's erasure notices, oldest first (by erasedAt, then id), erased " +
      `after \`since\` (exclusive; all when omitted). At most ${ERASURE_NOTICE_PAGE_SIZE} per answer, plus any sharing ` +
      `the last one's erasedAt: while an answer holds ${ERASURE_NOTICE_PAGE_SIZE} or more, ask again with since = its ` +
      "last erasedAt. Notices are delivered at least once and need not appear in erasedAt order: erasedAt is taken " +
      "shortly before the erasure commits, by the clock of the server that ran it, so a notice can appear after one " +
      `with a later erasedAt. Start each poll with since = the newest erasedAt you have seen minus ` +
      `${ERASURE_NOTICE_POLL_OVERLAP_MINUTES} minutes, and de-duplicate by id. Users get FORBIDDEN.`,
  })
  async partnerErasureNotices(
    @Args(() => ErasureNoticesArgs) { since }: ErasureNoticesArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<ErasureNoticeObject[]> {
    const notices = await this.services.erasureNotices.listForPartner(ctx, since);
    return notices.map((n) => ({
      id: n.id,
      orderNumbers: noticeOrderNumbers(n).map(formatOrderNumber),
      erasedAt: n.erasedAt,
    }));
  }
}
