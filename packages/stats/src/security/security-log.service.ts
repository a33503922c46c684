import { Resolver } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import {
  newId,
  paginate,
  Role,
  SecurityEventKind,
  ValidationException,
  type Connection,
  type Logger,
  type PageArgs,
  type RequestContext,
  type SecurityEventRecord,
  type SecurityLog,
} from "@honour/platform";
import { IsNull, LessThan, Not } from "typeorm";
import { cut } from "../ingest/page-view-reduction";
import { normaliseIp } from "../ingest/ip-ranges";
import { requireRole } from "../stats.access";
import { SECURITY_EVENT_LIMITS, SecurityEventEntity } from "./security-event.entity";
import { maskEmails } from "./security-personal-data";

/** Who may read the security log. */
export const SECURITY_LOG_READERS: readonly Role[] = [Role.SECURITY, Role.ADMIN];

/**
 * The two DNS questions a host name needs: an address's names (PTR) and a name's addresses
 * (A for `family` 4, AAAA for 6). Either may reject; the caller gives them a time limit.
 */
export interface HostResolver {
  reverse(ip: string): Promise<string[]>;
  addresses(hostname: string, family: 4 | 6): Promise<string[]>;
  /** Abandons every question still open (the time limit has passed). */
  cancel(): void;
}

/**
 * DNS through the system's resolvers, or through `servers` (`"127.0.0.1:5353"`, `"[::1]:53"`)
 * when given; each question gives up after `timeoutMs`. One per lookup, so `cancel` ends only it.
 */
export function dnsHostResolver(timeoutMs: number, servers?: readonly string[]): () => HostResolver {
  return () => {
    const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
    if (servers && servers.length > 0) resolver.setServers([...servers]);
    return {
      reverse: (ip) => resolver.reverse(ip),
      addresses: (hostname, family) => (family === 4 ? resolver.resolve4(hostname) : resolver.resolve6(hostname)),
      cancel: () => resolver.cancel(),
    };
  };
}

/** Most names of one address checked forwards: anyone can publish many PTR records. */
const MAX_NAMES_CHECKED = 3;

/**
 * The forward-confirmed host name of `ip` (lower case, no final dot), or null. A PTR record says
 * whatever the owner of the address's reverse zone wants (`mail.google.com` included); a name
 * counts only when it also resolves back to `ip`, so whoever controls the name's zone agrees.
 */
export async function confirmedHostname(resolver: HostResolver, ip: string): Promise<string | null> {
  const family = isIP(ip);
  if (family === 0) return null;
  const names = [
    ...new Set((await resolver.reverse(ip)).filter(isHostname).map((n) => n.toLowerCase().replace(/\.$/, ""))),
  ].slice(0, MAX_NAMES_CHECKED);
  const checks = names.map(async (name) => {
    const addresses = await resolver.addresses(name, family as 4 | 6).catch(() => [] as string[]);
    return addresses.some((address) => sameAddress(address, ip)) ? name : null;
  });
  // In PTR order: the first name that resolves back wins.
  for (const name of await Promise.all(checks)) if (name) return name;
  return null;
}

/** Whether two spellings name one address (`2001:db8::7` = `2001:0db8:0:0:0:0:0:7`). */
function sameAddress(a: string, b: string): boolean {
  const left = normaliseIp(a);
  const right = normaliseIp(b);
  const family = isIP(left);
  if (family === 0 || family !== isIP(right)) return false;
  const list = new BlockList();
  list.addAddress(left, family === 4 ? "ipv4" : "ipv6");
  return list.check(right, family === 4 ? "ipv4" : "ipv6");
}

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
    const cutoff = new Date(ctx.clock.now().getTime() - this.retentionDays * 86_400_000);
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

/** Anyone can publish any PTR record: keep only what looks like a host name. */
function isHostname(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= SECURITY_EVENT_LIMITS.hostname &&
    /^(?=.{1,253}\.?$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.?$/i.test(name)
  );
}

function checkedId(field: string, id: string | null | undefined): string | null {
  if (id === undefined || id === null) return null;
  if (id.length > SECURITY_EVENT_LIMITS.id) throw new Error(`${field} is longer than ${SECURITY_EVENT_LIMITS.id}`);
  return id;
}
