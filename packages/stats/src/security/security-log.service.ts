import {
  newId,
  SecurityEventKind,
  type RequestContext,
  type SecurityEventRecord,
  type SecurityLog,
} from "@honour/platform";
import { cut } from "../ingest/page-view-reduction";
import { normaliseIp } from "../ingest/ip-ranges";
import { SECURITY_EVENT_LIMITS, SecurityEventEntity } from "./security-event.entity";
import { maskEmails } from "./security-personal-data.service";

/**
 * The platform's {@link SecurityLog}, writing to the `security_event` table with the caller's
 * manager (so inside a transaction it commits or rolls back with it). The host name is left for
 * the worker to resolve: a DNS lookup has no place on a sign-in's path.
 */
export class SqlSecurityLog implements SecurityLog {
  async record(ctx: RequestContext, event: SecurityEventRecord): Promise<void> {
    if (!Object.values(SecurityEventKind).includes(event.kind)) {
      throw new Error(`not a security event kind: ${String(event.kind)}`);
    }
    const at = ctx.clock.now();
    const ip = event.ip ?? ctx.ip;
    await ctx.manager.insert(SecurityEventEntity, {
      id: newId(at.getTime()),
      at,
      kind: event.kind,
      ip: ip ? cut(normaliseIp(ip), SECURITY_EVENT_LIMITS.ip) : null,
      hostname: null,
      userId: checkedId("userId", event.userId),
      partnerId: checkedId("partnerId", event.partnerId),
      // Masked before it is cut: a cut address would no longer look like one.
      detail: event.detail ? cut(maskEmails(event.detail), SECURITY_EVENT_LIMITS.detail) : null,
    });
  }
}

function checkedId(field: string, id: string | null | undefined): string | null {
  if (id === undefined || id === null) return null;
  if (id.length > SECURITY_EVENT_LIMITS.id) throw new Error(`${field} is longer than ${SECURITY_EVENT_LIMITS.id}`);
  return id;
}
