import type { PersonalDataContributor, PersonalDataSubject, RequestContext } from "@honour/platform";
import { In } from "typeorm";
import type { DataExportService } from "../export/data-export.service";
import { contactNames } from "./contact-match";
import { PrivacyRequestEntity } from "./privacy-request.entity";

/** The name of the privacy domain's section in a data export. */
export const PRIVACY_PERSONAL_DATA = "privacy";

/** Requests read at a time when looking for a person's contact among them. */
const CONTACT_SCAN_PAGE = 500;

/**
 * Requests about `subject`, oldest first: those of their account, and those whose contact (as
 * staff typed it) names their email address or telephone number exactly ({@link contactNames}).
 * Contacts are few (only staff enter them) and free text, so they are compared here, not by SQL.
 */
export async function requestsAbout(
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
 * The privacy domain as a personal data contributor: the person's privacy requests (by account,
 * or naming their email or phone as the requester's contact) and the copies of their data kept
 * for download (listed, not repeated).
 */
export class PrivacyPersonalData implements PersonalDataContributor {
  readonly name = PRIVACY_PERSONAL_DATA;

  constructor(private readonly dataExports: DataExportService) {}

  async export(ctx: RequestContext, subject: PersonalDataSubject): Promise<Record<string, unknown>> {
    const requests = await requestsAbout(ctx, subject);
    const stored = await this.dataExports.listFor(ctx, subject.userId);
    return {
      requests: requests.map((r) => ({
        id: r.id,
        type: r.type,
        status: r.status,
        channel: r.channel,
        requesterContact: r.requesterContact,
        notes: r.notes,
        receivedAt: r.receivedAt.toISOString(),
        dueAt: r.dueAt.toISOString(),
        extendedByMonths: r.extendedByMonths,
        extensionReason: r.extensionReason,
        completedAt: r.completedAt?.toISOString() ?? null,
        rejectionReason: r.rejectionReason,
      })),
      exports: stored.map((e) => ({
        id: e.id,
        createdAt: e.createdAt.toISOString(),
        expiresAt: e.expiresAt.toISOString(),
        sizeBytes: e.sizeBytes,
      })),
    };
  }

  /**
   * Deletes the stored copies and blanks every free-text field of the person's requests (contact,
   * notes, reasons). The requests themselves stay, as the record that they were answered, until
   * the closed-accounts retention purges them.
   */
  async erase(ctx: RequestContext, subject: PersonalDataSubject): Promise<void> {
    await this.dataExports.deleteFor(ctx, subject.userId);
    const ids = (await requestsAbout(ctx, subject)).map((r) => r.id);
    for (let i = 0; i < ids.length; i += 500) {
      await ctx.manager.update(
        PrivacyRequestEntity,
        { id: In(ids.slice(i, i + 500)) },
        { requesterContact: null, notes: null, extensionReason: null, rejectionReason: null },
      );
    }
  }
}
