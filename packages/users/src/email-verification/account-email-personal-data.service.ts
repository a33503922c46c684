import type { PersonalDataContributor, PersonalDataSubject, RequestContext } from "@honour/platform";
import { UserEntity } from "../user/user.entity";
import type { EmailChangeService } from "../email-change/email-change.service";
import type { EmailVerificationService } from "./email-verification.service";

/** The name of the account address's section in a data export. */
export const ACCOUNT_EMAIL_PERSONAL_DATA = "accountEmail";

/**
 * The account's address and its proofs, for a data export and an erasure: whether and when the
 * address was verified, the verification links mailed (when, to which address, how each ended) and
 * the email changes asked for; never a token or its hash. Closure deletes the links and changes
 * (their tokens die with them) and forgets the verification.
 */
export class AccountEmailPersonalData implements PersonalDataContributor {
  readonly name = ACCOUNT_EMAIL_PERSONAL_DATA;

  constructor(
    private readonly verifications: EmailVerificationService,
    private readonly changes: EmailChangeService,
  ) {}

  async export(ctx: RequestContext, subject: PersonalDataSubject): Promise<Record<string, unknown>> {
    const user = await ctx.manager.findOneBy(UserEntity, { id: subject.userId });
    const links = await this.verifications.linksOf(ctx, subject.userId);
    const changes = await this.changes.requestsOf(ctx, subject.userId);
    return {
      emailVerified: Boolean(user?.emailVerifiedAt),
      emailVerifiedAt: user?.emailVerifiedAt?.toISOString() ?? null,
      verificationLinks: links.map((l) => ({
        email: l.email,
        mailedAt: l.createdAt.toISOString(),
        expiresAt: l.expiresAt.toISOString(),
        endedAt: l.endedAt?.toISOString() ?? null,
        verifiedAt: l.verifiedAt?.toISOString() ?? null,
      })),
      emailChanges: changes.map((c) => ({
        newEmail: c.newEmail,
        requestedAt: c.createdAt.toISOString(),
        expiresAt: c.expiresAt.toISOString(),
        endedAt: c.endedAt?.toISOString() ?? null,
        confirmedAt: c.confirmedAt?.toISOString() ?? null,
      })),
    };
  }

  async erase(ctx: RequestContext, subject: PersonalDataSubject): Promise<void> {
    await this.verifications.forget(ctx, subject.userId);
    await this.changes.forget(ctx, subject.userId);
    await ctx.manager.update(UserEntity, { id: subject.userId }, { emailVerifiedAt: null });
  }
}
