import {
  DomainException,
  ErrorCode,
  requireUser,
  SecurityEventKind,
  ValidationException,
  type RequestContext,
  type SecurityLog,
} from "@honour/platform";
import type { PasswordService } from "../password/password.service";
import type { NewSession, SessionService } from "../session/session.service";
import type { MfaService } from "../mfa/mfa.service";
import type { PasskeyService } from "../passkey/passkey.service";
import type { SignInThrottle, ThrottledCheck } from "../sign-in/sign-in-throttle.service";
import { LessThanOrEqual } from "typeorm";
import { REGISTRATION_WINDOW_MS } from "../sign-in/registration-limit";
import { SignInAttemptEntity } from "../sign-in/sign-in-attempt.entity";
import { FieldChecks } from "../user/field-checks";
import { UserEntity } from "../user/user.entity";
import { assertOutsideTransaction, findWithHash, withoutHash } from "../user/user-records";
import {
  InvalidCredentialsException,
  UserNotFoundException,
  UsersErrorCode,
  UsersException,
  WrongPasswordException,
} from "../users.exception";

/** A signed-in user and the session just started for them. */
export interface SignedIn {
  user: UserEntity;
  session: NewSession;
}

/** What `disableTotp` takes. */
export interface DisableTotpDetails {
  currentPassword: string;
  code: string;
}

/**
 * Password checks and the second step of signing in: sign-in, `completeLogin` with a second
 * factor, and the checks of a signed-in person's password before an email change, a password
 * change, turning two-factor off or closing the account. Every check is throttled
 * ({@link SignInThrottle}: growing delays per account and per client IP, only wrong answers
 * counted), so every method runs outside a transaction.
 */
export class AuthenticationService {
  constructor(
    private readonly passwords: PasswordService,
    private readonly throttle: SignInThrottle,
    private readonly sessions: SessionService,
    private readonly mfa: MfaService,
    private readonly passkeys: PasskeyService,
    private readonly securityLog: SecurityLog,
  ) {}

  /**
   * Checks an email and password. Throws `UNAUTHENTICATED` with one message whether the email is
   * unknown, the password wrong or the account closed, and spends the same scrypt time in each
   * case; throws `RATE_LIMITED` (with `retryAfterSeconds`) while the account's or the client's
   * delay runs ({@link SignInThrottle}). Upgrades the stored hash when it was made with older
   * parameters. The email is compared as stored ({@link normaliseEmail}: spaces around it are no
   * error); one that is no email address, or an empty or overlong password, is `BAD_USER_INPUT`
   * listing both, before any attempt is counted. This checks the password only: a caller that
   * signs in must also ask for the second factor ({@link signIn} does).
   *
   * Must be called outside a transaction (a failed attempt has to stay recorded).
   */
  async authenticate(ctx: RequestContext, email: string, password: string): Promise<UserEntity> {
    assertOutsideTransaction(ctx, "authenticate");
    const checks = new FieldChecks();
    const normalised = checks.email(email);
    checks.givenPassword("password", password, true);
    checks.throwIfAny();
    const user = await findWithHash(ctx, { email: normalised });
    // Per account with two-factor on too: the owner gets past the delay with a passkey or a reset link.
    // No account id for the log's refusals: sign-in failures never say whose account was tried.
    const check = await this.throttle.beginPasswordCheck(ctx, normalised);
    const matches = await settled(check, async () =>
      user ? this.passwords.verify(password, user.passwordHash) : this.passwords.verifyNothing(password),
    );
    // A closed account answers like a wrong password: closing it is not announced to anyone.
    if (!user || !matches || user.closedAt) {
      await check.failed();
      throw new InvalidCredentialsException();
    }
    await check.succeeded();
    if (this.passwords.needsRehash(user.passwordHash)) {
      await ctx.manager.update(UserEntity, { id: user.id }, { passwordHash: await this.passwords.hash(password) });
    }
    return withoutHash(user);
  }

  /**
   * {@link authenticate}, then starts a session; the session the request came with, if any, ends.
   * The session keeps the browser and OS families of `userAgent`. With two-factor on, no session:
   * `MFA_REQUIRED` with `challenge` for {@link completeSignIn}. Must be called outside a transaction.
   */
  async signIn(ctx: RequestContext, email: string, password: string, userAgent?: string): Promise<SignedIn> {
    let user: UserEntity;
    try {
      user = await this.authenticate(ctx, email, password);
    } catch (error) {
      // For the security log: where failed and throttled sign-ins come from. Not which email was
      // tried: that would put an address that may belong to nobody here into the log. (The
      // throttle logs its own refusals.)
      if (error instanceof DomainException && error.code === ErrorCode.UNAUTHENTICATED) {
        await this.securityLog.record(ctx, { kind: SecurityEventKind.LOGIN_FAILED, detail: "wrong email or password" });
      }
      throw error;
    }
    if (await this.mfa.isEnabled(ctx, user.id)) {
      const challenge = await this.mfa.issueChallenge(ctx, user.id);
      throw new UsersException(
        UsersErrorCode.MFA_REQUIRED,
        "Enter a code from your authenticator app (or a recovery code) to finish signing in.",
        [],
        { challenge },
      );
    }
    return this.startSession(ctx, user, userAgent, "password");
  }

  /**
   * The second step of a sign-in with two-factor on: redeems the challenge of `MFA_REQUIRED` with a
   * TOTP or recovery code, then starts a session as {@link signIn} would. Outside a transaction.
   */
  async completeSignIn(ctx: RequestContext, challenge: string, code: string, userAgent?: string): Promise<SignedIn> {
    assertOutsideTransaction(ctx, "completeLogin");
    const userId = await this.mfa.redeemChallenge(ctx, challenge, code);
    const user = await ctx.manager.findOneBy(UserEntity, { id: userId });
    if (!user || user.closedAt) throw new InvalidCredentialsException();
    return this.startSession(ctx, user, userAgent, "password and second factor");
  }

  /**
   * Signs in with a passkey's answer ({@link PasskeyService.finishSignIn}): a session, as
   * {@link signIn} starts. The passkey (something the person has) with its user verification
   * (something they know or are) stands for both factors: no TOTP is asked for even with
   * two-factor on, and the session counts as signed in with a second factor (`STAFF_MFA`).
   */
  async signInWithPasskey(ctx: RequestContext, response: unknown, userAgent?: string): Promise<SignedIn> {
    const user = await this.passkeys.finishSignIn(ctx, response);
    return this.startSession(ctx, user, userAgent, "passkey");
  }

  /**
   * Starts a session for `user`, who has proved who they are (`how`, for the security log); any
   * way but a password alone is a second factor.
   */
  async startSession(
    ctx: RequestContext,
    user: UserEntity,
    userAgent: string | undefined,
    how: "password" | "password and second factor" | "passkey",
  ): Promise<SignedIn> {
    await this.securityLog.record(ctx, { kind: SecurityEventKind.LOGIN_SUCCEEDED, userId: user.id, detail: how });
    await this.sessions.revokeCurrent(ctx);
    const secondFactor = how !== "password";
    return { user, session: await this.sessions.create(ctx, user.id, userAgent, secondFactor) };
  }

  /**
   * Turns two-factor off for the signed-in user, with their password and a code (TOTP or
   * recovery): a wrong password is `BAD_USER_INPUT` on `input.currentPassword`, a wrong code on
   * `input.code`, both throttled. Outside a transaction.
   */
  async disableTotp(ctx: RequestContext, details: DisableTotpDetails): Promise<void> {
    assertOutsideTransaction(ctx, "disableTotp");
    const { userId } = requireUser(ctx);
    const user = await findWithHash(ctx, { id: userId });
    if (!user) throw new UserNotFoundException();
    // Off already: said at once, without spending scrypt on the password.
    if (!(await this.mfa.isEnabled(ctx, userId))) {
      throw new UsersException(UsersErrorCode.TOTP_NOT_ENABLED, "Two-factor authentication is not on.");
    }
    await this.checkCurrentPassword(
      ctx,
      user,
      typeof details.currentPassword === "string" ? details.currentPassword : "",
      "disableTotp",
    );
    await this.mfa.disable(ctx, userId, details.code);
  }

  /**
   * Checks the password of account `userId` before something that cannot be undone (closing the
   * account). A wrong password throws `UNAUTHENTICATED` ("The password is not correct.": no email
   * was typed) and counts towards the sign-in throttle of the account's email; while its delay
   * runs, `RATE_LIMITED` even with the right password. Failures go to the security log as sign-in
   * failures do. `NOT_FOUND` for an unknown id; a closed account never matches.
   *
   * Must be called outside a transaction (a failed attempt has to stay recorded).
   */
  async verifyPassword(ctx: RequestContext, userId: string, password: string): Promise<void> {
    assertOutsideTransaction(ctx, "verifyPassword");
    const user = await findWithHash(ctx, { id: userId });
    if (!user) throw new UserNotFoundException();
    const check = await this.throttle.beginPasswordCheck(ctx, user.email, { userId });
    const matches = await settled(check, () => this.passwords.verify(password, user.passwordHash));
    if (!matches || user.closedAt) {
      await check.failed();
      await this.securityLog.record(ctx, { kind: SecurityEventKind.LOGIN_FAILED, userId, detail: "wrong password" });
      throw new WrongPasswordException();
    }
    await check.succeeded();
  }

  /**
   * Verifies the signed-in user's password before a change to their account: a wrong one is
   * `BAD_USER_INPUT` on `input.currentPassword`, throttled with the sign-ins of their email.
   */
  async checkCurrentPassword(ctx: RequestContext, user: UserEntity, password: string, method: string): Promise<void> {
    assertOutsideTransaction(ctx, method);
    const check = await this.throttle.beginPasswordCheck(ctx, user.email, { userId: user.id });
    const matches = await settled(check, () => this.passwords.verify(password, user.passwordHash));
    if (!matches) {
      await check.failed();
      throw new ValidationException([{ field: "input.currentPassword", message: "is not your current password" }]);
    }
    await check.succeeded();
  }

  /**
   * Deletes throttle counters that no longer count, request counts (`sign_in_attempt`: reset
   * requests, registrations) older than the longest window that uses them
   * ({@link REGISTRATION_WINDOW_MS}), and expired two-factor challenges. Returns how many.
   */
  async deleteStaleSignInAttempts(ctx: RequestContext): Promise<number> {
    const cutoff = new Date(ctx.clock.now().getTime() - REGISTRATION_WINDOW_MS);
    const requests = await ctx.manager.delete(SignInAttemptEntity, { attemptedAt: LessThanOrEqual(cutoff) });
    return (
      (await this.throttle.deleteStale(ctx)) +
      (requests.affected ?? 0) +
      (await this.mfa.deleteExpiredChallenges(ctx)) +
      (await this.passkeys.deleteExpiredChallenges(ctx))
    );
  }
}

/** Runs the check itself; if it throws (no answer, e.g. the database is away), the check counts nothing. */
async function settled<T>(check: ThrottledCheck, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    await check.abandon().catch(() => undefined);
    throw error;
  }
}
