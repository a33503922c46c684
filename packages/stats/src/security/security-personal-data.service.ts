import type { PersonalDataContributor, PersonalDataSubject, RequestContext } from "@honour/platform";
import { SecurityEventEntity } from "./security-event.entity";

/** The section of a data export the security log fills. */
export const SECURITY_PERSONAL_DATA = "security";

/** What replaces a closed account's e-mail address or phone number inside an event's detail. */
export const ERASED = "[erased]";

/**
 * The security log's part of a data export and an account closure, registered as `"security"` by
 * `createStatsServices`. It holds nothing, so one instance serves every platform.
 *
 * Export: every event about the person (`userId` is theirs: their sign-ins, and what they did as
 * staff), with time, kind, IP, host name and detail, newest first.
 *
 * Erase: the events stay until the security log's retention period ends
 * (`SECURITY_LOG_RETENTION_DAYS`, 90 days), for the purpose the privacy policy gives them,
 * systems administration and security: an account closed right after a break-in must not take
 * the trace of that break-in with it. They name the person by their opaque account id only; the
 * detail never holds a name (the writers put fixed texts, order numbers and key prefixes there),
 * e-mail addresses are masked when an event is written, and any detail, about anyone, that still
 * holds the person's e-mail address or phone number in plain form has it replaced here.
 */
export class SecurityPersonalData implements PersonalDataContributor {
  readonly name = SECURITY_PERSONAL_DATA;

  async export(ctx: RequestContext, subject: PersonalDataSubject): Promise<Record<string, unknown>> {
    const events = await ctx.manager.find(SecurityEventEntity, {
      where: { userId: subject.userId },
      order: { id: "DESC" },
    });
    return {
      events: events.map((e) => ({
        at: e.at.toISOString(),
        kind: e.kind,
        ip: e.ip,
        hostname: e.hostname,
        detail: e.detail,
      })),
    };
  }

  async erase(ctx: RequestContext, subject: PersonalDataSubject): Promise<void> {
    const needles = [subject.email, subject.phone]
      .map((value) => value?.trim())
      .filter((value): value is string => !!value && value.length >= 3);
    for (const needle of needles) {
      // Every row whose detail holds the needle in any case; the replacement below removes it.
      const rows = await ctx.manager
        .createQueryBuilder(SecurityEventEntity, "e")
        .select(["e.id", "e.detail"])
        .where("LOWER(e.detail) LIKE :pattern ESCAPE '!'", { pattern: `%${escapeLike(needle.toLowerCase())}%` })
        .getMany();
      for (const row of rows) {
        await ctx.manager.update(SecurityEventEntity, { id: row.id }, { detail: replaceAll(row.detail!, needle) });
      }
    }
  }
}

/** `text` with every occurrence of `needle`, in any case, replaced by {@link ERASED}. */
function replaceAll(text: string, needle: string): string {
  return text.replace(new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi"), ERASED);
}

/** `value` matched literally by `LIKE … ESCAPE '!'` (SQLite has no default escape character). */
function escapeLike(value: string): string {
  return value.replace(/[!%_]/g, (c) => `!${c}`);
}

/** An e-mail address anywhere in a text. */
const EMAIL = /[^\s@<>()[\],;:"']+@[^\s@<>()[\],;:"']+\.[^\s@<>()[\],;:"']+/g;

/** A detail as the security log keeps it: e-mail addresses masked, so no erasure has to find them. */
export function maskEmails(detail: string): string {
  return detail.replace(EMAIL, "[email]");
}
