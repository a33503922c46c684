import {
  AuditAction,
  DAY_MS,
  lockRows,
  Role,
  type AuditLog,
  type DomainEvents,
  type JobQueue,
  type PersonalDataRegistry,
  type PersonalDataSubject,
  type RequestContext,
} from "@honour/platform";
import { In, LessThanOrEqual } from "typeorm";
import { enqueueAccountMail } from "../email-verification/account-mail";
import { UserEntity } from "../user/user.entity";
import { findUser, subjectOf } from "../user/user-records";
import { UserNotFoundException, UsersErrorCode, UsersException } from "../users.exception";

/** Closed accounts deleted per statement by {@link AccountClosureService.deleteClosedAccounts}. */
const CLOSED_ACCOUNTS_BATCH = 500;

/**
 * The end of an account: who the person is for every domain, closing the account (erasure in
 * every domain, in one transaction) and, years later, deleting what is left of it.
 */
export class AccountClosureService {
  constructor(
    private readonly events: DomainEvents,
    private readonly audit: AuditLog,
    private readonly personalData: PersonalDataRegistry,
    /** `CLOSED_ACCOUNT_RETENTION_DAYS`: how long a closed account's anonymised row is kept. */
    private readonly closedAccountsDays: number,
    private readonly jobs: JobQueue,
  ) {}

  /**
   * Who account `userId` is, as data export and closure name the person to every domain: the id,
   * and the email and phone number as the profile holds them now. `NOT_FOUND` for an unknown id.
   */
  async personalDataSubject(ctx: RequestContext, userId: string): Promise<PersonalDataSubject> {
    const user = await findUser(ctx, userId);
    if (!user) throw new UserNotFoundException();
    return subjectOf(user);
  }

  /**
   * Closes account `userId` and erases the person's data in every domain, all in one transaction
   * (joined when the caller has one open): the account is read (with a row lock on MySQL/MariaDB,
   * so concurrent closures run once), the subject is taken from it before anything is erased,
   * every registered {@link PersonalDataContributor} erases (this domain's last: sessions end,
   * the profile is anonymised and `closedAt` set), then `users.accountClosed` is published and
   * the audit log records ACCOUNT_CLOSED. A failure anywhere rolls all of it back. The confirmation
   * mail to the address the account had is queued after the erasure (which deletes every mail
   * naming the address), so it is the one message about the account left to send.
   *
   * Closing a closed account changes nothing and returns it. `NOT_FOUND` for an unknown id;
   * `CONFLICT` for the last open ADMIN account, which would leave nobody able to run the site.
   * Returns the anonymised account. Check the password first with `UserService.verifyPassword`.
   */
  async close(ctx: RequestContext, userId: string): Promise<UserEntity> {
    return ctx.transaction(async (tx) => {
      // A locking read first: on MySQL/MariaDB a transaction's snapshot is taken by its first
      // plain read, so everything read after the lock includes what committed while it waited
      // (an order being placed, a copy of the data being built, a consent just given).
      const query = tx.manager.createQueryBuilder(UserEntity, "u").where("u.id = :userId", { userId });
      const user = await lockRows(query, "update").getOne();
      if (!user) throw new UserNotFoundException();
      if (user.closedAt) return user;
      if (user.role === Role.ADMIN) {
        // The open ADMIN rows, locked in id order, so two administrators closing at once cannot
        // both leave (one waits for the other, or the database picks one to fail).
        const admins = tx.manager
          .createQueryBuilder(UserEntity, "u")
          .select("u.id")
          .where("u.role = :role AND u.closedAt IS NULL", { role: Role.ADMIN })
          .orderBy("u.id", "ASC");
        const others = (await lockRows(admins, "update").getMany()).filter((a) => a.id !== userId);
        if (others.length === 0) {
          throw new UsersException(
            UsersErrorCode.LAST_ADMIN,
            "This is the last administrator account: give another account the ADMIN role before closing it.",
          );
        }
      }
      await this.personalData.eraseAll(tx, subjectOf(user));
      // Without accountId: there is no account left whose export could hold it.
      await enqueueAccountMail(tx, this.jobs, "ACCOUNT_CLOSED", { name: user.name, address: user.email }, userId);
      await this.events.publish(tx, "users.accountClosed", { userId });
      await this.audit.record(tx, { action: AuditAction.ACCOUNT_CLOSED, subjectId: userId });
      return tx.manager.findOneByOrFail(UserEntity, { id: userId });
    });
  }

  /**
   * Deletes what is left of accounts closed more than `CLOSED_ACCOUNT_RETENTION_DAYS` ago (their
   * anonymised rows), in batches. Rows of other domains that reference an account go with it or
   * lose the reference, as their foreign keys say. Returns how many accounts were deleted.
   */
  async deleteClosedAccounts(ctx: RequestContext): Promise<number> {
    const cutoff = new Date(ctx.clock.now().getTime() - this.closedAccountsDays * DAY_MS);
    let total = 0;
    for (;;) {
      const batch = await ctx.manager.find(UserEntity, {
        select: { id: true },
        where: { closedAt: LessThanOrEqual(cutoff) },
        order: { closedAt: "ASC", id: "ASC" },
        take: CLOSED_ACCOUNTS_BATCH,
      });
      if (batch.length === 0) return total;
      await ctx.manager.delete(UserEntity, { id: In(batch.map((u) => u.id)) });
      total += batch.length;
      if (batch.length < CLOSED_ACCOUNTS_BATCH) return total;
    }
  }
}
