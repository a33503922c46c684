import { isDuplicateKeyError, newId, Role, type DomainEvents, type RequestContext } from "@honour/platform";
import type { EmailVerificationService } from "../email-verification/email-verification.service";
import type { PasswordPolicy } from "../password/password-policy";
import type { PasswordService } from "../password/password.service";
import type { SessionService } from "../session/session.service";
import type { RegistrationDetails } from "../user/account-details";
import { FieldChecks, OPTIONAL_FIELDS } from "../user/field-checks";
import { UserEntity } from "../user/user.entity";
import { insertUser, NO_CONTACT_DETAILS, withoutHash } from "../user/user-records";
import { EmailTakenException } from "../users.exception";
import type { SignedIn } from "./authentication.service";

/** New customer accounts: registration, and signing the new account in. */
export class RegistrationService {
  constructor(
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly events: DomainEvents,
    private readonly verifications: EmailVerificationService,
    private readonly passwordPolicy: PasswordPolicy,
  ) {}

  /**
   * Creates a CUSTOMER account. Throws `BAD_USER_INPUT` listing every invalid field (a password
   * shorter than 10 characters among them) and `CONFLICT` when the email is registered already,
   * in whatever case. A password among the most common is `BAD_USER_INPUT` on `input.password`
   * (reason PASSWORD_TOO_COMMON, with a `hint`).
   *
   * The address is not verified yet: the welcome mail carries a verification link (24 hours), and
   * consent keeps the communications chosen on the form pending until the link is used.
   */
  async register(ctx: RequestContext, details: RegistrationDetails): Promise<UserEntity> {
    const checks = new FieldChecks();
    const email = checks.email(details.email);
    const name = checks.name(details.name);
    const optional = Object.fromEntries(OPTIONAL_FIELDS.map((f) => [f, checks.optional(f, details[f])]));
    const communications = checks.communications(details.communications);
    checks.password("password", details.password);
    checks.throwIfAny();
    await this.passwordPolicy.check("input.password", details.password);

    // Hash before the first query, so that no lock is held through scrypt's fraction of a second.
    const passwordHash = await this.passwords.hash(details.password);
    if (await ctx.manager.existsBy(UserEntity, { email })) throw new EmailTakenException();
    const now = ctx.clock.now();
    const user: UserEntity = Object.assign(new UserEntity(), {
      id: newId(now.getTime()),
      email,
      passwordHash,
      name,
      ...optional,
      ...NO_CONTACT_DETAILS,
      role: Role.CUSTOMER,
      keepBillingDetails: true,
      keepOrderHistory: true,
      createdAt: now,
      updatedAt: now,
      emailVerifiedAt: null,
      closedAt: null,
    });
    try {
      await ctx.transaction(async (tx) => {
        await insertUser(tx, user);
        // Consent records the form's choices in this same transaction: no account without them. They
        // stay pending until the address is verified, so nobody can opt in an address not theirs.
        await this.events.publish(tx, "users.registered", { userId: user.id, email, communications });
        await this.verifications.issue(tx, user, "WELCOME");
      });
    } catch (error) {
      // Someone registered the same address between the check and the insert.
      if (isDuplicateKeyError(error)) throw new EmailTakenException();
      throw error;
    }
    return withoutHash(user);
  }

  /**
   * Registers and signs the new account in. The session the request came with, if any, ends: a
   * browser holds one session. One transaction (joined when the caller has one open): no account
   * without its session. The session keeps the browser and OS families of `userAgent`.
   */
  async signUp(ctx: RequestContext, details: RegistrationDetails, userAgent?: string): Promise<SignedIn> {
    return ctx.transaction(async (tx) => {
      const user = await this.register(tx, details);
      await this.sessions.revokeCurrent(tx);
      return { user, session: await this.sessions.create(tx, user.id, userAgent) };
    });
  }
}
