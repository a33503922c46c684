import { DAY_MS, type RequestContext } from "@honour/platform";
import { UserEntity } from "@honour/users";
import { In, IsNull, LessThanOrEqual } from "typeorm";
import { PrivacyRequestEntity, PrivacyRequestStatus } from "./privacy-request.entity";

const PURGE_BATCH = 500;

/**
 * How long privacy requests are kept: as the record that a request was answered, until
 * `CLOSED_ACCOUNT_RETENTION_DAYS` after the account closed (the worker's daily
 * `privacy.purgeClosedAccountRequests`). Their free text goes earlier, when the account is erased.
 */
export class PrivacyRequestRetention {
  constructor(private readonly closedAccountsDays: number) {}

  /**
   * Retention: deletes the requests of accounts closed more than `CLOSED_ACCOUNT_RETENTION_DAYS`
   * ago (or already deleted), and answered requests that name no account after the same period.
   * Returns how many.
   */
  async purgeClosedAccounts(ctx: RequestContext): Promise<number> {
    const cutoff = new Date(ctx.clock.now().getTime() - this.closedAccountsDays * DAY_MS);
    let total = 0;
    for (;;) {
      const rows = await ctx.manager
        .getRepository(PrivacyRequestEntity)
        .createQueryBuilder("request")
        .select("request.id", "id")
        .leftJoin(UserEntity, "account", "account.id = request.subjectUserId")
        .where("request.subjectUserId IS NOT NULL AND (account.id IS NULL OR account.closedAt <= :cutoff)", { cutoff })
        .orderBy("request.id", "ASC")
        .limit(PURGE_BATCH)
        .getRawMany<{ id: string }>();
      if (rows.length === 0) break;
      await ctx.manager.delete(PrivacyRequestEntity, { id: In(rows.map((r) => r.id)) });
      total += rows.length;
      if (rows.length < PURGE_BATCH) break;
    }
    const anonymous = await ctx.manager.delete(PrivacyRequestEntity, {
      subjectUserId: IsNull(),
      status: In([PrivacyRequestStatus.COMPLETED, PrivacyRequestStatus.REJECTED]),
      completedAt: LessThanOrEqual(cutoff),
    });
    return total + (anonymous.affected ?? 0);
  }
}
