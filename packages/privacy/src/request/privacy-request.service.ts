import {
  enqueueTransactionalMail,
  type JobQueue,
  AuditAction,
  ForbiddenException,
  isDuplicateKeyError,
  paginate,
  readPageArgs,
  requireUser,
  Role,
  toConnection,
  ValidationException,
  type AuditLog,
  type Connection,
  type PageArgs,
  type RequestContext,
} from "@honour/platform";
import { ConsentMethod, type ConsentService } from "@honour/consent";
import { UserEntity, type UserService } from "@honour/users";
import { Brackets, type SelectQueryBuilder } from "typeorm";
import type { DataExportService } from "../export/data-export.service";
import { FieldChecks, PrivacyErrorCode, PrivacyException } from "../privacy.exception";
import { firstEmailIn } from "./contact-match";
import { dueDate } from "./due-date";
import {
  MAX_EXTENSION_MONTHS,
  PRIVACY_REQUEST_LIMITS,
  PrivacyRequestChannel,
  PrivacyRequestEntity,
  PrivacyRequestOrder,
  PrivacyRequestStatus,
  PrivacyRequestType,
} from "./privacy-request.entity";
import { isOpen, type PrivacyRequestStore, type PrivacyRequestView } from "./privacy-request-store.service";

/** A request staff enter after it reached them by email, letter or telephone. */
export interface RecordedRequest {
  type: PrivacyRequestType;
  channel: PrivacyRequestChannel;
  /** The account it is about, when staff found one. */
  subjectId?: string | null;
  /** How to reach the requester, as given (required without `subjectId`). */
  requesterContact?: string | null;
  /** When it reached us (default: now); not in the future. */
  receivedAt?: Date | null;
  notes?: string | null;
}

export interface PrivacyRequestQuery extends PageArgs {
  status?: PrivacyRequestStatus | null;
  /** NEWEST_FIRST when left out. */
  orderBy?: PrivacyRequestOrder | null;
}

/**
 * A DUE_FIRST page's cursor: the row's due instant and id (keyset pagination on both), versioned
 * and base64url-encoded like the platform's id cursors, and as opaque to clients.
 */
function encodeDueCursor(request: { dueAt: Date; id: string }): string {
  return Buffer.from(`d1:${request.dueAt.getTime()}:${request.id}`, "utf8").toString("base64url");
}

function decodeDueCursor(cursor: string): { dueAt: Date; id: string } {
  const match = /^d1:(\d{1,15}):([0-9A-Za-z-]{1,36})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw new ValidationException([{ field: "after", message: "is not a cursor this API returned" }]);
  return { dueAt: new Date(Number(match[1])), id: match[2]! };
}

/**
 * One page by due date, soonest first (ties by id): the rows after the cursor's (due, id), one more
 * than asked to learn whether another page follows.
 */
async function pageByDueDate(
  qb: SelectQueryBuilder<PrivacyRequestEntity>,
  args: PageArgs,
): Promise<{ rows: PrivacyRequestEntity[]; hasNextPage: boolean }> {
  const first = readPageArgs({ first: args.first }).first;
  if (args.after) {
    const after = decodeDueCursor(args.after);
    qb.andWhere(
      new Brackets((where) =>
        where
          .where("request.dueAt > :afterDue", { afterDue: after.dueAt })
          .orWhere("request.dueAt = :afterDue AND request.id > :afterId", { afterId: after.id }),
      ),
    );
  }
  const rows = await qb
    .orderBy("request.dueAt", "ASC")
    .addOrderBy("request.id", "ASC")
    .take(first + 1)
    .getMany();
  return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
}

/**
 * Privacy requests as staff handle them (SUPPORT and ADMIN): every request listed and read (each
 * read about a person audited), those entered from letters and calls, what completing each type
 * does, extensions and rejections. The person's own requests are `OwnPrivacyRequestService`'s.
 */
export class PrivacyRequestService {
  constructor(
    private readonly store: PrivacyRequestStore,
    private readonly users: UserService,
    private readonly consent: ConsentService,
    private readonly dataExports: DataExportService,
    private readonly audit: AuditLog,
    /** For the mail telling the person of an extension; without it none is sent. */
    private readonly jobs?: JobQueue,
  ) {}

  /**
   * A page of every request, newest first or (`orderBy: DUE_FIRST`) soonest due first, optionally
   * of one status. For staff: each request read about a person writes a PERSON_VIEWED audit entry
   * in the same transaction.
   */
  async list(ctx: RequestContext, query: PrivacyRequestQuery): Promise<Connection<PrivacyRequestView>> {
    const checks = new FieldChecks();
    if (query.status && !Object.values(PrivacyRequestStatus).includes(query.status)) {
      checks.fail("status", "is not a request status");
    }
    if (query.orderBy && !Object.values(PrivacyRequestOrder).includes(query.orderBy)) {
      checks.fail("orderBy", "is not an order of the list");
    }
    checks.throwIfAny();
    const byDueDate = query.orderBy === PrivacyRequestOrder.DUE_FIRST;
    return ctx.transaction(async (tx) => {
      const qb = tx.manager.getRepository(PrivacyRequestEntity).createQueryBuilder("request");
      if (query.status) qb.andWhere("request.status = :status", { status: query.status });
      const page = byDueDate
        ? await pageByDueDate(qb, query).then(({ rows, hasNextPage }) => ({
            nodes: rows,
            pageInfo: { hasNextPage },
          }))
        : await paginate(qb, query, "DESC");
      await this.audit.recordMany(
        tx,
        page.nodes
          .filter((request) => request.subjectUserId || request.requesterContact)
          .map((request) => ({
            action: AuditAction.PERSON_VIEWED,
            subjectId: request.subjectUserId,
            detail: `privacy request ${request.id}`,
          })),
      );
      const own = page.nodes.filter((r) => r.subjectUserId === tx.userId && r.type === PrivacyRequestType.ACCESS);
      const links = tx.userId
        ? await this.dataExports.linksFor(
            tx,
            tx.userId,
            own.map((r) => r.id),
          )
        : new Map();
      const views = page.nodes.map((r) => this.store.view(tx, r, links));
      if (!byDueDate) return toConnection(views, page.pageInfo.hasNextPage);
      const edges = page.nodes.map((r, i) => ({ cursor: encodeDueCursor(r), node: views[i]! }));
      return {
        edges,
        nodes: views,
        pageInfo: {
          hasNextPage: page.pageInfo.hasNextPage,
          hasPreviousPage: false,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    });
  }

  /** One request, for staff (audited like {@link list}). `NOT_FOUND` for an unknown id. */
  async get(ctx: RequestContext, id: string): Promise<PrivacyRequestView> {
    return ctx.transaction(async (tx) => {
      const request = await this.store.find(tx, id);
      if (request.subjectUserId || request.requesterContact) {
        await this.audit.record(tx, {
          action: AuditAction.PERSON_VIEWED,
          subjectId: request.subjectUserId,
          detail: `privacy request ${request.id}`,
        });
      }
      return this.store.view(tx, request, new Map());
    });
  }

  /**
   * Enters a request that reached staff by email, letter or telephone (ONLINE is the person's
   * own). It names an account (`subjectId`) or a way to reach the requester, or both. An account
   * has one open ACCESS request at a time (`REQUEST_ALREADY_OPEN`). Nothing happens until staff
   * complete it; the due date counts from `receivedAt`.
   */
  async record(ctx: RequestContext, input: RecordedRequest): Promise<PrivacyRequestView> {
    const staff = requireUser(ctx);
    const checks = new FieldChecks();
    if (!Object.values(PrivacyRequestType).includes(input.type)) checks.fail("input.type", "is not a request type");
    if (!Object.values(PrivacyRequestChannel).includes(input.channel)) {
      checks.fail("input.channel", "is not a channel");
    } else if (input.channel === PrivacyRequestChannel.ONLINE) {
      checks.fail("input.channel", "must be EMAIL, LETTER or TELEPHONE: online requests are the person's own");
    }
    const subjectId = input.subjectId?.trim() || null;
    const contact = checks.text(
      "input.requesterContact",
      input.requesterContact,
      PRIVACY_REQUEST_LIMITS.requesterContact,
    );
    const notes = checks.text("input.notes", input.notes, PRIVACY_REQUEST_LIMITS.notes);
    if (!subjectId && !contact) checks.fail("input.requesterContact", "is needed when no account is named");
    const now = ctx.clock.now();
    const receivedAt = input.receivedAt ?? now;
    if (Number.isNaN(receivedAt.getTime())) checks.fail("input.receivedAt", "is not a date");
    else if (receivedAt.getTime() > now.getTime()) checks.fail("input.receivedAt", "must not be in the future");
    if (subjectId && !(await ctx.manager.existsBy(UserEntity, { id: subjectId }))) {
      checks.fail("input.subjectId", "is not an account");
    }
    checks.throwIfAny();

    try {
      const request = await ctx.transaction(async (tx) => {
        const created = await this.store.insert(tx, {
          type: input.type,
          status: PrivacyRequestStatus.RECEIVED,
          channel: input.channel,
          subjectUserId: subjectId,
          requesterContact: contact,
          notes,
          recordedById: staff.userId,
          receivedAt,
        });
        return created;
      });
      return this.store.view(ctx, request, new Map());
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      throw new PrivacyException(
        PrivacyErrorCode.REQUEST_ALREADY_OPEN,
        "This account already has an open access request; complete or reject it first.",
        [{ field: "input.subjectId", message: "has an open access request" }],
      );
    }
  }

  /**
   * Acts on a request and completes it, in one transaction: ACCESS queues the export job (the
   * request stays IN_PROGRESS until the worker has built the copy); ERASURE closes the account,
   * erasing its data everywhere; OBJECTION withdraws every consent; RECTIFICATION only records that
   * staff made the correction (through `updateUser`). ERASURE and OBJECTION need the
   * account (`SUBJECT_REQUIRED`); closing a staff account needs an ADMIN.
   */
  async complete(ctx: RequestContext, id: string): Promise<PrivacyRequestView> {
    return ctx.transaction(async (tx) => {
      const request = await this.store.find(tx, id);
      if (!isOpen(request)) throw this.store.closed();
      const now = tx.clock.now();
      const subject = request.subjectUserId
        ? await tx.manager.findOneBy(UserEntity, { id: request.subjectUserId })
        : null;
      const needSubject = () => {
        if (!subject) {
          throw new PrivacyException(
            PrivacyErrorCode.SUBJECT_REQUIRED,
            "This request names no account (and, for a copy of data, no email address to send it to); answer it " +
              "outside the system and reject it with the reason.",
          );
        }
        return subject;
      };
      let status = PrivacyRequestStatus.COMPLETED;
      switch (request.type) {
        case PrivacyRequestType.ACCESS: {
          // A guest (no account): what we hold about the address they gave, mailed to it.
          const guestEmail = subject ? null : firstEmailIn(request.requesterContact);
          if (guestEmail) {
            await this.dataExports.answerGuest(tx, request.id, guestEmail);
            break;
          }
          const account = needSubject();
          if (account.closedAt) {
            throw new PrivacyException(
              PrivacyErrorCode.SUBJECT_ACCOUNT_CLOSED,
              "The account is closed: there is nothing to copy.",
            );
          }
          status = PrivacyRequestStatus.IN_PROGRESS;
          // Queued unless a build is already queued or running (one that died is tried again).
          await this.dataExports.queueBuild(tx, request.id, account.id);
          break;
        }
        case PrivacyRequestType.ERASURE: {
          const account = needSubject();
          const actor = requireUser(tx);
          if (account.role !== Role.CUSTOMER && actor.role !== Role.ADMIN) {
            throw new ForbiddenException("Only an administrator can close a staff account.");
          }
          await this.users.close(tx, account.id);
          break;
        }
        case PrivacyRequestType.OBJECTION: {
          const account = needSubject();
          if (!account.closedAt) await this.consent.withdrawAll(tx, account.id, ConsentMethod.PRIVACY_REQUEST);
          break;
        }
        case PrivacyRequestType.RECTIFICATION:
          break;
      }
      const done = status === PrivacyRequestStatus.COMPLETED;
      await this.store.update(tx, request, {
        status,
        completedAt: done ? now : null,
        openKey: done ? null : request.openKey,
      });
      await this.audit.record(tx, {
        action: AuditAction.PRIVACY_REQUEST_UPDATED,
        subjectId: request.subjectUserId,
        detail: `${status} ${request.type} ${request.id}`,
      });
      return this.store.view(tx, await this.store.find(tx, id), new Map());
    });
  }

  /**
   * Extends an open request by `months` (1 or 2) with the reason, recorded with the request. The
   * due date moves to receipt + 1 + every extension, at most three calendar months after receipt
   * in all (`EXTENSION_LIMIT_EXCEEDED` beyond).
   */
  async extend(ctx: RequestContext, id: string, reason: string, months = 1): Promise<PrivacyRequestView> {
    const checks = new FieldChecks();
    const text = checks.text("reason", reason, PRIVACY_REQUEST_LIMITS.reason, true);
    if (!Number.isInteger(months) || months < 1 || months > MAX_EXTENSION_MONTHS) {
      checks.fail("months", `must be a whole number from 1 to ${MAX_EXTENSION_MONTHS}`);
    }
    checks.throwIfAny();
    return ctx.transaction(async (tx) => {
      const request = await this.store.find(tx, id);
      if (!isOpen(request)) throw this.store.closed();
      const total = request.extendedByMonths + months;
      if (total > MAX_EXTENSION_MONTHS) {
        throw new PrivacyException(
          PrivacyErrorCode.EXTENSION_LIMIT_EXCEEDED,
          `A request can be extended by at most ${MAX_EXTENSION_MONTHS} months in all (three months after receipt); ` +
            `this one has ${request.extendedByMonths} already.`,
          [{ field: "months", message: `must be at most ${MAX_EXTENSION_MONTHS - request.extendedByMonths}` }],
        );
      }
      await this.store.update(tx, request, {
        extendedByMonths: total,
        dueAt: dueDate(request.receivedAt, 1 + total, this.store.timeZone),
        extensionReason: [request.extensionReason, text].filter(Boolean).join("\n"),
      });
      await this.audit.record(tx, {
        action: AuditAction.PRIVACY_REQUEST_UPDATED,
        subjectId: request.subjectUserId,
        detail: `EXTENDED ${total} ${request.id}`,
      });
      await this.mailExtension(tx, await this.store.find(tx, id), text ?? "");
      return this.store.view(tx, await this.store.find(tx, id), new Map());
    });
  }

  /**
   * Tells the person their request was extended, with the new due date and the reason: to the
   * account's address, or for a guest to the contact they gave when it is an email address.
   */
  private async mailExtension(ctx: RequestContext, request: PrivacyRequestEntity, reason: string): Promise<void> {
    if (!this.jobs) return;
    const account = request.subjectUserId ? await this.users.findById(ctx, request.subjectUserId) : null;
    const address = account && !account.closedAt ? account.email : (request.requesterContact ?? "");
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) return;
    const due = request.dueAt.toISOString().slice(0, 10);
    await enqueueTransactionalMail(
      ctx,
      this.jobs,
      {
        kind: "PRIVACY_REQUEST_EXTENDED",
        to: { name: account?.name ?? "", address },
        subject: "We need more time for your privacy request",
        text:
          `Hello${account ? ` ${account.name}` : ""},\n\nWe need more time to answer your privacy request of ` +
          `${request.receivedAt.toISOString().slice(0, 10)}. We will answer by ${due}.\n\nWhy: ${reason}\n`,
        ...(account ? { accountId: account.id } : {}),
      },
      `privacy-extended:${request.id}:${request.extendedByMonths}`,
    );
  }

  /** Rejects an open request with the reason told to the requester. */
  async reject(ctx: RequestContext, id: string, reason: string): Promise<PrivacyRequestView> {
    const checks = new FieldChecks();
    const text = checks.text("reason", reason, PRIVACY_REQUEST_LIMITS.reason, true);
    checks.throwIfAny();
    return ctx.transaction(async (tx) => {
      const request = await this.store.find(tx, id);
      if (!isOpen(request)) throw this.store.closed();
      await this.store.update(tx, request, {
        status: PrivacyRequestStatus.REJECTED,
        rejectionReason: text,
        completedAt: tx.clock.now(),
        openKey: null,
      });
      await this.audit.record(tx, {
        action: AuditAction.PRIVACY_REQUEST_UPDATED,
        subjectId: request.subjectUserId,
        detail: `REJECTED ${request.type} ${request.id}`,
      });
      return this.store.view(tx, await this.store.find(tx, id), new Map());
    });
  }
}
