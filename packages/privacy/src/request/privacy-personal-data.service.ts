import type { PersonalDataContributor, PersonalDataSubject, RequestContext } from "@honour/platform";
import { In } from "typeorm";
import type { DataExportService } from "../export/data-export.service";
import { PrivacyRequestEntity } from "./privacy-request.entity";
import type { PrivacyRequestService } from "./privacy-request.service";

/** The name of the privacy domain's section in a data export. */
export const PRIVACY_PERSONAL_DATA = "privacy";

/**
 * The privacy domain as a personal data contributor: the person's privacy requests (by account,
 * or naming their email or phone as the requester's contact) and the copies of their data kept
 * for download (listed, not repeated).
 */
export class PrivacyPersonalData implements PersonalDataContributor {
  readonly name = PRIVACY_PERSONAL_DATA;

  constructor(
    private readonly requests: PrivacyRequestService,
    private readonly dataExports: DataExportService,
  ) {}

  async export(ctx: RequestContext, subject: PersonalDataSubject): Promise<Record<string, unknown>> {
    const requests = await this.requests.about(ctx, subject);
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
    const ids = (await this.requests.about(ctx, subject)).map((r) => r.id);
    for (let i = 0; i < ids.length; i += 500) {
      await ctx.manager.update(
        PrivacyRequestEntity,
        { id: In(ids.slice(i, i + 500)) },
        { requesterContact: null, notes: null, extensionReason: null, rejectionReason: null },
      );
    }
  }
}
