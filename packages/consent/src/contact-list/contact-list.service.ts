import {
  AuditAction,
  Channel,
  CHANNELS,
  FieldChecks,
  newId,
  TOPICS,
  UnauthenticatedException,
  type AuditLog,
  type RequestContext,
  type Topic,
} from "@honour/platform";
import type { PostalAddress } from "@honour/users";
import { identifierOf } from "../consent-keys";
import { ConsentPreferenceEntity } from "../preference/consent-preference.entity";
import type { SuppressionService } from "../suppression/suppression.service";
import { ListExportEntity } from "./list-export.entity";

/** One person on a list: their name and the one detail the list's channel needs. */
export interface ContactListRow {
  name: string;
  email: string | null;
  phone: string | null;
  fax: string | null;
  address: PostalAddress | null;
}

export interface ContactListExport {
  id: string;
  topic: Topic;
  channel: Channel;
  rowCount: number;
  exportedAt: Date;
  rows: ContactListRow[];
}

/** Channels a list can be exported for: email goes out through campaigns, with their unsubscribe links. */
export const LIST_CHANNELS: readonly Channel[] = [Channel.TELEPHONE, Channel.FAX, Channel.MAIL];

/**
 * Telephone, fax and mail lists for staff. A list holds only people who granted the topic on the
 * channel, whose number or address is not suppressed and whose account is open; each row carries
 * the name and that one detail. Every export is logged.
 */
export class ContactListService {
  constructor(
    private readonly suppressions: SuppressionService,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Exports the list for one topic and channel and logs the export (who, when, topic, channel,
   * row count) in the same transaction, in the list-export log and as a LIST_EXPORTED audit entry
   * (no subject; the detail names the export, topic, channel and row count, never a person). `BAD_USER_INPUT` for an unknown topic, or for EMAIL.
   */
  async export(ctx: RequestContext, topic: Topic, channel: Channel): Promise<ContactListExport> {
    // The service owns its transaction; a caller's open one is joined.
    if (!ctx.inTransaction) return ctx.transaction((tx) => this.export(tx, topic, channel));
    if (ctx.actor.kind !== "user") throw new UnauthenticatedException();
    const exportedBy = ctx.actor.userId;
    const checks = new FieldChecks();
    if (!TOPICS.includes(topic)) checks.fail("topic", "is not a topic");
    if (!CHANNELS.includes(channel)) checks.fail("channel", "is not a channel");
    else if (!LIST_CHANNELS.includes(channel)) {
      checks.fail("channel", "must be TELEPHONE, FAX or MAIL; email is sent as a campaign");
    }
    checks.throwIfAny();

    return ctx.transaction(async (tx) => {
      const granted = await tx.manager
        .createQueryBuilder(ConsentPreferenceEntity, "p")
        .innerJoinAndSelect("p.user", "u")
        .where("p.topic = :topic AND p.channel = :channel AND p.granted = :granted", { topic, channel, granted: true })
        .andWhere("u.closedAt IS NULL")
        .orderBy("u.name", "ASC")
        .addOrderBy("u.id", "ASC")
        .getMany();
      const candidates = granted.flatMap(({ user }) => {
        const identifier = identifierOf(channel, user!);
        return identifier ? [{ user: user!, hash: this.suppressions.hash(channel, identifier) }] : [];
      });
      const suppressed = await this.suppressions.suppressedAmong(
        tx,
        channel,
        candidates.map((c) => c.hash),
      );
      const rows = candidates
        .filter((c) => !suppressed.has(c.hash))
        .map(({ user }) => ({
          name: user.name,
          email: null,
          phone: channel === Channel.TELEPHONE ? user.phone : null,
          fax: channel === Channel.FAX ? user.fax : null,
          address: channel === Channel.MAIL ? user.address : null,
        }));
      const log: ListExportEntity = Object.assign(new ListExportEntity(), {
        id: newId(tx.clock.now().getTime()),
        exportedBy,
        topic,
        channel,
        rowCount: rows.length,
        exportedAt: tx.clock.now(),
      });
      await tx.manager.insert(ListExportEntity, log);
      await this.audit.record(tx, {
        action: AuditAction.LIST_EXPORTED,
        subjectId: null,
        detail: `list ${log.id}: ${topic} by ${channel}, ${log.rowCount} rows`,
      });
      return { id: log.id, topic, channel, rowCount: log.rowCount, exportedAt: log.exportedAt, rows };
    });
  }
}
