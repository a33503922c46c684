import {
  AuditAction,
  ForbiddenException,
  newId,
  NotFoundException,
  paginate,
  Role,
  toConnection,
  UnauthenticatedException,
  type Actor,
  type AuditLog,
  type Connection,
  JobEntity,
  JobStatus,
  type JobQueue,
  type PageArgs,
  type RequestContext,
} from "@honour/platform";
import { ConsentMethod, type ConsentService } from "@honour/consent";
import { UserEntity, type UserService } from "@honour/users";
import { In, IsNull, LessThanOrEqual } from "typeorm";
import type { DataExportService } from "../export/data-export.service";
import { FieldChecks, PrivacyErrorCode, PrivacyException } from "../privacy.exception";
import { daysLeft, dueDate } from "./due-date";
import { contactNames } from "./contact-match";
import {
  MAX_EXTENSION_MONTHS,
  OPEN_STATUSES,
  openAccessKey,
  PRIVACY_REQUEST_LIMITS,
  PrivacyRequestChannel,
  PrivacyRequestEntity,
  PrivacyRequestStatus,
  PrivacyRequestType,
} from "./privacy-request.entity";

const DAY_MS = 24 * 60 * 60 * 1000;
const PURGE_BATCH = 500;
/** The most requests `myPrivacyRequests` lists (newest first). */
export const MY_REQUESTS_LIMIT = 100;

export const PRIVACY_JOBS = {
  buildDataExport: "privacy.buildDataExport",
  purgeExpiredExports: "privacy.purgeExpiredExports",
  purgeClosedAccountRequests: "privacy.purgeClosedAccountRequests",
} as const;

/** A request as the API shows it: the row, the days left and, for its subject, the download link. */
export interface PrivacyRequestView {
  id: string;
  type: PrivacyRequestType;
  status: PrivacyRequestStatus;
  channel: PrivacyRequestChannel;
  subjectId: string | null;
  requesterContact: string | null;
  notes: string | null;
  receivedAt: Date;
  dueAt: Date;
  /** Calendar days to the due date on the site's calendar (negative when overdue); null once answered. */
  daysLeft: number | null;
  extendedByMonths: number;
  extensionReason: string | null;
  completedAt: Date | null;
  rejectionReason: string | null;
  /** Only on a completed, unexpired export, and only for its subject. */
  downloadUrl: string | null;
}

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
}

function requireUser(ctx: RequestContext): Extract<Actor, { kind: "user" }> {
  if (ctx.actor.kind !== "user") throw new UnauthenticatedException();
  return ctx.actor;
}

function isDuplicateKeyError(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code ?? "";
  return code === "ER_DUP_ENTRY" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

function isOpen(request: PrivacyRequestEntity): boolean {
  return OPEN_STATUSES.includes(request.status);
}

/**
 * Privacy requests (access, rectification, erasure, objection): the customer's own (a data export,
 * closing the account), those staff enter from letters and calls, their due dates and extensions,
 * and what completing each type does.
 */
/** Requests read at a time when looking for a person's contact among them. */
const CONTACT_SCAN_PAGE = 500;

export class PrivacyRequestService {
  constructor(
    private readonly users: UserService,
    private readonly consent: ConsentService,
    private readonly dataExports: DataExportService,
    private readonly jobs: JobQueue,
    private readonly audit: AuditLog,
    private readonly settings: { timeZone: string; closedAccountsDays: number },
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
        await ctx.transaction((tx) => this.ensureExportJob(tx, existing.id, userId));
      }
      return this.view(ctx, existing, new Map());
    }
    try {
      const request = await ctx.transaction(async (tx) => {
        const created = await this.insert(tx, {
          type: PrivacyRequestType.ACCESS,
          status: PrivacyRequestStatus.IN_PROGRESS,
          channel: PrivacyRequestChannel.ONLINE,
          subjectUserId: userId,
          receivedAt: tx.clock.now(),
        });
        await this.ensureExportJob(tx, created.id, userId);
        return created;
      });
      return this.view(ctx, request, new Map());
    } catch (error) {
      // Asked twice at the same moment: the other call's request is the open one.
      if (!isDuplicateKeyError(error)) throw error;
      const winner = await open();
      if (!winner) throw error;
      return this.view(ctx, winner, new Map());
    }
  }

  /**
   * Queues the job that builds the copy for ACCESS request `requestId`, unless one is queued or
   * running. A build that failed on every attempt (DEAD) leaves the request IN_PROGRESS; this
   * queues a new attempt, under a new unique key.
   */
  private async ensureExportJob(ctx: RequestContext, requestId: string, userId: string): Promise<void> {
    const prefix = `${PRIVACY_JOBS.buildDataExport}:${requestId}`;
    const earlier = await ctx.manager
      .getRepository(JobEntity)
      .createQueryBuilder("job")
      .select(["job.status", "job.uniqueKey"])
      .where("job.uniqueKey = :prefix OR job.uniqueKey LIKE :like", { prefix, like: `${prefix}:%` })
      .getMany();
    if (earlier.some((job) => job.status === JobStatus.PENDING || job.status === JobStatus.RUNNING)) return;
    await this.jobs.enqueue(
      ctx,
      PRIVACY_JOBS.buildDataExport,
      { requestId, userId },
      // The first attempt keeps the plain key; each later one gets its own.
      { uniqueKey: earlier.length === 0 ? prefix : `${prefix}:${newId(ctx.clock.now().getTime())}`, maxAttempts: 5 },
    );
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
    return requests.map((r) => this.view(ctx, r, links));
  }

  /**
   * A page of every request, newest first, optionally of one status. For staff: each request read
   * about a person writes a PERSON_VIEWED audit entry in the same transaction.
   */
  async list(ctx: RequestContext, query: PrivacyRequestQuery): Promise<Connection<PrivacyRequestView>> {
    if (query.status && !Object.values(PrivacyRequestStatus).includes(query.status)) {
      const checks = new FieldChecks();
      checks.fail("status", "is not a request status");
      checks.throwIfAny();
    }
    return ctx.transaction(async (tx) => {
      const qb = tx.manager.getRepository(PrivacyRequestEntity).createQueryBuilder("request");
      if (query.status) qb.andWhere("request.status = :status", { status: query.status });
      const page = await paginate(qb, query, "DESC");
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
      const views = page.nodes.map((r) => this.view(tx, r, links));
      return toConnection(views, page.pageInfo.hasNextPage);
    });
  }

  /** One request, for staff (audited like {@link list}). `NOT_FOUND` for an unknown id. */
  async get(ctx: RequestContext, id: string): Promise<PrivacyRequestView> {
    return ctx.transaction(async (tx) => {
      const request = await this.find(tx, id);
      if (request.subjectUserId || request.requesterContact) {
        await this.audit.record(tx, {
          action: AuditAction.PERSON_VIEWED,
          subjectId: request.subjectUserId,
          detail: `privacy request ${request.id}`,
        });
      }
      return this.view(tx, request, new Map());
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
        const created = await this.insert(tx, {
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
      return this.view(ctx, request, new Map());
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
   * staff made the correction (through `updateUser`). ACCESS, ERASURE and OBJECTION need the
   * account (`SUBJECT_REQUIRED`); closing a staff account needs an ADMIN.
   */
  async complete(ctx: RequestContext, id: string): Promise<PrivacyRequestView> {
    return ctx.transaction(async (tx) => {
      const request = await this.find(tx, id);
      if (!isOpen(request)) throw this.closed();
      const now = tx.clock.now();
      const subject = request.subjectUserId
        ? await tx.manager.findOneBy(UserEntity, { id: request.subjectUserId })
        : null;
      const needSubject = () => {
        if (!subject) {
          throw new PrivacyException(
            PrivacyErrorCode.SUBJECT_REQUIRED,
            "This request names no account; answer it outside the system and reject it with the reason.",
          );
        }
        return subject;
      };
      let status = PrivacyRequestStatus.COMPLETED;
      switch (request.type) {
        case PrivacyRequestType.ACCESS: {
          const account = needSubject();
          if (account.closedAt) {
            throw new PrivacyException(
              PrivacyErrorCode.SUBJECT_ACCOUNT_CLOSED,
              "The account is closed: there is nothing to copy.",
            );
          }
          status = PrivacyRequestStatus.IN_PROGRESS;
          // Queued unless a build is already queued or running (one that died is tried again).
          await this.ensureExportJob(tx, request.id, account.id);
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
      await this.update(tx, request, {
        status,
        completedAt: done ? now : null,
        openKey: done ? null : request.openKey,
      });
      await this.audit.record(tx, {
        action: AuditAction.PRIVACY_REQUEST_UPDATED,
        subjectId: request.subjectUserId,
        detail: `${status} ${request.type} ${request.id}`,
      });
      return this.view(tx, await this.find(tx, id), new Map());
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
      const request = await this.find(tx, id);
      if (!isOpen(request)) throw this.closed();
      const total = request.extendedByMonths + months;
      if (total > MAX_EXTENSION_MONTHS) {
        throw new PrivacyException(
          PrivacyErrorCode.EXTENSION_LIMIT_EXCEEDED,
          `A request can be extended by at most ${MAX_EXTENSION_MONTHS} months in all (three months after receipt); ` +
            `this one has ${request.extendedByMonths} already.`,
          [{ field: "months", message: `must be at most ${MAX_EXTENSION_MONTHS - request.extendedByMonths}` }],
        );
      }
      await this.update(tx, request, {
        extendedByMonths: total,
        dueAt: dueDate(request.receivedAt, 1 + total, this.settings.timeZone),
        extensionReason: [request.extensionReason, text].filter(Boolean).join("\n"),
      });
      await this.audit.record(tx, {
        action: AuditAction.PRIVACY_REQUEST_UPDATED,
        subjectId: request.subjectUserId,
        detail: `EXTENDED ${total} ${request.id}`,
      });
      return this.view(tx, await this.find(tx, id), new Map());
    });
  }

  /** Rejects an open request with the reason told to the requester. */
  async reject(ctx: RequestContext, id: string, reason: string): Promise<PrivacyRequestView> {
    const checks = new FieldChecks();
    const text = checks.text("reason", reason, PRIVACY_REQUEST_LIMITS.reason, true);
    checks.throwIfAny();
    return ctx.transaction(async (tx) => {
      const request = await this.find(tx, id);
      if (!isOpen(request)) throw this.closed();
      await this.update(tx, request, {
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
      return this.view(tx, await this.find(tx, id), new Map());
    });
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
      const request = await this.insert(tx, {
        type: PrivacyRequestType.ERASURE,
        status: PrivacyRequestStatus.COMPLETED,
        channel: PrivacyRequestChannel.ONLINE,
        subjectUserId: userId,
        receivedAt: now,
        completedAt: now,
      });
      return this.view(tx, request, new Map());
    });
  }

  /**
   * Retention: deletes the requests of accounts closed more than `CLOSED_ACCOUNT_RETENTION_DAYS`
   * ago (or already deleted), and answered requests that name no account after the same period.
   * Returns how many.
   */
  async purgeClosedAccounts(ctx: RequestContext): Promise<number> {
    const cutoff = new Date(ctx.clock.now().getTime() - this.settings.closedAccountsDays * DAY_MS);
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

  /**
   * Requests about `subject`, oldest first: those of their account, and those whose contact (as
   * staff typed it) names their email address or telephone number exactly ({@link contactNames}).
   * Contacts are few (only staff enter them) and free text, so they are compared here, not by SQL.
   */
  async about(
    ctx: RequestContext,
    subject: { userId: string; email: string; phone: string | null },
  ): Promise<PrivacyRequestEntity[]> {
    const repository = ctx.manager.getRepository(PrivacyRequestEntity);
    const own = await repository.find({ where: { subjectUserId: subject.userId }, order: { id: "ASC" } });
    const found = new Map(own.map((r) => [r.id, r]));
    for (let after = ""; ;) {
      const page = await repository
        .createQueryBuilder("request")
        .where("request.requesterContact IS NOT NULL AND request.id > :after", { after })
        .orderBy("request.id", "ASC")
        .limit(CONTACT_SCAN_PAGE)
        .getMany();
      for (const request of page) {
        if (contactNames(request.requesterContact!, subject)) found.set(request.id, request);
      }
      if (page.length < CONTACT_SCAN_PAGE) break;
      after = page[page.length - 1]!.id;
    }
    return [...found.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * The request as the API shows it, its days left counted from `ctx`'s clock. The requester's
   * contact and the notes are for SUPPORT and ADMIN only.
   */
  view(ctx: RequestContext, r: PrivacyRequestEntity, links: Map<string, string>): PrivacyRequestView {
    const staff = ctx.actor.kind === "user" && (ctx.actor.role === Role.SUPPORT || ctx.actor.role === Role.ADMIN);
    return {
      id: r.id,
      type: r.type,
      status: r.status,
      channel: r.channel,
      subjectId: r.subjectUserId,
      requesterContact: staff ? r.requesterContact : null,
      notes: staff ? r.notes : null,
      receivedAt: r.receivedAt,
      dueAt: r.dueAt,
      daysLeft: isOpen(r) ? daysLeft(r.dueAt, ctx.clock.now(), this.settings.timeZone) : null,
      extendedByMonths: r.extendedByMonths,
      extensionReason: r.extensionReason,
      completedAt: r.completedAt,
      rejectionReason: r.rejectionReason,
      downloadUrl: r.status === PrivacyRequestStatus.COMPLETED ? (links.get(r.id) ?? null) : null,
    };
  }

  private async find(ctx: RequestContext, id: string): Promise<PrivacyRequestEntity> {
    const request = /^[0-9a-f-]{36}$/i.test(id) ? await ctx.manager.findOneBy(PrivacyRequestEntity, { id }) : null;
    if (!request) throw new NotFoundException("Privacy request");
    return request;
  }

  private closed(): PrivacyException {
    return new PrivacyException(
      PrivacyErrorCode.REQUEST_CLOSED,
      "This request has been completed or rejected already.",
    );
  }

  /** Inserts a request, its due date one calendar month after receipt, with an audit entry. */
  private async insert(
    ctx: RequestContext,
    fields: Pick<PrivacyRequestEntity, "type" | "status" | "channel" | "subjectUserId" | "receivedAt"> &
      Partial<PrivacyRequestEntity>,
  ): Promise<PrivacyRequestEntity> {
    const now = ctx.clock.now();
    const open = OPEN_STATUSES.includes(fields.status);
    const request: PrivacyRequestEntity = Object.assign(new PrivacyRequestEntity(), {
      id: newId(now.getTime()),
      requesterContact: null,
      notes: null,
      recordedById: null,
      extendedByMonths: 0,
      extensionReason: null,
      completedAt: null,
      rejectionReason: null,
      ...fields,
      dueAt: dueDate(fields.receivedAt, 1, this.settings.timeZone),
      updatedAt: now,
      openKey:
        open && fields.type === PrivacyRequestType.ACCESS && fields.subjectUserId
          ? openAccessKey(fields.subjectUserId)
          : null,
    });
    await ctx.manager
      .createQueryBuilder()
      .insert()
      .into(PrivacyRequestEntity)
      .values(request)
      .updateEntity(false)
      .execute();
    await this.audit.record(ctx, {
      action: AuditAction.PRIVACY_REQUEST_RECORDED,
      subjectId: request.subjectUserId,
      detail: `${request.type} ${request.id}`,
    });
    return request;
  }

  /**
   * Writes a change only if nobody changed the request since it was read (same status and
   * extension count): concurrent completions and extensions cannot both win.
   */
  private async update(
    ctx: RequestContext,
    request: PrivacyRequestEntity,
    changes: Partial<PrivacyRequestEntity>,
  ): Promise<void> {
    const result = await ctx.manager.update(
      PrivacyRequestEntity,
      { id: request.id, status: request.status, extendedByMonths: request.extendedByMonths },
      { ...changes, updatedAt: ctx.clock.now() },
    );
    if (result.affected === 0) {
      throw new PrivacyException(PrivacyErrorCode.REQUEST_CHANGED, "The request changed meanwhile; read it again.");
    }
  }
}
