import { isIP } from "node:net";
import {
  DAY_MS,
  paginate,
  Role,
  SecurityEventKind,
  ValidationException,
  type Connection,
  type Logger,
  type PageArgs,
  type RequestContext,
} from "@honour/platform";
import { IsNull, LessThan, Not } from "typeorm";
import { requireRole } from "../stats-access";
import { confirmedHostname, type HostResolver } from "./host-names";
import { SecurityEventEntity } from "./security-event.entity";

/** Who may read the security log. */
export const SECURITY_LOG_READERS: readonly Role[] = [Role.SECURITY, Role.ADMIN];

export interface SecurityEventFilter extends PageArgs {
  kind?: SecurityEventKind | null;
  /** Events at or after this instant. */
  from?: Date | null;
  /** Events before this instant. */
  to?: Date | null;
}

/** Reading, resolving and expiring the security log. */
export class SecurityEventService {
  constructor(
    private readonly retentionDays: number,
    private readonly resolvers: () => HostResolver,
    private readonly lookupTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** The log, newest first, for SECURITY and ADMIN. */
  async list(ctx: RequestContext, filter: SecurityEventFilter): Promise<Connection<SecurityEventEntity>> {
    requireRole(ctx, SECURITY_LOG_READERS);
    if (filter.kind && !Object.values(SecurityEventKind).includes(filter.kind)) {
      throw new ValidationException([{ field: "kind", message: "is not a security event kind" }]);
    }
    if (filter.from && filter.to && filter.from.getTime() > filter.to.getTime()) {
      throw new ValidationException([{ field: "to", message: "must not be before from" }]);
    }
    const query = ctx.manager.createQueryBuilder(SecurityEventEntity, "e");
    if (filter.kind) query.andWhere("e.kind = :kind", { kind: filter.kind });
    if (filter.from) query.andWhere("e.at >= :from", { from: filter.from });
    if (filter.to) query.andWhere("e.at < :to", { to: filter.to });
    return paginate(query, filter, "DESC");
  }

  /** Deletes events older than the retention period. Returns how many. */
  async purge(ctx: RequestContext): Promise<number> {
    const cutoff = new Date(ctx.clock.now().getTime() - this.retentionDays * DAY_MS);
    const result = await ctx.manager.delete(SecurityEventEntity, { at: LessThan(cutoff) });
    return result.affected ?? 0;
  }

  /**
   * Gives unresolved events their host name, each lookup within the time limit; where none is
   * available the IP stands in, as the privacy policy says. One lookup per address serves all its
   * events. Works through the backlog a batch at a time until it is done or `budgetMs` has passed
   * (an attack can leave thousands of events at once). Returns how many addresses it looked up.
   */
  async resolveHostnames(ctx: RequestContext, options: { batch?: number; budgetMs?: number } = {}): Promise<number> {
    const batch = options.batch ?? 100;
    const deadline = Date.now() + (options.budgetMs ?? 45_000);
    const CONCURRENCY = 8;
    let looked = 0;
    do {
      const pending = await ctx.manager.find(SecurityEventEntity, {
        select: { id: true, ip: true },
        where: { hostname: IsNull(), ip: Not(IsNull()) },
        order: { id: "ASC" },
        take: batch,
      });
      if (pending.length === 0) break;
      const ips = [...new Set(pending.map((e) => e.ip!))];
      for (let i = 0; i < ips.length; i += CONCURRENCY) {
        const slice = ips.slice(i, i + CONCURRENCY);
        const names = await Promise.all(slice.map((ip) => this.hostnameOf(ip)));
        for (let j = 0; j < slice.length; j++) {
          await ctx.manager.update(SecurityEventEntity, { ip: slice[j]!, hostname: IsNull() }, { hostname: names[j]! });
        }
      }
      looked += ips.length;
    } while (Date.now() < deadline);
    return looked;
  }

  /** The forward-confirmed host name of `ip`, or `ip` itself; reverse and forward within the time limit. */
  private async hostnameOf(ip: string): Promise<string> {
    if (isIP(ip) === 0) return ip;
    let resolver: HostResolver | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      resolver = this.resolvers();
      const name = await Promise.race([
        confirmedHostname(resolver, ip),
        new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), this.lookupTimeoutMs))),
      ]);
      return name ?? ip;
    } catch (err) {
      // No PTR record is the usual answer for most addresses; anything else is worth a debug line.
      this.logger.debug({ err, event: "security_log.lookup_failed" }, "no host name; the IP stands in");
      return ip;
    } finally {
      clearTimeout(timer);
      resolver?.cancel();
    }
  }
}
