import {
  enqueueTransactionalMail,
  AuditAction,
  DAY_MS,
  hmac,
  JobEntity,
  JobStatus,
  lockRows,
  newId,
  safeEqual,
  UnauthenticatedException,
  type AuditLog,
  type JobQueue,
  type PersonalDataRegistry,
  type RequestContext,
} from "@honour/platform";
import { UserEntity, type UserService } from "@honour/users";
import { In, LessThanOrEqual, MoreThan } from "typeorm";
import { PrivacyErrorCode, PrivacyException } from "../privacy.exception";
import { PrivacyRequestEntity, PrivacyRequestStatus, PrivacyRequestType } from "../request/privacy-request.entity";
import { DataExportEntity, DataExportPartEntity, EXPORT_PART_CHARS } from "./data-export.entity";

const PURGE_BATCH = 100;

/** The job that builds a copy (`privacyJobs` runs it): payload `{ requestId, userId }`. */
export const BUILD_DATA_EXPORT_JOB = "privacy.buildDataExport";

/** The path of the download route; the gateway serves `GET /privacy/exports/:id/:sig`. */
export const EXPORT_DOWNLOAD_PATH = "/privacy/exports";

/** What the export document says it is, so that a reader can tell one from any other JSON. */
export const EXPORT_FORMAT = "honour.personal-data-export/1";

/**
 * Download links of exports: `<PUBLIC_URL>/privacy/exports/<id>/<sig>` where `sig` is an HMAC
 * of the id with the server secret. The link can be shown again at any time without storing a
 * token, and guessing an id is not enough; the route also wants the subject's own session.
 */
export class ExportLinks {
  constructor(
    private readonly secret: string,
    private readonly publicUrl: string,
  ) {}

  signature(exportId: string): string {
    return hmac(this.secret, "privacy.export", exportId);
  }

  url(exportId: string): string {
    return `${this.publicUrl}${EXPORT_DOWNLOAD_PATH}/${exportId}/${this.signature(exportId)}`;
  }

  verify(exportId: string, signature: string): boolean {
    return /^[0-9a-f-]{36}$/.test(exportId) && safeEqual(signature, this.signature(exportId));
  }
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;

/**
 * The document cut into parts of at most `size` UTF-16 units for storage, never between the two
 * halves of a character such as an emoji (each half alone is not text, and the database would
 * store it as U+FFFD). Joined, the parts are the document.
 */
export function splitIntoParts(body: string, size: number = EXPORT_PART_CHARS): string[] {
  const parts: string[] = [];
  for (let offset = 0; offset < body.length;) {
    let end = Math.min(offset + size, body.length);
    if (end < body.length && isHighSurrogate(body.charCodeAt(end - 1))) end -= 1;
    parts.push(body.slice(offset, end));
    offset = end;
  }
  return parts;
}

/** A download as the route sends it. */
export interface ExportDownload {
  fileName: string;
  /** The JSON document. */
  body: string;
}

/**
 * Copies of a person's data: built by the worker from every registered contributor, stored in the
 * database until they expire (`DATA_EXPORT_RETENTION_DAYS`), downloaded by their subject only.
 */
export class DataExportService {
  constructor(
    private readonly registry: PersonalDataRegistry,
    private readonly users: UserService,
    private readonly jobs: JobQueue,
    private readonly audit: AuditLog,
    readonly links: ExportLinks,
    private readonly retentionDays: number,
  ) {}

  /**
   * Queues the job that builds the copy for ACCESS request `requestId`, unless one is queued or
   * running. A build that failed on every attempt (DEAD) leaves the request IN_PROGRESS; this
   * queues a new attempt, under a new unique key.
   */
  async queueBuild(ctx: RequestContext, requestId: string, userId: string): Promise<void> {
    const prefix = `${BUILD_DATA_EXPORT_JOB}:${requestId}`;
    const earlier = await ctx.manager
      .getRepository(JobEntity)
      .createQueryBuilder("job")
      .select(["job.status", "job.uniqueKey"])
      .where("job.uniqueKey = :prefix OR job.uniqueKey LIKE :like", { prefix, like: `${prefix}:%` })
      .getMany();
    if (earlier.some((job) => job.status === JobStatus.PENDING || job.status === JobStatus.RUNNING)) return;
    await this.jobs.enqueue(
      ctx,
      BUILD_DATA_EXPORT_JOB,
      { requestId, userId },
      // The first attempt keeps the plain key; each later one gets its own.
      { uniqueKey: earlier.length === 0 ? prefix : `${prefix}:${newId(ctx.clock.now().getTime())}`, maxAttempts: 5 },
    );
  }

  /**
   * The export job: builds the copy for ACCESS request `requestId`, stores it and marks the request
   * COMPLETED, with a DATA_EXPORTED audit entry, all in `ctx`'s transaction. Does nothing for a
   * request that is gone or no longer open; rejects it when its account has closed meanwhile.
   */
  async build(ctx: RequestContext, requestId: string, subjectUserId?: string): Promise<void> {
    // Locking reads first, the account before the request, in the order closure takes them: a
    // closure that is erasing the person finishes before this reads anything (and this sees the
    // account closed), or waits until this copy is stored (and then erases it). On MySQL/MariaDB
    // the snapshot of every later plain read is taken after these locks.
    const lockRequest = (mode: "share" | "update") =>
      lockRows(
        ctx.manager.createQueryBuilder(PrivacyRequestEntity, "request").where("request.id = :requestId", { requestId }),
        mode,
      ).getOne();
    // Jobs queued before the payload named the account: find it from the request.
    const userId = subjectUserId ?? (await lockRequest("share"))?.subjectUserId ?? null;
    const accountQuery = ctx.manager.createQueryBuilder(UserEntity, "u").where("u.id = :userId", { userId });
    const account = userId ? await lockRows(accountQuery, "share").getOne() : null;
    const request = await lockRequest("update");
    if (!request || request.type !== PrivacyRequestType.ACCESS) return;
    if (request.status === PrivacyRequestStatus.COMPLETED || request.status === PrivacyRequestStatus.REJECTED) return;
    if (request.subjectUserId !== userId) return;
    const now = ctx.clock.now();
    if (!account || account.closedAt) {
      await ctx.manager.update(
        PrivacyRequestEntity,
        { id: request.id },
        {
          status: PrivacyRequestStatus.REJECTED,
          rejectionReason: "The account was closed before the copy was made.",
          completedAt: now,
          updatedAt: now,
          openKey: null,
        },
      );
      return;
    }

    const subject = await this.users.personalDataSubject(ctx, account.id);
    const sections = await this.registry.exportAll(ctx, subject);
    const body = JSON.stringify(
      { format: EXPORT_FORMAT, requestId: request.id, generatedAt: now.toISOString(), data: sections },
      null,
      2,
    );
    await ctx.manager.delete(DataExportPartEntity, { exportId: request.id });
    await ctx.manager.delete(DataExportEntity, { id: request.id });
    await ctx.manager.insert(DataExportEntity, {
      id: request.id,
      subjectUserId: account.id,
      sizeBytes: Buffer.byteLength(body, "utf8"),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.retentionDays * DAY_MS),
    });
    const parts = splitIntoParts(body).map((content, part) =>
      Object.assign(new DataExportPartEntity(), { exportId: request.id, part, content }),
    );
    for (let i = 0; i < parts.length; i += 20) await ctx.manager.insert(DataExportPartEntity, parts.slice(i, i + 20));
    await ctx.manager.update(
      PrivacyRequestEntity,
      { id: request.id },
      { status: PrivacyRequestStatus.COMPLETED, completedAt: now, updatedAt: now, openKey: null },
    );
    await this.audit.record(ctx, { action: AuditAction.DATA_EXPORTED, subjectId: account.id, detail: request.id });
    // Told in the same transaction: the mail goes once the copy is stored, never for one rolled back.
    const url = this.links.url(request.id);
    const until = new Date(now.getTime() + this.retentionDays * DAY_MS).toISOString().slice(0, 10);
    await enqueueTransactionalMail(
      ctx,
      this.jobs,
      {
        kind: "DATA_EXPORT_READY",
        to: { name: account.name, address: account.email },
        subject: "Your data is ready to download",
        text:
          `Hello ${account.name},\n\nThe copy of your personal data that you asked for is ready. Sign in, then open ` +
          `this page to download it:\n\n${url}\n\nThe link works until ${until}; after that the copy is deleted. ` +
          `If you did not ask for it, reply to this message.\n`,
        accountId: account.id,
      },
      `export-ready:${request.id}`,
    );
  }

  /**
   * The export behind a download link, for its subject only, with a DATA_EXPORT_DOWNLOADED audit
   * entry. `UNAUTHENTICATED` when nobody is signed in; `EXPORT_NOT_FOUND` for a wrong signature,
   * an unknown id or someone else's export (never telling which); `EXPORT_EXPIRED` once the link
   * has expired (the copy is deleted then or soon after); `EXPORT_NOT_READY` while it is built.
   */
  async download(ctx: RequestContext, exportId: string, signature: string): Promise<ExportDownload> {
    return this.find(ctx, exportId, signature, true) as Promise<ExportDownload>;
  }

  /**
   * What the download page shows of the export behind a link (its size and dates), with the same
   * refusals as {@link download}; reads nothing of the copy itself and records nothing.
   */
  async describe(
    ctx: RequestContext,
    exportId: string,
    signature: string,
  ): Promise<{ sizeBytes: number; createdAt: Date; expiresAt: Date }> {
    return this.find(ctx, exportId, signature, false) as Promise<{
      sizeBytes: number;
      createdAt: Date;
      expiresAt: Date;
    }>;
  }

  private async find(
    ctx: RequestContext,
    exportId: string,
    signature: string,
    read: boolean,
  ): Promise<ExportDownload | { sizeBytes: number; createdAt: Date; expiresAt: Date }> {
    const userId = ctx.userId;
    if (!userId) throw new UnauthenticatedException("Sign in to download your data.");
    const notFound = () => new PrivacyException(PrivacyErrorCode.EXPORT_NOT_FOUND, "There is no such export.");
    if (!this.links.verify(exportId, signature)) throw notFound();
    return ctx.transaction(async (tx) => {
      const request = await tx.manager.findOneBy(PrivacyRequestEntity, { id: exportId });
      if (!request || request.type !== PrivacyRequestType.ACCESS || request.subjectUserId !== userId) throw notFound();
      if (request.status === PrivacyRequestStatus.REJECTED) throw notFound();
      const stored = await tx.manager.findOneBy(DataExportEntity, { id: exportId });
      const expired = new PrivacyException(PrivacyErrorCode.EXPORT_EXPIRED, "This download link has expired.");
      if (!stored) {
        if (request.status === PrivacyRequestStatus.COMPLETED) throw expired;
        throw new PrivacyException(PrivacyErrorCode.EXPORT_NOT_READY, "Your copy is still being made.");
      }
      if (stored.subjectUserId !== userId) throw notFound();
      if (stored.expiresAt.getTime() <= tx.clock.now().getTime()) throw expired;
      if (!read) return { sizeBytes: stored.sizeBytes, createdAt: stored.createdAt, expiresAt: stored.expiresAt };
      const parts = await tx.manager.find(DataExportPartEntity, {
        where: { exportId },
        order: { part: "ASC" },
      });
      await this.audit.record(tx, { action: AuditAction.DATA_EXPORT_DOWNLOADED, subjectId: userId, detail: exportId });
      return {
        fileName: `personal-data-${stored.createdAt.toISOString().slice(0, 10)}-${exportId.slice(0, 8)}.json`,
        body: parts.map((p) => p.content).join(""),
      };
    });
  }

  /**
   * Answers a guest's ACCESS request (no account): every domain's data about `email` (a guest's
   * orders), mailed to that address, where only its owner reads it, with a DATA_EXPORTED audit
   * entry; in the caller's transaction, so the mail goes only if the request is completed.
   * Returns how many sections held something (0: the mail says we hold nothing else).
   */
  async answerGuest(ctx: RequestContext, requestId: string, email: string): Promise<number> {
    const sections = await this.registry.exportGuestAll(ctx, email);
    const now = ctx.clock.now();
    const body = JSON.stringify(
      { format: EXPORT_FORMAT, requestId, generatedAt: now.toISOString(), email, data: sections },
      null,
      2,
    );
    const count = Object.keys(sections).length;
    await enqueueTransactionalMail(
      ctx,
      this.jobs,
      {
        kind: "GUEST_DATA_COPY",
        to: { name: "", address: email },
        subject: "A copy of the personal data we hold about you",
        text:
          `Hello,\n\nYou asked what personal data we hold about ${email}. ` +
          (count === 0
            ? "We hold none besides your request itself.\n"
            : `Here it is, in full, as JSON (the orders you placed without an account):\n\n${body}\n`),
      },
      `guest-copy:${requestId}`,
    );
    await this.audit.record(ctx, { action: AuditAction.DATA_EXPORTED, subjectId: null, detail: requestId });
    return count;
  }

  /** The download links of `userId`'s unexpired exports among `requestIds`, by request id. */
  async linksFor(ctx: RequestContext, userId: string, requestIds: readonly string[]): Promise<Map<string, string>> {
    if (requestIds.length === 0) return new Map();
    const stored = await ctx.manager.find(DataExportEntity, {
      select: { id: true },
      where: { id: In([...requestIds]), subjectUserId: userId, expiresAt: MoreThan(ctx.clock.now()) },
    });
    return new Map(stored.map((e) => [e.id, this.links.url(e.id)]));
  }

  /** The account's stored exports (not their content), for its own data export. */
  listFor(ctx: RequestContext, userId: string): Promise<DataExportEntity[]> {
    return ctx.manager.find(DataExportEntity, { where: { subjectUserId: userId }, order: { createdAt: "ASC" } });
  }

  /** Deletes every stored export of the account (erasure). */
  async deleteFor(ctx: RequestContext, userId: string): Promise<void> {
    const ids = (await this.listFor(ctx, userId)).map((e) => e.id);
    await this.deleteByIds(ctx, ids);
  }

  /** Deletes exports whose link has expired, in batches. Returns how many. */
  async purgeExpired(ctx: RequestContext): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await ctx.manager.find(DataExportEntity, {
        select: { id: true },
        where: { expiresAt: LessThanOrEqual(ctx.clock.now()) },
        order: { expiresAt: "ASC" },
        take: PURGE_BATCH,
      });
      if (batch.length === 0) return total;
      await ctx.transaction((tx) =>
        this.deleteByIds(
          tx,
          batch.map((e) => e.id),
        ),
      );
      total += batch.length;
      if (batch.length < PURGE_BATCH) return total;
    }
  }

  private async deleteByIds(ctx: RequestContext, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await ctx.manager.delete(DataExportPartEntity, { exportId: In(ids) });
    await ctx.manager.delete(DataExportEntity, { id: In(ids) });
  }
}
