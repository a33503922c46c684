import { AuditAction, newId, NotFoundException, Role, type AuditLog, type RequestContext } from "@honour/platform";
import { PrivacyErrorCode, PrivacyException } from "../privacy.exception";
import { daysLeft, dueDate } from "./due-date";
import {
  OPEN_STATUSES,
  openAccessKey,
  PrivacyRequestChannel,
  PrivacyRequestEntity,
  PrivacyRequestStatus,
  PrivacyRequestType,
} from "./privacy-request.entity";

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

export function isOpen(request: PrivacyRequestEntity): boolean {
  return OPEN_STATUSES.includes(request.status);
}

/**
 * The `privacy_request` table as the request services share it: a new request gets its due date
 * and an audit entry, a change is written only over the state it was read in, and a row is shown
 * to its reader with its days left. The rules of who may do what live in the services above it.
 */
export class PrivacyRequestStore {
  constructor(
    private readonly audit: AuditLog,
    readonly timeZone: string,
  ) {}

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
      daysLeft: isOpen(r) ? daysLeft(r.dueAt, ctx.clock.now(), this.timeZone) : null,
      extendedByMonths: r.extendedByMonths,
      extensionReason: r.extensionReason,
      completedAt: r.completedAt,
      rejectionReason: r.rejectionReason,
      downloadUrl: r.status === PrivacyRequestStatus.COMPLETED ? (links.get(r.id) ?? null) : null,
    };
  }

  /** The request with this id; `NOT_FOUND` for an unknown or malformed id. */
  async find(ctx: RequestContext, id: string): Promise<PrivacyRequestEntity> {
    const request = /^[0-9a-f-]{36}$/i.test(id) ? await ctx.manager.findOneBy(PrivacyRequestEntity, { id }) : null;
    if (!request) throw new NotFoundException("Privacy request");
    return request;
  }

  /** The failure for acting on a request that is answered already (`REQUEST_CLOSED`). */
  closed(): PrivacyException {
    return new PrivacyException(
      PrivacyErrorCode.REQUEST_CLOSED,
      "This request has been completed or rejected already.",
    );
  }

  /** Inserts a request, its due date one calendar month after receipt, with an audit entry. */
  async insert(
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
      dueAt: dueDate(fields.receivedAt, 1, this.timeZone),
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
  async update(
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
