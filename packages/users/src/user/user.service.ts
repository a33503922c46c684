import type { Connection, PersonalDataSubject, RequestContext, Role } from "@honour/platform";
import { In } from "typeorm";
import type { AuthenticationService, DisableTotpDetails, SignedIn } from "../auth/authentication.service";
import type { RegistrationService } from "../auth/registration.service";
import { deleteStaleAddressLinks } from "../email-change/address-links";
import type { PasswordResetDetails, PasswordResetService } from "../password-reset/password-reset.service";
import type { AccountClosureService } from "../privacy/account-closure.service";
import type { RegistrationLimit } from "../sign-in/registration-limit";
import type {
  AccountCorrections,
  PasswordChange,
  ProfileChanges,
  RegistrationDetails,
  UserSearchArgs,
} from "./account-details";
import type { ProfileService } from "./profile.service";
import type { EnsureAdminOutcome, StaffAccountService } from "./staff-account.service";
import { UserEntity } from "./user.entity";
import { findUser } from "./user-records";

/** The services {@link UserService} answers for, each owning one part of accounts. */
export interface UserServiceParts {
  registration: RegistrationService;
  authentication: AuthenticationService;
  profile: ProfileService;
  staff: StaffAccountService;
  closure: AccountClosureService;
  passwordResets: PasswordResetService;
  registrationLimit: RegistrationLimit;
}

/**
 * Accounts, as other domains, the resolvers and the jobs call them (`services.users.users`): one
 * door onto the services that own each part. Reads of accounts are here; everything else is
 * delegated, and documented where it is done:
 *
 * - registration and sign-up: {@link RegistrationService}
 * - sign-in and password checks (throttled): {@link AuthenticationService}
 * - one's own profile and password: {@link ProfileService}
 * - "forgot my password" links: {@link PasswordResetService}
 * - staff search, corrections, roles, the first administrator: {@link StaffAccountService}
 * - the person behind an account, closure and the deletion of closed accounts: {@link AccountClosureService}
 */
export class UserService {
  constructor(private readonly parts: UserServiceParts) {}

  /** The signed-in user's account, or null for anyone else. */
  async current(ctx: RequestContext): Promise<UserEntity | null> {
    return ctx.userId ? findUser(ctx, ctx.userId) : null;
  }

  async findById(ctx: RequestContext, id: string): Promise<UserEntity | null> {
    return findUser(ctx, id);
  }

  /** The accounts with these ids, in no particular order; unknown ids are left out. */
  async findByIds(ctx: RequestContext, ids: readonly string[]): Promise<UserEntity[]> {
    return ids.length === 0 ? [] : ctx.manager.findBy(UserEntity, { id: In([...ids]) });
  }

  /** {@link RegistrationService.register}: a CUSTOMER account. */
  register(ctx: RequestContext, details: RegistrationDetails): Promise<UserEntity> {
    return this.parts.registration.register(ctx, details);
  }

  /**
   * {@link RegistrationService.signUp}: registers and signs in, in one transaction, after counting
   * the registration against the client's IP ({@link RegistrationLimit}: `RATE_LIMITED` beyond it).
   */
  async signUp(ctx: RequestContext, details: RegistrationDetails, userAgent?: string): Promise<SignedIn> {
    if (!ctx.inTransaction) await this.parts.registrationLimit.count(ctx);
    return this.parts.registration.signUp(ctx, details, userAgent);
  }

  /** {@link AuthenticationService.authenticate}. Outside a transaction. */
  authenticate(ctx: RequestContext, email: string, password: string): Promise<UserEntity> {
    return this.parts.authentication.authenticate(ctx, email, password);
  }

  /** {@link AuthenticationService.signIn}. Outside a transaction. */
  signIn(ctx: RequestContext, email: string, password: string, userAgent?: string): Promise<SignedIn> {
    return this.parts.authentication.signIn(ctx, email, password, userAgent);
  }

  /** {@link AuthenticationService.completeSignIn}: the second step with two-factor on. Outside a transaction. */
  completeLogin(ctx: RequestContext, challenge: string, code: string, userAgent?: string): Promise<SignedIn> {
    return this.parts.authentication.completeSignIn(ctx, challenge, code, userAgent);
  }

  /** {@link AuthenticationService.signInWithPasskey}: a session from a passkey's answer. */
  signInWithPasskey(ctx: RequestContext, response: unknown, userAgent?: string): Promise<SignedIn> {
    return this.parts.authentication.signInWithPasskey(ctx, response, userAgent);
  }

  /** {@link AuthenticationService.disableTotp}: with the password and a code. Outside a transaction. */
  disableTotp(ctx: RequestContext, details: DisableTotpDetails): Promise<void> {
    return this.parts.authentication.disableTotp(ctx, details);
  }

  /** {@link AuthenticationService.verifyPassword}: before closing the account. Outside a transaction. */
  verifyPassword(ctx: RequestContext, userId: string, password: string): Promise<void> {
    return this.parts.authentication.verifyPassword(ctx, userId, password);
  }

  /** {@link AuthenticationService.deleteStaleSignInAttempts}: a job. */
  deleteStaleSignInAttempts(ctx: RequestContext): Promise<number> {
    return this.parts.authentication.deleteStaleSignInAttempts(ctx);
  }

  /** {@link ProfileService.updateProfile}. Outside a transaction when the email changes. */
  updateProfile(ctx: RequestContext, changes: ProfileChanges): Promise<UserEntity> {
    return this.parts.profile.updateProfile(ctx, changes);
  }

  /** {@link ProfileService.changePassword}. Outside a transaction. */
  changePassword(ctx: RequestContext, change: PasswordChange): Promise<void> {
    return this.parts.profile.changePassword(ctx, change);
  }

  /** {@link PasswordResetService.request}: always resolves, throttled. Outside a transaction. */
  requestPasswordReset(ctx: RequestContext, email: string): Promise<void> {
    return this.parts.passwordResets.request(ctx, email);
  }

  /** {@link PasswordResetService.reset}: new password, every session ended, this one signed in. Outside a transaction. */
  resetPassword(ctx: RequestContext, details: PasswordResetDetails, userAgent?: string): Promise<SignedIn> {
    return this.parts.passwordResets.reset(ctx, details, userAgent);
  }

  /** {@link PasswordResetService.deleteStale}: a job. */
  deleteStalePasswordResets(ctx: RequestContext): Promise<number> {
    return this.parts.passwordResets.deleteStale(ctx);
  }

  /** {@link deleteStaleAddressLinks}: a job. */
  deleteStaleAddressLinks(ctx: RequestContext): Promise<number> {
    return deleteStaleAddressLinks(ctx);
  }

  /** {@link StaffAccountService.list}: audited. */
  list(ctx: RequestContext, args: UserSearchArgs): Promise<Connection<UserEntity>> {
    return this.parts.staff.list(ctx, args);
  }

  /** {@link StaffAccountService.viewAsStaff}: audited. */
  viewAsStaff(ctx: RequestContext, userId: string): Promise<UserEntity> {
    return this.parts.staff.viewAsStaff(ctx, userId);
  }

  /** {@link StaffAccountService.correctAccount}: rectification, audited. */
  correctAccount(ctx: RequestContext, userId: string, changes: AccountCorrections): Promise<UserEntity> {
    return this.parts.staff.correctAccount(ctx, userId, changes);
  }

  /** {@link StaffAccountService.setRole}: audited, in one transaction. */
  setRole(ctx: RequestContext, userId: string, role: Role): Promise<UserEntity> {
    return this.parts.staff.setRole(ctx, userId, role);
  }

  /** {@link StaffAccountService.ensureAdmin}: at start-up. */
  ensureAdmin(
    ctx: RequestContext,
    email: string,
    password: string,
  ): Promise<{ user: UserEntity; outcome: EnsureAdminOutcome }> {
    return this.parts.staff.ensureAdmin(ctx, email, password);
  }

  /** {@link AccountClosureService.personalDataSubject}: who the account stands for. */
  personalDataSubject(ctx: RequestContext, userId: string): Promise<PersonalDataSubject> {
    return this.parts.closure.personalDataSubject(ctx, userId);
  }

  /** {@link AccountClosureService.close}: erasure in every domain. Check the password first with {@link verifyPassword}. */
  close(ctx: RequestContext, userId: string): Promise<UserEntity> {
    return this.parts.closure.close(ctx, userId);
  }

  /** {@link AccountClosureService.deleteClosedAccounts}: a job. */
  deleteClosedAccounts(ctx: RequestContext): Promise<number> {
    return this.parts.closure.deleteClosedAccounts(ctx);
  }
}
