import { isDuplicateKeyError, requireUser, type RequestContext } from "@honour/platform";
import type { UserService } from "@honour/users";
import { In } from "typeorm";
import type { DataExportService } from "../export/data-export.service";
import { FieldChecks } from "../privacy.exception";
import {
  OPEN_STATUSES,
  PrivacyRequestChannel,
  PrivacyRequestEntity,
  PrivacyRequestStatus,
  PrivacyRequestType,
} from "./privacy-request.entity";
import { type PrivacyRequestStore, type PrivacyRequestView } from "./privacy-request-store.service";

/** The most requests `myPrivacyRequests` lists (newest first). */
export const MY_REQUESTS_LIMIT = 100;

/**
 * The signed-in person's own privacy requests: asking for a copy of their data, reading their
 * requests with the download links, and closing their account.
 */
export class OwnPrivacyRequestService {
  constructor(
    private readonly store: PrivacyRequestStore,
    private readonly users: UserService,
    private readonly dataExports: DataExportService,
  ) {}

  /**
   * Asks for a copy of the signed-in user's data: an ACCESS request, IN_PROGRESS at once, and the
   * export job queued in the same transaction. While one is open, asking again returns that one.
   */
  async requestDataExport(ctx: RequestContext): Promise<PrivacyRequestView> {
    const { userId } = requireUser(ctx);
    const open = () =>
      ctx.manager.findOneBy(PrivacyRequestEntity, {
        subjectUserId: userId,
        type: PrivacyRequestType.ACCESS,
        status: In([...OPEN_STATUSES]),
      });
    const existing = await open();
    if (existing) {
      // Its copy may have failed for good (the job died): asking again tries again.
      if (existing.status === PrivacyRequestStatus.IN_PROGRESS) {
        await ctx.transaction((tx) => this.dataExports.queueBuild(tx, existing.id, userId));
      }
      return this.store.view(ctx, existing, new Map());
    }
    try {
      const request = await ctx.transaction(async (tx) => {
        const created = await this.store.insert(tx, {
          type: PrivacyRequestType.ACCESS,
          status: PrivacyRequestStatus.IN_PROGRESS,
          channel: PrivacyRequestChannel.ONLINE,
          subjectUserId: userId,
          receivedAt: tx.clock.now(),
        });
        await this.dataExports.queueBuild(tx, created.id, userId);
        return created;
      });
      return this.store.view(ctx, request, new Map());
    } catch (error) {
      // Asked twice at the same moment: the other call's request is the open one.
      if (!isDuplicateKeyError(error)) throw error;
      const winner = await open();
      if (!winner) throw error;
      return this.store.view(ctx, winner, new Map());
    }
  }

  /** The signed-in user's requests, newest first, with download links on their completed exports. */
  async mine(ctx: RequestContext): Promise<PrivacyRequestView[]> {
    const { userId } = requireUser(ctx);
    const requests = await ctx.manager.find(PrivacyRequestEntity, {
      where: { subjectUserId: userId },
      order: { id: "DESC" },
      take: MY_REQUESTS_LIMIT,
    });
    const links = await this.dataExports.linksFor(
      ctx,
      userId,
      requests.filter((r) => r.type === PrivacyRequestType.ACCESS).map((r) => r.id),
    );
    return requests.map((r) => this.store.view(ctx, r, links));
  }

  /**
   * Closes the signed-in user's account after checking their password (throttled like sign-in):
   * every domain erases the person's data, sessions end, and an ERASURE request is recorded as
   * COMPLETED, all in one transaction. Must be called outside a transaction (a wrong password has
   * to stay counted).
   */
  async closeAccount(ctx: RequestContext, password: string): Promise<PrivacyRequestView> {
    const { userId } = requireUser(ctx);
    if (typeof password !== "string" || password.length === 0 || password.length > 1000) {
      const checks = new FieldChecks();
      checks.fail("password", "must be your current password");
      checks.throwIfAny();
    }
    await this.users.verifyPassword(ctx, userId, password);
    return ctx.transaction(async (tx) => {
      await this.users.close(tx, userId);
      const now = tx.clock.now();
      const request = await this.store.insert(tx, {
        type: PrivacyRequestType.ERASURE,
        status: PrivacyRequestStatus.COMPLETED,
        channel: PrivacyRequestChannel.ONLINE,
        subjectUserId: userId,
        receivedAt: now,
        completedAt: now,
      });
      return this.store.view(tx, request, new Map());
    });
  }
}
