import type { PersonalDataContributor, PersonalDataSubject, RequestContext } from "@honour/platform";
import { UNUSABLE_PASSWORD_HASH } from "../password/password.service";
import type { PasswordResetService } from "../password-reset/password-reset.service";
import type { SessionService } from "../session/session.service";
import type { MfaService } from "../mfa/mfa.service";
import type { PasskeyService } from "../passkey/passkey.service";
import type { SignInThrottle } from "../sign-in/sign-in-throttle.service";
import { UserEntity } from "../user/user.entity";
import { normaliseEmail } from "../user/normalise";

/** The name of the accounts domain's section in a data export. */
export const ACCOUNT_PERSONAL_DATA = "account";

/**
 * The email a closed account keeps: unique (the user id) and nobody's (`.invalid` is reserved,
 * RFC 2606), so the unique index holds and the address is free for a new registration.
 */
export function closedAccountEmail(userId: string): string {
  return `${userId}@closed.invalid`;
}

/**
 * Everything the accounts domain holds about a person, for a data export and an erasure: the
 * profile, the sessions (never their token hashes), the throttle's count of wrong passwords on
 * their email while it counts, whether two-factor is on (never its secret or codes) and the dates of
 * their password reset requests (never tokens). Articles hold nothing about readers, so they are not here.
 */
export class AccountPersonalData implements PersonalDataContributor {
  readonly name = ACCOUNT_PERSONAL_DATA;

  constructor(
    private readonly sessions: SessionService,
    private readonly throttle: SignInThrottle,
    private readonly passwordResets: PasswordResetService,
    private readonly mfa: MfaService,
    private readonly passkeys: PasskeyService,
  ) {}

  async export(ctx: RequestContext, subject: PersonalDataSubject): Promise<Record<string, unknown>> {
    const user = await ctx.manager.findOneBy(UserEntity, { id: subject.userId });
    const sessions = await this.sessions.listFor(ctx, subject.userId);
    const failures = await this.throttle.failuresOf(ctx, normaliseEmail(subject.email));
    const secondFactor = await this.mfa.recordOf(ctx, subject.userId);
    const passkeys = await this.passkeys.listFor(ctx, subject.userId);
    const resets = await this.passwordResets.requestsOf(ctx, subject.userId);
    return {
      profile: user ? profileOf(user) : null,
      sessions: sessions.map((s) => ({
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: s.lastSeenAt.toISOString(),
        browser: s.browser,
        os: s.os,
        expiresAt: s.expiresAt.toISOString(),
      })),
      // The throttle's count of wrong passwords typed for this address, while it still counts.
      signInFailures:
        failures.failures > 0 ? { count: failures.failures, lastAt: failures.lastFailureAt!.toISOString() } : null,
      // Whether two-factor is on; never its secret or recovery codes.
      twoFactor: {
        totpEnabled: secondFactor.totpEnabled,
        enabledAt: secondFactor.totpEnabledAt?.toISOString() ?? null,
        recoveryCodesLeft: secondFactor.recoveryCodesLeft,
      },
      // Names and dates; the credentials' keys are public material of no use to the person.
      passkeys: passkeys.map((p) => ({
        name: p.name,
        createdAt: p.createdAt.toISOString(),
        lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
      })),
      // When a reset link was asked for; never the token or its hash.
      passwordResetRequests: resets.map((at) => ({ requestedAt: at.toISOString() })),
    };
  }

  /**
   * Ends every session, forgets the throttle's counts, deletes the second factor (TOTP secret,
   * recovery codes, challenges) and anonymises the profile: the
   * email becomes {@link closedAccountEmail}, the name empty, every other detail null, the password
   * hash unusable, and `closedAt` is set. The row stays (orders and the audit log name its id)
   * until the closed-accounts retention job deletes it.
   */
  async erase(ctx: RequestContext, subject: PersonalDataSubject): Promise<void> {
    await this.sessions.revokeAll(ctx, subject.userId);
    await this.throttle.forget(ctx, normaliseEmail(subject.email), subject.userId);
    // The TOTP secret, recovery codes and sign-in challenges go at once, with the sessions.
    await this.mfa.forgetSecondFactor(ctx, subject.userId);
    await this.passkeys.forget(ctx, subject.userId);
    await this.passwordResets.forget(ctx, subject.userId, normaliseEmail(subject.email));
    const user = await ctx.manager.findOneBy(UserEntity, { id: subject.userId });
    if (!user) return;
    const now = ctx.clock.now();
    await ctx.manager.update(
      UserEntity,
      { id: subject.userId },
      {
        email: closedAccountEmail(subject.userId),
        passwordHash: UNUSABLE_PASSWORD_HASH,
        name: "",
        organisation: null,
        organisationUrl: null,
        jobTitle: null,
        referralSource: null,
        phone: null,
        fax: null,
        addressLine1: null,
        addressLine2: null,
        addressCity: null,
        addressPostcode: null,
        addressCountry: null,
        closedAt: user.closedAt ?? now,
        updatedAt: now,
      },
    );
  }
}

/** Every column of the profile that the person gave or that describes them, as plain JSON. */
function profileOf(user: UserEntity): Record<string, unknown> {
  const hasAddress = [
    user.addressLine1,
    user.addressLine2,
    user.addressCity,
    user.addressPostcode,
    user.addressCountry,
  ].some((v) => v !== null);
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    organisation: user.organisation,
    organisationUrl: user.organisationUrl,
    jobTitle: user.jobTitle,
    referralSource: user.referralSource,
    phone: user.phone,
    fax: user.fax,
    address: hasAddress
      ? {
          line1: user.addressLine1,
          line2: user.addressLine2,
          city: user.addressCity,
          postcode: user.addressPostcode,
          country: user.addressCountry,
        }
      : null,
    role: user.role,
    keepBillingDetails: user.keepBillingDetails,
    keepOrderHistory: user.keepOrderHistory,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
    closedAt: user.closedAt?.toISOString() ?? null,
  };
}
