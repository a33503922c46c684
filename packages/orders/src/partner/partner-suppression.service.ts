import {
  ForbiddenException,
  hmac,
  lockRows,
  newId,
  normaliseEmail,
  paginate,
  RateLimitedException,
  type Channel,
  type Connection,
  type PageArgs,
  type RequestContext,
} from "@honour/platform";
import { isEmail } from "class-validator";
import { In } from "typeorm";
import { SuppressionCheckAddressEntity } from "../disclosure/suppression-check-address.entity";
import { SuppressionCheckEntity } from "../disclosure/suppression-check.entity";
import { FieldChecks } from "../field-checks";
import { formatOrderNumber } from "../order/order-number.service";
import { CONTACT_LIMITS, OrderEntity } from "../order/order.entity";
import { PartnerEntity } from "./partner.entity";

/**
 * Who must not be contacted, as the consent domain knows it: of these normalised addresses, those
 * on the suppression list or whose account withdrew PARTNER_OFFERS, with the channels concerned.
 * The composition plugs in consent's `SuppressionService` (orders may not import consent).
 */
export interface ContactSuppressionCheck {
  partnerDoNotContact(ctx: RequestContext, emails: readonly string[]): Promise<Map<string, Channel[]>>;
}

/** Limits of `checkPartnerSuppressions`. */
export const SUPPRESSION_CHECK_LIMITS = {
  /** Most addresses one call may check. */
  batch: 100,
  /** Most addresses a partner may check in {@link SUPPRESSION_CHECK_LIMITS.windowMs} (all its keys). */
  perWindow: 2000,
  windowMs: 60 * 60 * 1000,
} as const;

/** One address checked: as the partner sent it, and whether (and on which channels) not to contact it. */
export interface SuppressionCheckResult {
  email: string;
  suppressed: boolean;
  channels: Channel[];
}

/** An order assigned to the partner whose buyer must not be contacted, with the channels concerned. */
export interface AssignedOrderSuppression {
  orderId: string;
  /** As people read it: HON-000123. */
  orderNumber: string;
  channels: Channel[];
}

/** A suppression check as staff see it: who checked, with which key, how many, when. No addresses. */
export interface SuppressionCheckRecord {
  id: string;
  partnerId: string;
  partnerName: string;
  apiKeyId: string;
  addresses: number;
  matches: number;
  at: Date;
}

/** Staff's filter of the suppression check log. */
export interface SuppressionCheckFilter {
  partnerId?: string | null;
  /** Checks at or after this instant. */
  from?: Date | null;
  /** Checks before this instant. */
  to?: Date | null;
}

/** One check of a person's address, as their data export shows it. */
export interface PersonSuppressionCheck {
  partnerName: string;
  at: Date;
  suppressed: boolean;
}

/** Orders whose contacts are read per query when listing a partner's assigned orders. */
const ORDER_CHUNK = 500;

/**
 * Partners' suppression lists without an oracle. The former feed (an unsalted SHA-256 of every
 * opted-out account holder's address) let anyone with a list of addresses learn who is a customer.
 * Now a partner either checks the addresses it already holds (batched, budgeted per partner, each
 * call recorded in the disclosure log), or lists the orders assigned to it whose buyer must not be
 * contacted, which names nobody it did not already receive.
 */
export class PartnerSuppressionService {
  /** @param secret keys the hashes of checked addresses (the server secret). */
  constructor(
    private readonly check: () => ContactSuppressionCheck | undefined,
    private readonly secret: string,
  ) {}

  /**
   * Which of these addresses the calling partner must not contact. `BAD_USER_INPUT` for none, more
   * than {@link SUPPRESSION_CHECK_LIMITS.batch}, or an entry that is not an email address (field
   * `emails.<n>`); `RATE_LIMITED` (with `retryAfterSeconds`) past the partner's hourly budget.
   * Records the call (counts only) before answering. Answers in the order asked.
   */
  async checkAddresses(ctx: RequestContext, emails: readonly string[]): Promise<SuppressionCheckResult[]> {
    const actor = ctx.actor;
    if (actor.kind !== "partner") throw new ForbiddenException();
    const checks = new FieldChecks();
    if (emails.length === 0) checks.fail("emails", "must name at least one address");
    if (emails.length > SUPPRESSION_CHECK_LIMITS.batch) {
      checks.fail("emails", `must name at most ${SUPPRESSION_CHECK_LIMITS.batch} addresses per call`);
    }
    const normalised = emails.slice(0, SUPPRESSION_CHECK_LIMITS.batch).map((email, i) => {
      const text = normaliseEmail(email);
      if (text.length > CONTACT_LIMITS.email || !isEmail(text)) checks.fail(`emails.${i}`, "must be an email address");
      return text;
    });
    checks.throwIfAny();
    const distinct = [...new Set(normalised)];
    const port = this.check();
    if (!port) throw new Error("no contact suppression check is configured");

    return ctx.transaction(async (tx) => {
      // One check per partner at a time: two calls reading the same sum would both fit the budget
      // and together pass it. (The embedded SQLite file holds its write lock from the start.)
      await lockRows(
        tx.manager
          .createQueryBuilder(PartnerEntity, "p")
          .select("p.id")
          .where("p.id = :partnerId", { partnerId: actor.partnerId }),
        "update",
      ).getOne();
      const now = tx.clock.now();
      const since = new Date(now.getTime() - SUPPRESSION_CHECK_LIMITS.windowMs);
      const window = () =>
        tx.manager
          .createQueryBuilder(SuppressionCheckEntity, "c")
          .where("c.partnerId = :partnerId AND c.at > :since", { partnerId: actor.partnerId, since });
      const used = await window()
        .select("COALESCE(SUM(c.addresses), 0)", "used")
        .getRawOne<{ used: number | string }>();
      if (Number(used?.used ?? 0) + distinct.length > SUPPRESSION_CHECK_LIMITS.perWindow) {
        // The budget frees up as the oldest call of the window leaves it.
        const oldest = await window().orderBy("c.at", "ASC").getOne();
        const frees = (oldest?.at.getTime() ?? now.getTime()) + SUPPRESSION_CHECK_LIMITS.windowMs;
        throw new RateLimitedException(
          `At most ${SUPPRESSION_CHECK_LIMITS.perWindow} addresses may be checked per hour.`,
          Math.max(1, Math.ceil((frees - now.getTime()) / 1000)),
        );
      }
      const found = await port.partnerDoNotContact(tx, distinct);
      const checkId = newId(now.getTime());
      await tx.manager.insert(SuppressionCheckEntity, {
        id: checkId,
        partnerId: actor.partnerId,
        apiKeyId: actor.apiKeyId,
        addresses: distinct.length,
        matches: found.size,
        at: now,
      });
      // Per address, under a keyed hash: the person's export can tell them who checked and what was said.
      await tx.manager.insert(
        SuppressionCheckAddressEntity,
        distinct.map((email) => ({ checkId, emailHash: this.emailHash(email), suppressed: found.has(email) })),
      );
      return emails.map((email, i) => {
        const channels = found.get(normalised[i]!) ?? [];
        return { email, suppressed: channels.length > 0, channels };
      });
    });
  }

  /**
   * The log of partners' suppression checks, newest first, for staff: by partner and time window
   * (`from` inclusive, `to` exclusive). Counts only; the addresses are not shown (nor kept in clear).
   */
  async list(
    ctx: RequestContext,
    filter: SuppressionCheckFilter,
    args: PageArgs,
  ): Promise<Connection<SuppressionCheckRecord>> {
    const query = ctx.manager.createQueryBuilder(SuppressionCheckEntity, "c");
    if (filter.partnerId) query.andWhere("c.partnerId = :partnerId", { partnerId: filter.partnerId });
    if (filter.from) query.andWhere("c.at >= :from", { from: filter.from });
    if (filter.to) query.andWhere("c.at < :to", { to: filter.to });
    const page = await paginate(query, args);
    const names = await this.partnerNames(
      ctx,
      page.nodes.map((c) => c.partnerId),
    );
    const nodes = page.nodes.map((c) => ({
      id: c.id,
      partnerId: c.partnerId,
      partnerName: names.get(c.partnerId) ?? "",
      apiKeyId: c.apiKeyId,
      addresses: c.addresses,
      matches: c.matches,
      at: c.at,
    }));
    return { edges: page.edges.map((e, i) => ({ cursor: e.cursor, node: nodes[i]! })), nodes, pageInfo: page.pageInfo };
  }

  /** Every check of this address, oldest first: which partner, when, and the answer it got. */
  async checksOf(ctx: RequestContext, email: string): Promise<PersonSuppressionCheck[]> {
    const rows = await ctx.manager
      .createQueryBuilder(SuppressionCheckAddressEntity, "a")
      .innerJoinAndSelect("a.check", "c")
      .where("a.emailHash = :hash", { hash: this.emailHash(normaliseEmail(email)) })
      .orderBy("c.at", "ASC")
      .addOrderBy("c.id", "ASC")
      .getMany();
    const names = await this.partnerNames(
      ctx,
      rows.map((r) => r.check!.partnerId),
    );
    return rows.map((r) => ({
      partnerName: names.get(r.check!.partnerId) ?? "",
      at: r.check!.at,
      suppressed: r.suppressed,
    }));
  }

  /** Forgets which partners checked this address (account closure); the per-call counts stay. */
  async eraseChecksOf(ctx: RequestContext, email: string): Promise<void> {
    await ctx.manager.delete(SuppressionCheckAddressEntity, { emailHash: this.emailHash(normaliseEmail(email)) });
  }

  private emailHash(normalised: string): string {
    return hmac(this.secret, "partner-suppression-check", normalised);
  }

  private async partnerNames(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, string>> {
    const distinct = [...new Set(ids)];
    if (distinct.length === 0) return new Map();
    const partners = await ctx.manager.find(PartnerEntity, {
      select: { id: true, name: true },
      where: { id: In(distinct) },
    });
    return new Map(partners.map((p) => [p.id, p.name]));
  }

  /**
   * The orders assigned to the calling partner, contact not erased, whose buyer must not be
   * contacted, oldest first: the order's id and number only, since the partner already holds
   * the contact of every order assigned to it (erased contacts come as erasure notices instead).
   */
  async assignedOrders(ctx: RequestContext): Promise<AssignedOrderSuppression[]> {
    const actor = ctx.actor;
    if (actor.kind !== "partner") throw new ForbiddenException();
    const port = this.check();
    if (!port) throw new Error("no contact suppression check is configured");
    const result: AssignedOrderSuppression[] = [];
    let after = "";
    for (;;) {
      const orders = await ctx.manager
        .createQueryBuilder(OrderEntity, "o")
        .select(["o.id", "o.number", "o.contactEmail"])
        .where("o.partnerId = :partnerId AND o.contactErasedAt IS NULL AND o.id > :after", {
          partnerId: actor.partnerId,
          after,
        })
        .orderBy("o.id", "ASC")
        .take(ORDER_CHUNK)
        .getMany();
      if (orders.length === 0) return result;
      const found = await port.partnerDoNotContact(
        ctx,
        orders.map((o) => o.contactEmail),
      );
      for (const order of orders) {
        const channels = found.get(order.contactEmail);
        if (channels) result.push({ orderId: order.id, orderNumber: formatOrderNumber(order.number), channels });
      }
      if (orders.length < ORDER_CHUNK) return result;
      after = orders[orders.length - 1]!.id;
    }
  }
}
