import {
  DomainException,
  ErrorCode,
  SecurityEventKind,
  ValidationException,
  type RequestContext,
  type SecurityLog,
} from "@honour/platform";
import type { PasswordService } from "../password/password.service";
import type { NewSession, SessionService } from "../session/session.service";
import type { SignInThrottleService } from "../sign-in/sign-in-throttle.service";
import { FieldChecks } from "../user/field-checks";
import { UserEntity } from "../user/user.entity";
import { assertOutsideTransaction, findWithHash, withoutHash } from "../user/user-records";
import { InvalidCredentialsException, UserNotFoundException, WrongPasswordException } from "../users.exception";

/** A signed-in user and the session just started for them. */
export interface SignedIn {
  user: UserEntity;
  session: NewSession;
}

/**
 * Password checks: sign-in, and the checks of a signed-in person's password before an email
 * change, a password change or closing the account. Every check is throttled per email
 * ({@link SignInThrottleService}), so every method runs outside a transaction.
 */
export class AuthenticationService {
  constructor(
    private readonly passwords: PasswordService,
    private readonly throttle: SignInThrottleService,
    private readonly sessions: SessionService,
    private readonly securityLog: SecurityLog,
  ) {}

  /**
   * Checks an email and password. Throws `UNAUTHENTICATED` with one message whether the email is
   * unknown, the password wrong or the account closed, and spends the same scrypt time in each
   * case; throws `RATE_LIMITED` after 5 failures for the email within 15 minutes. Upgrades the
   * stored hash when it was made with older parameters. The email is compared as stored
   * ({@link normaliseEmail}: spaces around it are no error); one that is no email address, or an
   * empty or overlong password, is `BAD_USER_INPUT` listing both, before any attempt is counted.
   *
   * Must be called outside a transaction (a failed attempt has to stay recorded).
   */
  async authenticate(ctx: RequestContext, email: string, password: string): Promise<UserEntity> {
    assertOutsideTransaction(ctx, "authenticate");
    const checks = new FieldChecks();
    const normalised = checks.email(email);
    checks.givenPassword("password", password, true);
    checks.throwIfAny();
    const attempt = await this.throttle.begin(ctx, normalised);
    const user = await findWithHash(ctx, { email: normalised });
    const matches = user
      ? await this.passwords.verify(password, user.passwordHash)
      : await this.passwords.verifyNothing(password);
    // A closed account answers like a wrong password: closing it is not announced to anyone.
    if (!user || !matches || user.closedAt) throw new InvalidCredentialsException();

    await this.throttle.succeeded(ctx, attempt);
    if (this.passwords.needsRehash(user.passwordHash)) {
      await ctx.manager.update(UserEntity, { id: user.id }, { passwordHash: await this.passwords.hash(password) });
    }
    return withoutHash(user);
  }

  /**
   * {@link authenticate}, then starts a session; the session the request came with, if any, ends.
   * The session keeps the browser and OS families of `userAgent`. Must be called outside a transaction.
   */
  async signIn(ctx: RequestContext, email: string, password: string, userAgent?: string): Promise<SignedIn> {
    let user: UserEntity;
    try {
      user = await this.authenticate(ctx, email, password);
    } catch (error) {
      // For the security log: where failed and throttled sign-ins come from. Not which email was
      // tried: that would put an address that may belong to nobody here into the log.
      if (error instanceof DomainException && error.code === ErrorCode.UNAUTHENTICATED) {
        await this.securityLog.record(ctx, { kind: SecurityEventKind.LOGIN_FAILED, detail: "wrong email or password" });
      } else if (error instanceof DomainException && error.code === ErrorCode.RATE_LIMITED) {
        await this.securityLog.record(ctx, { kind: SecurityEventKind.RATE_LIMITED, detail: "sign-in throttled" });
      }
      throw error;
    }
    await this.securityLog.record(ctx, { kind: SecurityEventKind.LOGIN_SUCCEEDED, userId: user.id });
    await this.sessions.revokeCurrent(ctx);
    return { user, session: await this.sessions.create(ctx, user.id, userAgent) };
  }

  /**
   * Checks the password of account `userId` before something that cannot be undone (closing the
   * account). A wrong password throws `UNAUTHENTICATED` ("The password is not correct.": no email was typed) and counts towards the
   * sign-in throttle of the account's email; once throttled, `RATE_LIMITED` even with the right
   * password. Failures go to the security log as sign-in failures do. `NOT_FOUND` for an unknown
   * id; a closed account never matches.
   *
   * Must be called outside a transaction (a failed attempt has to stay recorded).
   */
  async verifyPassword(ctx: RequestContext, userId: string, password: string): Promise<void> {
    assertOutsideTransaction(ctx, "verifyPassword");
    const user = await findWithHash(ctx, { id: userId });
    if (!user) throw new UserNotFoundException();
    try {
      const attempt = await this.throttle.begin(ctx, user.email);
      if (!(await this.passwords.verify(password, user.passwordHash)) || user.closedAt) {
        throw new WrongPasswordException();
      }
      await this.throttle.succeeded(ctx, attempt);
    } catch (error) {
      if (error instanceof DomainException && error.code === ErrorCode.UNAUTHENTICATED) {
        await this.securityLog.record(ctx, { kind: SecurityEventKind.LOGIN_FAILED, userId, detail: "wrong password" });
      } else if (error instanceof DomainException && error.code === ErrorCode.RATE_LIMITED) {
        await this.securityLog.record(ctx, {
          kind: SecurityEventKind.RATE_LIMITED,
          userId,
          detail: "password check throttled",
        });
      }
      throw error;
    }
  }

  /**
   * Verifies the signed-in user's password before a change to their account: a wrong one is
   * `BAD_USER_INPUT` on `input.currentPassword`, throttled with the sign-ins of their email.
   */
  async checkCurrentPassword(ctx: RequestContext, user: UserEntity, password: string, method: string): Promise<void> {
    assertOutsideTransaction(ctx, method);
    const attempt = await this.throttle.begin(ctx, user.email);
    if (!(await this.passwords.verify(password, user.passwordHash))) {
      throw new ValidationException([{ field: "input.currentPassword", message: "is not your current password" }]);
    }
    await this.throttle.succeeded(ctx, attempt);
  }

  /** Deletes sign-in attempts that no longer count towards throttling. Returns how many. */
  deleteStaleSignInAttempts(ctx: RequestContext): Promise<number> {
    return this.throttle.deleteStale(ctx);
  }
}
