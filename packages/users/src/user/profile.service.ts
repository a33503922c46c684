import {
  SecurityEventKind,
  requireUser,
  type DomainEvents,
  type JobQueue,
  type RequestContext,
  type SecurityLog,
} from "@honour/platform";
import type { AuthenticationService } from "../auth/authentication.service";
import { enqueuePasswordChangedMail } from "../password/password-mail";
import type { PasswordService } from "../password/password.service";
import { endPasswordResets } from "../password-reset/password-reset.service";
import type { SessionService } from "../session/session.service";
import type { PasswordPolicy } from "../password/password-policy";
import { UserNotFoundException, UsersErrorCode, UsersException } from "../users.exception";
import type { PasswordChange, ProfileChanges } from "./account-details";
import {
  correctionsOf,
  FieldChecks,
  RETENTION_SWITCHES,
  type CorrectableColumn,
  type RetentionSwitch,
} from "./field-checks";
import { UserEntity } from "./user.entity";
import { findWithHash, withoutHash } from "./user-records";

/** The signed-in person's own account: corrections to their details, their choices and their password. */
export class ProfileService {
  constructor(
    private readonly passwords: PasswordService,
    private readonly authentication: AuthenticationService,
    private readonly sessions: SessionService,
    private readonly events: DomainEvents,
    private readonly jobs: JobQueue,
    private readonly securityLog: SecurityLog,
    private readonly passwordPolicy: PasswordPolicy,
  ) {}

  /**
   * Corrects the signed-in user's own details. Throws one `BAD_USER_INPUT` listing every invalid
   * field (the email as normalised, so surrounding spaces are no error). A different email is
   * refused (`BAD_USER_INPUT` on `input.email`, reason EMAIL_CHANGE_NEEDS_CONFIRMATION): the address
   * changes only through `requestEmailChange`, whose link proves the new mailbox is the person's.
   * The same address (in any case) is no change.
   */
  async updateProfile(ctx: RequestContext, changes: ProfileChanges): Promise<UserEntity> {
    const actor = requireUser(ctx);
    const user = await findWithHash(ctx, { id: actor.userId });
    if (!user) throw new UserNotFoundException();

    const checks = new FieldChecks();
    const set: Partial<Pick<UserEntity, CorrectableColumn | RetentionSwitch>> = correctionsOf(checks, changes);
    if (set.email === user.email) delete set.email;
    checks.givenPassword("currentPassword", changes.currentPassword, false);
    for (const field of RETENTION_SWITCHES) {
      const value = changes[field];
      if (value === null) checks.fail(field, "must be true or false");
      else if (value !== undefined && value !== user[field]) set[field] = value;
    }
    // Every invalid field in one answer.
    checks.throwIfAny();
    if (set.email !== undefined) {
      // Switching here would give the account an address nobody proved is the person's.
      throw new UsersException(
        UsersErrorCode.EMAIL_CHANGE_NEEDS_CONFIRMATION,
        "The email address is changed with requestEmailChange, which mails a link to confirm the new address.",
        [
          {
            field: "input.email",
            message: "is changed with requestEmailChange, which mails a link to the new address",
          },
        ],
      );
    }
    if (Object.keys(set).length === 0) return withoutHash(user);

    const updatedAt = ctx.clock.now();
    const switched = RETENTION_SWITCHES.some((field) => set[field] !== undefined);
    const write = async (tx: RequestContext) => {
      await tx.manager.update(UserEntity, { id: user.id }, { ...set, updatedAt });
      // Other domains (orders) drop what the profile no longer keeps, in this same transaction.
      if (switched) {
        await this.events.publish(tx, "users.profileSettingsChanged", {
          userId: user.id,
          keepBillingDetails: set.keepBillingDetails ?? user.keepBillingDetails,
          keepOrderHistory: set.keepOrderHistory ?? user.keepOrderHistory,
        });
      }
    };
    await (switched ? ctx.transaction(write) : write(ctx));
    return withoutHash(Object.assign(user, set, { updatedAt }));
  }

  /**
   * Changes the signed-in user's password and ends every other session of theirs, keeping the
   * one this request came with, and every password reset link mailed before. A wrong current password is `BAD_USER_INPUT` on
   * `input.currentPassword` (throttled like sign-in); a weak new one on `input.newPassword`.
   *
   * Must be called outside a transaction; it opens its own for the writes.
   */
  async changePassword(ctx: RequestContext, change: PasswordChange): Promise<void> {
    const actor = requireUser(ctx);
    const checks = new FieldChecks();
    checks.givenPassword("currentPassword", change.currentPassword, true);
    checks.password("newPassword", change.newPassword);
    checks.throwIfAny();
    await this.passwordPolicy.check("input.newPassword", change.newPassword);
    const user = await findWithHash(ctx, { id: actor.userId });
    if (!user) throw new UserNotFoundException();
    await this.authentication.checkCurrentPassword(ctx, user, change.currentPassword, "changePassword");

    const passwordHash = await this.passwords.hash(change.newPassword);
    await ctx.transaction(async (tx) => {
      await tx.manager.update(UserEntity, { id: user.id }, { passwordHash, updatedAt: tx.clock.now() });
      // Whoever else held a session (perhaps the reason for the change) is signed out.
      await this.sessions.revokeOthers(tx, user.id, actor.sessionId);
      // Reset links mailed before are dead: the password they would replace is gone.
      await endPasswordResets(tx, user.id);
      await this.securityLog.record(tx, {
        kind: SecurityEventKind.PASSWORD_CHANGED,
        userId: user.id,
        detail: "changePassword",
      });
      // If it was not them, the owner learns of it by mail.
      await enqueuePasswordChangedMail(tx, this.jobs, user, "every other session of yours was signed out");
    });
  }
}
