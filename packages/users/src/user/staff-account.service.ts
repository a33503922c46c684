import {
  AuditAction,
  isDuplicateKeyError,
  newId,
  paginate,
  readFromReplica,
  requireUser,
  Role,
  SecurityEventKind,
  ValidationException,
  type AuditLog,
  type Connection,
  type RequestContext,
  type SecurityLog,
} from "@honour/platform";
import type { PasswordService } from "../password/password.service";
import type { SessionService } from "../session/session.service";
import {
  AccountClosedException,
  EmailTakenException,
  UserNotFoundException,
  UsersErrorCode,
  UsersException,
} from "../users.exception";
import type { AccountCorrections, UserSearchArgs } from "./account-details";
import { changedFields, correctionsOf, FieldChecks } from "./field-checks";
import { UserEntity } from "./user.entity";
import { findUser, insertUser, NO_CONTACT_DETAILS, withoutHash } from "./user-records";
import { endAddressLinks } from "../email-change/address-links";
import { endPasswordResets } from "../password-reset/password-reset.service";

/** Longest search text accepted by {@link StaffAccountService.list}. */
export const USER_SEARCH_MAX_LENGTH = 100;

/** What {@link StaffAccountService.ensureAdmin} did. */
export type EnsureAdminOutcome = "created" | "promoted" | "unchanged";

/**
 * Staff work on other people's accounts: search, reading one, corrections at the person's request,
 * roles, and the administrator account the site starts with. Every read and change of someone's
 * account is recorded in the audit log, in one transaction with it.
 */
export class StaffAccountService {
  constructor(
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly securityLog: SecurityLog,
    private readonly audit: AuditLog,
  ) {}

  /**
   * A page of accounts, newest first; `search` matches part of the email or the name, ignoring
   * case. For staff: every account returned, but the caller's own, is recorded in the audit log
   * as PERSON_VIEWED (one statement for the page) before the page is returned. The page is read
   * from a read replica when there is one (docs/scaling.md); the audit entries go to the primary.
   */
  async list(ctx: RequestContext, args: UserSearchArgs): Promise<Connection<UserEntity>> {
    const page = await readFromReplica(ctx, (replica) => this.search(replica, args));
    await ctx.transaction((tx) =>
      this.recordPersonViews(
        tx,
        page.nodes.map((u) => u.id),
      ),
    );
    return page;
  }

  /** PERSON_VIEWED for each account a staff member read, leaving out their own: one statement. */
  private async recordPersonViews(ctx: RequestContext, userIds: readonly string[]): Promise<void> {
    const subjects = [...new Set(userIds)].filter((id) => id !== ctx.userId);
    await this.audit.recordMany(
      ctx,
      subjects.map((subjectId) => ({ action: AuditAction.PERSON_VIEWED, subjectId })),
    );
  }

  /**
   * One account, for staff: `NOT_FOUND` for an unknown id. Recorded in the audit log as
   * PERSON_VIEWED unless it is the caller's own account, in one transaction with the read.
   */
  async viewAsStaff(ctx: RequestContext, userId: string): Promise<UserEntity> {
    return ctx.transaction(async (tx) => {
      const user = await findUser(tx, userId);
      if (!user) throw new UserNotFoundException();
      await this.recordPersonViews(tx, [user.id]);
      return user;
    });
  }

  /**
   * Staff correct someone's account at their request (rectification), with the same checks as
   * {@link updateProfile}; a new email must be free (`CONFLICT`) but needs no password. Throws
   * `FORBIDDEN` for the caller's own account (that is `updateProfile`, with its password check),
   * then one `BAD_USER_INPUT` listing every invalid field, then `NOT_FOUND` for an unknown id,
   * `CONFLICT` for a closed account and, unless the caller is ADMIN, `FORBIDDEN` for a staff
   * account. The audit log
   * records PERSON_CORRECTED with the names of the changed fields (never their values) and the
   * security log a staff action, in one transaction with the change.
   */
  async correctAccount(ctx: RequestContext, userId: string, changes: AccountCorrections): Promise<UserEntity> {
    const actor = requireUser(ctx);
    if (actor.userId === userId) {
      throw new UsersException(UsersErrorCode.OWN_ACCOUNT, "Correct your own account with updateProfile.");
    }
    // Every invalid field first, in one answer, before anything that needs the database.
    const checks = new FieldChecks();
    const set = correctionsOf(checks, changes);
    checks.throwIfAny();
    try {
      return await ctx.transaction(async (tx) => {
        const user = await findUser(tx, userId);
        if (!user) throw new UserNotFoundException();
        if (user.closedAt) throw new AccountClosedException();
        // Staff accounts carry rights: only an administrator corrects them.
        if (user.role !== Role.CUSTOMER && actor.role !== Role.ADMIN) {
          throw new UsersException(UsersErrorCode.STAFF_ACCOUNT, "Only an administrator can correct a staff account.");
        }
        if (set.email === user.email) delete set.email;
        const fields = changedFields(user, set);
        if (fields.length === 0) {
          // Nothing to correct, but the caller gets the record back: a read like any other.
          await this.recordPersonViews(tx, [user.id]);
          return user;
        }
        if (set.email !== undefined && (await tx.manager.existsBy(UserEntity, { email: set.email }))) {
          throw new EmailTakenException();
        }
        const updatedAt = tx.clock.now();
        // A corrected address is not proved the person's: unverified, and the old one's links die.
        const unproved = set.email !== undefined ? { emailVerifiedAt: null } : {};
        await tx.manager.update(UserEntity, { id: user.id }, { ...set, ...unproved, updatedAt });
        if (set.email !== undefined) await endAddressLinks(tx, user.id);
        await this.audit.record(tx, {
          action: AuditAction.PERSON_CORRECTED,
          subjectId: user.id,
          detail: fields.join(","),
        });
        await this.securityLog.record(tx, {
          kind: SecurityEventKind.STAFF_ACTION,
          userId: actor.userId,
          detail: `corrected account ${user.id}`,
        });
        return Object.assign(user, set, { updatedAt });
      });
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new EmailTakenException();
      throw error;
    }
  }

  private search(ctx: RequestContext, args: UserSearchArgs): Promise<Connection<UserEntity>> {
    const query = ctx.manager.createQueryBuilder(UserEntity, "u");
    const search = args.search?.trim().toLowerCase();
    if (search) {
      if (search.length > USER_SEARCH_MAX_LENGTH) {
        throw new ValidationException([
          { field: "search", message: `must be at most ${USER_SEARCH_MAX_LENGTH} characters` },
        ]);
      }
      // "!" as the escape character: backslash means different things in MySQL and SQLite literals.
      const pattern = `%${search.replace(/[!%_]/g, (c) => `!${c}`)}%`;
      query.where("(LOWER(u.email) LIKE :pattern ESCAPE '!' OR LOWER(u.name) LIKE :pattern ESCAPE '!')", { pattern });
    }
    return paginate(query, args);
  }
  /**
   * Gives an account a role, in one transaction with its audit and security log entries. Nobody
   * changes their own role, so an administrator cannot demote themselves by accident and leave
   * the site without one. Throws `NOT_FOUND` for an unknown id.
   */
  async setRole(ctx: RequestContext, userId: string, role: Role): Promise<UserEntity> {
    if (!Object.values(Role).includes(role))
      throw new ValidationException([{ field: "role", message: "is not a role" }]);
    if (ctx.userId === userId) throw new UsersException(UsersErrorCode.OWN_ROLE, "You cannot change your own role.");
    return ctx.transaction(async (tx) => {
      const user = await findUser(tx, userId);
      if (!user) throw new UserNotFoundException();
      if (user.role === role) return user;
      const updatedAt = tx.clock.now();
      await tx.manager.update(UserEntity, { id: userId }, { role, updatedAt });
      await this.audit.record(tx, { action: AuditAction.ROLE_CHANGED, subjectId: userId, detail: role });
      await this.securityLog.record(tx, {
        kind: SecurityEventKind.STAFF_ACTION,
        userId: tx.userId,
        detail: `set role of ${userId} to ${role}`,
      });
      return Object.assign(user, { role, updatedAt });
    });
  }

  /**
   * Makes sure the administrator named by `HONOUR_ADMIN_EMAIL` can sign in with ADMIN rights.
   * Idempotent: an open ADMIN account is left as it is (it keeps the password its owner chose).
   * A missing account is created with `password`. An existing account that is not an open ADMIN
   * is promoted, reopened, given `password` and signed out everywhere: whoever registered that
   * address before does not get the rights with a password of their own.
   */
  async ensureAdmin(
    ctx: RequestContext,
    email: string,
    password: string,
  ): Promise<{ user: UserEntity; outcome: EnsureAdminOutcome }> {
    const checks = new FieldChecks();
    const normalised = checks.email(email);
    checks.password("password", password);
    checks.throwIfAny();

    const existing = await ctx.manager.findOneBy(UserEntity, { email: normalised });
    if (existing?.role === Role.ADMIN && !existing.closedAt) return { user: existing, outcome: "unchanged" };

    const passwordHash = await this.passwords.hash(password);
    const now = ctx.clock.now();
    if (!existing) {
      const user: UserEntity = Object.assign(new UserEntity(), {
        id: newId(now.getTime()),
        email: normalised,
        passwordHash,
        name: "Administrator",
        organisation: null,
        organisationUrl: null,
        jobTitle: null,
        referralSource: null,
        ...NO_CONTACT_DETAILS,
        role: Role.ADMIN,
        keepBillingDetails: true,
        keepOrderHistory: true,
        createdAt: now,
        updatedAt: now,
        closedAt: null,
      });
      try {
        await insertUser(ctx, user);
      } catch (error) {
        // Another process (gateway and worker start together) created it a moment ago.
        if (!isDuplicateKeyError(error)) throw error;
        return { user: await ctx.manager.findOneByOrFail(UserEntity, { email: normalised }), outcome: "unchanged" };
      }
      return { user: withoutHash(user), outcome: "created" };
    }
    await ctx.transaction(async (tx) => {
      await tx.manager.update(
        UserEntity,
        { id: existing.id },
        { role: Role.ADMIN, closedAt: null, passwordHash, updatedAt: now },
      );
      await this.sessions.revokeAll(tx, existing.id);
      // A reset link mailed before would undo the password just set.
      await endPasswordResets(tx, existing.id);
    });
    return { user: Object.assign(existing, { role: Role.ADMIN, closedAt: null, updatedAt: now }), outcome: "promoted" };
  }
}
