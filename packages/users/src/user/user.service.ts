import {
  AuditAction,
  type AuditLog,
  Channel,
  Topic,
  type CommunicationChoice,
  type DomainEvents,
  DomainException,
  ErrorCode,
  SecurityEventKind,
  type SecurityLog,
  type JobQueue,
  enqueueTransactionalMail,
  ForbiddenException,
  newId,
  NotFoundException,
  paginate,
  Role,
  UnauthenticatedException,
  ValidationException,
  type Actor,
  type Connection,
  type FieldError,
  type PageArgs,
  type PersonalDataRegistry,
  type PersonalDataSubject,
  type RequestContext,
  lockRows,
} from "@honour/platform";
import { isEmail, isISO31661Alpha2, isURL } from "class-validator";
import { In, LessThanOrEqual, type FindOptionsWhere } from "typeorm";
import { PASSWORD_MAX_LENGTH, passwordRuleViolation, type PasswordService } from "../password/password.service";
import type { NewSession, SessionService } from "../session/session.service";
import type { SignInThrottleService } from "../sign-in/sign-in-throttle.service";
import {
  AccountClosedException,
  EmailTakenException,
  InvalidCredentialsException,
  isDuplicateKeyError,
} from "../users.exception";
import { USER_LIMITS, UserEntity } from "./user.entity";

/** What a person gives when registering. The last four are optional. */
export interface RegistrationDetails {
  email: string;
  password: string;
  name: string;
  organisation?: string | null;
  organisationUrl?: string | null;
  jobTitle?: string | null;
  referralSource?: string | null;
  /**
   * The topic/channel pairs the registration form had ticked; null or left out when the form
   * offered no choice (consent then applies the policy's soft opt-in). At most one of each pair.
   */
  communications?: readonly CommunicationChoice[] | null;
}

/** A postal address as given in a profile change; `line2` may be left out. */
export interface PostalAddressChange {
  line1: string;
  line2?: string | null;
  city: string;
  postcode: string;
  country: string;
}

/**
 * Corrections to one's own profile. A field left out (undefined) stays as it is; `null` clears
 * an optional field. Changing the email needs `currentPassword`.
 */
export interface ProfileChanges {
  email?: string | null;
  name?: string | null;
  organisation?: string | null;
  organisationUrl?: string | null;
  jobTitle?: string | null;
  referralSource?: string | null;
  /** E.164, or written with spaces, dashes, dots or brackets that are dropped (`+44 20 7946 0000`). */
  phone?: string | null;
  fax?: string | null;
  /** The whole address at once; null clears it. */
  address?: PostalAddressChange | null;
  currentPassword?: string | null;
  /** Keep saved payment methods on the profile; off deletes them at once. */
  keepBillingDetails?: boolean | null;
  /** Keep past orders in the account's history; off detaches them (they stay for accounting). */
  keepOrderHistory?: boolean | null;
}

/**
 * What staff may correct on someone's account at their request (rectification): the details the
 * person gave, not their choices (the retention switches) and not their password.
 */
export type AccountCorrections = Omit<ProfileChanges, "currentPassword" | "keepBillingDetails" | "keepOrderHistory">;

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
}

/** Staff search over accounts: a page, optionally filtered by part of the email or name. */
export interface UserSearchArgs extends PageArgs {
  search?: string | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Closed accounts deleted per statement by {@link UserService.deleteClosedAccounts}. */
const CLOSED_ACCOUNTS_BATCH = 500;

/** Longest search text accepted by {@link UserService.list}. */
export const USER_SEARCH_MAX_LENGTH = 100;

/** A signed-in user and the session just started for them. */
export interface SignedIn {
  user: UserEntity;
  session: NewSession;
}

/** What {@link UserService.ensureAdmin} did. */
export type EnsureAdminOutcome = "created" | "promoted" | "unchanged";

/**
 * The form an email address is stored and compared in: Unicode NFC, trimmed, lower-case.
 * Other packages that key data by email (consent, suppression list) must use the same form.
 */
export function normaliseEmail(email: string): string {
  return email.normalize("NFC").trim().toLowerCase();
}

/** E.164: a plus sign, a country code that does not start with 0, at most 15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * The E.164 form of a telephone or fax number, or null when it is not one. Spaces, dashes, dots
 * and brackets are dropped first (`+44 (20) 7946-0000` is `+442079460000`); a national number
 * without its country code is refused, since its country cannot be known. Other packages that
 * key data by number (the suppression list) must use the same form.
 */
export function normalisePhoneNumber(value: string): string | null {
  const compact = value.normalize("NFKC").replace(/[\s().-]/g, "");
  return E164.test(compact) ? compact : null;
}

/** Most registration choices there can be: every topic on every channel. */
const MAX_COMMUNICATIONS = Object.keys(Topic).length * Object.keys(Channel).length;

type OptionalField = "organisation" | "organisationUrl" | "jobTitle" | "referralSource";
type AddressColumn = "addressLine1" | "addressLine2" | "addressCity" | "addressPostcode" | "addressCountry";

/** A new account's contact details beyond its email: none until the person adds them. */
const NO_CONTACT_DETAILS = Object.freeze({
  phone: null,
  fax: null,
  addressLine1: null,
  addressLine2: null,
  addressCity: null,
  addressPostcode: null,
  addressCountry: null,
});

/** What the profile may keep besides the account (the policy's "you may opt out at any time"). */
const RETENTION_SWITCHES = ["keepBillingDetails", "keepOrderHistory"] as const;
type RetentionSwitch = (typeof RETENTION_SWITCHES)[number];
const OPTIONAL_FIELDS: readonly OptionalField[] = ["organisation", "organisationUrl", "jobTitle", "referralSource"];

/**
 * Collects every invalid field of an input so the person can fix them all at once. Field paths
 * name the GraphQL argument (`input.email`), as the gateway reports class-validator's errors.
 */
class FieldChecks {
  private readonly errors: FieldError[] = [];

  fail(name: string, message: string): void {
    this.errors.push({ field: `input.${name}`, message });
  }

  email(value: string | null | undefined): string {
    const email = normaliseEmail(value ?? "");
    if (email.length > USER_LIMITS.email) this.fail("email", `must be at most ${USER_LIMITS.email} characters`);
    else if (!isEmail(email)) this.fail("email", "must be an email address");
    return email;
  }

  name(value: string | null | undefined): string {
    const name = (value ?? "").trim();
    if (name === "") this.fail("name", "must not be empty");
    else if (name.length > USER_LIMITS.name) this.fail("name", `must be at most ${USER_LIMITS.name} characters`);
    return name;
  }

  /** A telephone or fax number in E.164; an empty answer is stored as no answer. */
  phone(field: "phone" | "fax", value: string | null | undefined): string | null {
    const text = value?.trim() || null;
    if (text === null) return null;
    const e164 = normalisePhoneNumber(text);
    if (!e164) this.fail(field, "must be a telephone number in international form, like +44 20 7946 0000");
    return e164;
  }

  /** A whole postal address: line1, city, postcode and country are required; null clears it. */
  address(value: PostalAddressChange | null): Pick<UserEntity, AddressColumn> {
    if (value === null) {
      return { addressLine1: null, addressLine2: null, addressCity: null, addressPostcode: null, addressCountry: null };
    }
    const text = (name: string, raw: string | null | undefined, max: number, required: boolean) => {
      const trimmed = (raw ?? "").trim().replace(/\s+/g, " ");
      if (trimmed === "") {
        if (required) this.fail(`address.${name}`, "must not be empty");
        return null;
      }
      if (trimmed.length > max) this.fail(`address.${name}`, `must be at most ${max} characters`);
      return trimmed;
    };
    const country = (value.country ?? "").trim().toUpperCase();
    if (!isISO31661Alpha2(country)) this.fail("address.country", "must be an ISO 3166-1 alpha-2 country code");
    return {
      addressLine1: text("line1", value.line1, USER_LIMITS.addressLine1, true),
      addressLine2: text("line2", value.line2, USER_LIMITS.addressLine2, false),
      addressCity: text("city", value.city, USER_LIMITS.addressCity, true),
      addressPostcode: text("postcode", value.postcode, USER_LIMITS.addressPostcode, true)?.toUpperCase() ?? null,
      addressCountry: country,
    };
  }

  /** The registration form's ticked pairs: known topics and channels, each pair at most once. */
  communications(value: readonly CommunicationChoice[] | null | undefined): CommunicationChoice[] | null {
    if (value === null || value === undefined) return null;
    if (value.length > MAX_COMMUNICATIONS) {
      this.fail("communications", `must have at most ${MAX_COMMUNICATIONS} entries`);
      return null;
    }
    const seen = new Set<string>();
    const choices: CommunicationChoice[] = [];
    value.forEach(({ topic, channel }, index) => {
      if (!Object.values(Topic).includes(topic)) this.fail(`communications.${index}.topic`, "is not a topic");
      else if (!Object.values(Channel).includes(channel)) {
        this.fail(`communications.${index}.channel`, "is not a channel");
      } else if (seen.has(`${topic}:${channel}`)) this.fail(`communications.${index}`, "is listed twice");
      else {
        seen.add(`${topic}:${channel}`);
        choices.push({ topic, channel });
      }
    });
    return choices;
  }

  optional(field: OptionalField, value: string | null | undefined): string | null {
    const text = value?.trim() || null;
    if (text === null) return null;
    if (text.length > USER_LIMITS[field]) this.fail(field, `must be at most ${USER_LIMITS[field]} characters`);
    else if (field === "organisationUrl" && !isURL(text, { protocols: ["http", "https"], require_protocol: true })) {
      this.fail(field, "must be an http(s) address");
    }
    return text;
  }

  password(name: string, value: string): void {
    const violation = passwordRuleViolation(value);
    if (violation) this.fail(name, violation);
  }

  /** A password given to be checked against the stored one: present, and short enough to hash. */
  givenPassword(name: string, value: string | null | undefined, required: boolean): void {
    if (!value) {
      if (required) this.fail(name, "must not be empty");
    } else if ([...value].length > PASSWORD_MAX_LENGTH) {
      this.fail(name, `must be at most ${PASSWORD_MAX_LENGTH} characters`);
    }
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw new ValidationException(this.errors);
  }
}

/** The profile's columns that the person's details fill, which they and staff may correct. */
type CorrectableColumn = "email" | "name" | OptionalField | "phone" | "fax" | AddressColumn;

/**
 * Checks corrections to an account's details and returns the columns to set, in the form they are
 * stored (an email normalised, texts trimmed). Needs no account, so that every invalid field is
 * reported before anything is read. Invalid fields are collected in `checks`; the caller throws them.
 */
function correctionsOf(checks: FieldChecks, changes: AccountCorrections): Partial<Pick<UserEntity, CorrectableColumn>> {
  const set: Partial<Pick<UserEntity, CorrectableColumn>> = {};
  if (changes.email !== undefined) set.email = checks.email(changes.email);
  if (changes.name !== undefined) set.name = checks.name(changes.name);
  for (const field of OPTIONAL_FIELDS) {
    if (changes[field] !== undefined) set[field] = checks.optional(field, changes[field]);
  }
  if (changes.phone !== undefined) set.phone = checks.phone("phone", changes.phone);
  if (changes.fax !== undefined) set.fax = checks.phone("fax", changes.fax);
  if (changes.address !== undefined) Object.assign(set, checks.address(changes.address));
  return set;
}

/** The names of the fields whose values `set` changes, as the person sees them (address once). */
function changedFields(user: UserEntity, set: Partial<Pick<UserEntity, CorrectableColumn>>): string[] {
  const fields = new Set<string>();
  for (const [column, value] of Object.entries(set)) {
    if (user[column as CorrectableColumn] === value) continue;
    fields.add(column.startsWith("address") ? "address" : column);
  }
  return [...fields];
}

function requireUser(ctx: RequestContext): Extract<Actor, { kind: "user" }> {
  if (ctx.actor.kind !== "user") throw new UnauthenticatedException();
  return ctx.actor;
}

/**
 * Methods that check a password record failed attempts with statements that commit on their own.
 * Inside a caller's transaction the exception that reports the failure would roll the record
 * back, and the throttle would never trip: refuse loudly instead.
 */
function assertOutsideTransaction(ctx: RequestContext, method: string): void {
  if (ctx.inTransaction) {
    throw new Error(`UserService.${method} checks a password and must be called outside a transaction`);
  }
}

/** The entity without its password hash, for returning to callers. */
function withoutHash(user: UserEntity): UserEntity {
  const { passwordHash: _hash, ...rest } = user;
  return Object.assign(new UserEntity(), rest);
}

/**
 * Accounts: registration, sign-in with throttling, profile and password changes, and the staff
 * operations on accounts (search, roles).
 */
export class UserService {
  constructor(
    private readonly passwords: PasswordService,
    private readonly throttle: SignInThrottleService,
    private readonly sessions: SessionService,
    private readonly events: DomainEvents,
    private readonly securityLog: SecurityLog,
    private readonly jobs: JobQueue,
    private readonly audit: AuditLog,
    private readonly personalData: PersonalDataRegistry,
    /** `CLOSED_ACCOUNT_RETENTION_DAYS`: how long a closed account's anonymised row is kept. */
    private readonly closedAccountsDays: number,
  ) {}

  /**
   * Creates a CUSTOMER account. Throws `BAD_USER_INPUT` listing every invalid field (a password
   * shorter than 10 characters among them) and `CONFLICT` when the email is registered already,
   * in whatever case.
   */
  async register(ctx: RequestContext, details: RegistrationDetails): Promise<UserEntity> {
    const checks = new FieldChecks();
    const email = checks.email(details.email);
    const name = checks.name(details.name);
    const optional = Object.fromEntries(OPTIONAL_FIELDS.map((f) => [f, checks.optional(f, details[f])]));
    const communications = checks.communications(details.communications);
    checks.password("password", details.password);
    checks.throwIfAny();

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
      closedAt: null,
    });
    try {
      await ctx.transaction(async (tx) => {
        await insertUser(tx, user);
        // Consent records the form's choices in this same transaction: no account without them.
        await this.events.publish(tx, "users.registered", { userId: user.id, email, communications });
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
   * browser holds one session.
   */
  async signUp(ctx: RequestContext, details: RegistrationDetails): Promise<SignedIn> {
    const user = await this.register(ctx, details);
    await this.sessions.revokeCurrent(ctx);
    return { user, session: await this.sessions.create(ctx, user.id) };
  }

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
    const user = await this.findWithHash(ctx, { email: normalised });
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
   * Must be called outside a transaction.
   */
  async signIn(ctx: RequestContext, email: string, password: string): Promise<SignedIn> {
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
    return { user, session: await this.sessions.create(ctx, user.id) };
  }

  /**
   * Checks the password of account `userId` before something that cannot be undone (closing the
   * account). A wrong password throws the sign-in's `UNAUTHENTICATED` error and counts towards the
   * sign-in throttle of the account's email; once throttled, `RATE_LIMITED` even with the right
   * password. Failures go to the security log as sign-in failures do. `NOT_FOUND` for an unknown
   * id; a closed account never matches.
   *
   * Must be called outside a transaction (a failed attempt has to stay recorded).
   */
  async verifyPassword(ctx: RequestContext, userId: string, password: string): Promise<void> {
    assertOutsideTransaction(ctx, "verifyPassword");
    const user = await this.findWithHash(ctx, { id: userId });
    if (!user) throw new NotFoundException("User");
    try {
      const attempt = await this.throttle.begin(ctx, user.email);
      if (!(await this.passwords.verify(password, user.passwordHash)) || user.closedAt) {
        throw new InvalidCredentialsException();
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
   * Who account `userId` is, as data export and closure name the person to every domain: the id,
   * and the email and phone number as the profile holds them now. `NOT_FOUND` for an unknown id.
   */
  async personalDataSubject(ctx: RequestContext, userId: string): Promise<PersonalDataSubject> {
    const user = await this.findById(ctx, userId);
    if (!user) throw new NotFoundException("User");
    return subjectOf(user);
  }

  /** The signed-in user's account, or null for anyone else. */
  async current(ctx: RequestContext): Promise<UserEntity | null> {
    return ctx.userId ? this.findById(ctx, ctx.userId) : null;
  }

  async findById(ctx: RequestContext, id: string): Promise<UserEntity | null> {
    return ctx.manager.findOneBy(UserEntity, { id });
  }

  /** The accounts with these ids, in no particular order; unknown ids are left out. */
  async findByIds(ctx: RequestContext, ids: readonly string[]): Promise<UserEntity[]> {
    return ids.length === 0 ? [] : ctx.manager.findBy(UserEntity, { id: In([...ids]) });
  }

  /**
   * Corrects the signed-in user's own details. Throws one `BAD_USER_INPUT` listing every invalid
   * field (the email as normalised, so surrounding spaces are no error). Only then, changing the
   * email checks the current password (`BAD_USER_INPUT` on `input.currentPassword` when wrong,
   * throttled like sign-in) and throws `CONFLICT` when another account has the new address.
   *
   * Must be called outside a transaction when the email changes; a single statement writes.
   */
  async updateProfile(ctx: RequestContext, changes: ProfileChanges): Promise<UserEntity> {
    const actor = requireUser(ctx);
    const user = await this.findWithHash(ctx, { id: actor.userId });
    if (!user) throw new NotFoundException("User");

    const checks = new FieldChecks();
    const set: Partial<Pick<UserEntity, CorrectableColumn | RetentionSwitch>> = correctionsOf(checks, changes);
    if (set.email === user.email) delete set.email;
    checks.givenPassword("currentPassword", changes.currentPassword, false);
    for (const field of RETENTION_SWITCHES) {
      const value = changes[field];
      if (value === null) checks.fail(field, "must be true or false");
      else if (value !== undefined && value !== user[field]) set[field] = value;
    }
    if (set.email !== undefined && !changes.currentPassword) {
      checks.fail("currentPassword", "is required to change the email address");
    }
    // Every invalid field in one answer; the password check and the address's owner come after.
    checks.throwIfAny();

    if (set.email !== undefined) {
      // Whoever borrows a signed-in browser must not be able to take the account over via the email.
      await this.checkCurrentPassword(ctx, user, changes.currentPassword!, "updateProfile");
      if (await ctx.manager.existsBy(UserEntity, { email: set.email })) throw new EmailTakenException();
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
    try {
      await (switched ? ctx.transaction(write) : write(ctx));
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new EmailTakenException();
      throw error;
    }
    return withoutHash(Object.assign(user, set, { updatedAt }));
  }

  /**
   * Changes the signed-in user's password and ends every other session of theirs, keeping the
   * one this request came with. A wrong current password is `BAD_USER_INPUT` on
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
    const user = await this.findWithHash(ctx, { id: actor.userId });
    if (!user) throw new NotFoundException("User");
    await this.checkCurrentPassword(ctx, user, change.currentPassword, "changePassword");

    const passwordHash = await this.passwords.hash(change.newPassword);
    await ctx.transaction(async (tx) => {
      await tx.manager.update(UserEntity, { id: user.id }, { passwordHash, updatedAt: tx.clock.now() });
      // Whoever else held a session (perhaps the reason for the change) is signed out.
      await this.sessions.revokeOthers(tx, user.id, actor.sessionId);
      // If it was not them, the owner learns of it by mail.
      await enqueueTransactionalMail(
        tx,
        this.jobs,
        {
          kind: "PASSWORD_CHANGED",
          to: { name: user.name, address: user.email },
          // About this account: its data export copies the message.
          accountId: user.id,
          subject: "Your password was changed",
          text:
            `Hello ${user.name},\n\nthe password of your account was changed just now, and every other ` +
            "session of yours was signed out.\n\nIf this was not you, reset your password and contact us at once.\n",
        },
        `password-changed:${user.id}:${tx.clock.now().getTime()}`,
      );
    });
  }

  /**
   * A page of accounts, newest first; `search` matches part of the email or the name, ignoring
   * case. For staff: every account returned, but the caller's own, is recorded in the audit log
   * as PERSON_VIEWED (one statement for the page), in one transaction with the read.
   */
  async list(ctx: RequestContext, args: UserSearchArgs): Promise<Connection<UserEntity>> {
    return ctx.transaction(async (tx) => {
      const page = await this.search(tx, args);
      await this.recordPersonViews(
        tx,
        page.nodes.map((u) => u.id),
      );
      return page;
    });
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
      const user = await this.findById(tx, userId);
      if (!user) throw new NotFoundException("User");
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
    if (actor.userId === userId) throw new ForbiddenException("Correct your own account with updateProfile.");
    // Every invalid field first, in one answer, before anything that needs the database.
    const checks = new FieldChecks();
    const set = correctionsOf(checks, changes);
    checks.throwIfAny();
    try {
      return await ctx.transaction(async (tx) => {
        const user = await this.findById(tx, userId);
        if (!user) throw new NotFoundException("User");
        if (user.closedAt) throw new AccountClosedException();
        // Staff accounts carry rights: only an administrator corrects them.
        if (user.role !== Role.CUSTOMER && actor.role !== Role.ADMIN) {
          throw new ForbiddenException("Only an administrator can correct a staff account.");
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
        await tx.manager.update(UserEntity, { id: user.id }, { ...set, updatedAt });
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
   * Gives an account a role. Nobody changes their own role, so an administrator cannot demote
   * themselves by accident and leave the site without one. Throws `NOT_FOUND` for an unknown id.
   */
  async setRole(ctx: RequestContext, userId: string, role: Role): Promise<UserEntity> {
    if (!Object.values(Role).includes(role))
      throw new ValidationException([{ field: "role", message: "is not a role" }]);
    if (ctx.userId === userId) throw new ForbiddenException("You cannot change your own role.");
    const user = await this.findById(ctx, userId);
    if (!user) throw new NotFoundException("User");
    if (user.role === role) return user;
    const updatedAt = ctx.clock.now();
    await ctx.transaction(async (tx) => {
      await tx.manager.update(UserEntity, { id: userId }, { role, updatedAt });
      await this.audit.record(tx, { action: AuditAction.ROLE_CHANGED, subjectId: userId, detail: role });
      await this.securityLog.record(tx, {
        kind: SecurityEventKind.STAFF_ACTION,
        userId: ctx.userId,
        detail: `set role of ${userId} to ${role}`,
      });
    });
    return Object.assign(user, { role, updatedAt });
  }

  /**
   * Closes account `userId` and erases the person's data in every domain, all in one transaction
   * (joined when the caller has one open): the account is read (with a row lock on MySQL/MariaDB,
   * so concurrent closures run once), the subject is taken from it before anything is erased,
   * every registered {@link PersonalDataContributor} erases (this domain's last: sessions end,
   * the profile is anonymised and `closedAt` set), then `users.accountClosed` is published and
   * the audit log records ACCOUNT_CLOSED. A failure anywhere rolls all of it back.
   *
   * Closing a closed account changes nothing and returns it. `NOT_FOUND` for an unknown id;
   * `CONFLICT` for the last open ADMIN account, which would leave nobody able to run the site.
   * Returns the anonymised account. Check the password first with {@link verifyPassword}.
   */
  async close(ctx: RequestContext, userId: string): Promise<UserEntity> {
    return ctx.transaction(async (tx) => {
      // A locking read first: on MySQL/MariaDB a transaction's snapshot is taken by its first
      // plain read, so everything read after the lock includes what committed while it waited
      // (an order being placed, a copy of the data being built, a consent just given).
      const query = tx.manager.createQueryBuilder(UserEntity, "u").where("u.id = :userId", { userId });
      const user = await lockRows(query, "update").getOne();
      if (!user) throw new NotFoundException("User");
      if (user.closedAt) return user;
      if (user.role === Role.ADMIN) {
        // The open ADMIN rows, locked in id order, so two administrators closing at once cannot
        // both leave (one waits for the other, or the database picks one to fail).
        const admins = tx.manager
          .createQueryBuilder(UserEntity, "u")
          .select("u.id")
          .where("u.role = :role AND u.closedAt IS NULL", { role: Role.ADMIN })
          .orderBy("u.id", "ASC");
        const others = (await lockRows(admins, "update").getMany()).filter((a) => a.id !== userId);
        if (others.length === 0)
          throw new DomainException(
            ErrorCode.CONFLICT,
            "This is the last administrator account: give another account the ADMIN role before closing it.",
          );
      }
      await this.personalData.eraseAll(tx, subjectOf(user));
      await this.events.publish(tx, "users.accountClosed", { userId });
      await this.audit.record(tx, { action: AuditAction.ACCOUNT_CLOSED, subjectId: userId });
      return tx.manager.findOneByOrFail(UserEntity, { id: userId });
    });
  }

  /**
   * Deletes what is left of accounts closed more than `CLOSED_ACCOUNT_RETENTION_DAYS` ago (their
   * anonymised rows), in batches. Rows of other domains that reference an account go with it or
   * lose the reference, as their foreign keys say. Returns how many accounts were deleted.
   */
  async deleteClosedAccounts(ctx: RequestContext): Promise<number> {
    const cutoff = new Date(ctx.clock.now().getTime() - this.closedAccountsDays * DAY_MS);
    let total = 0;
    for (;;) {
      const batch = await ctx.manager.find(UserEntity, {
        select: { id: true },
        where: { closedAt: LessThanOrEqual(cutoff) },
        order: { closedAt: "ASC", id: "ASC" },
        take: CLOSED_ACCOUNTS_BATCH,
      });
      if (batch.length === 0) return total;
      await ctx.manager.delete(UserEntity, { id: In(batch.map((u) => u.id)) });
      total += batch.length;
      if (batch.length < CLOSED_ACCOUNTS_BATCH) return total;
    }
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
    });
    return { user: Object.assign(existing, { role: Role.ADMIN, closedAt: null, updatedAt: now }), outcome: "promoted" };
  }

  /** Deletes sign-in attempts that no longer count towards throttling. Returns how many. */
  async deleteStaleSignInAttempts(ctx: RequestContext): Promise<number> {
    return this.throttle.deleteStale(ctx);
  }

  private findWithHash(ctx: RequestContext, where: FindOptionsWhere<UserEntity>): Promise<UserEntity | null> {
    return ctx.manager.createQueryBuilder(UserEntity, "u").addSelect("u.passwordHash").where(where).getOne();
  }

  /** Verifies the signed-in user's password, throttled with the sign-ins of their email. */
  private async checkCurrentPassword(
    ctx: RequestContext,
    user: UserEntity,
    password: string,
    method: string,
  ): Promise<void> {
    assertOutsideTransaction(ctx, method);
    const attempt = await this.throttle.begin(ctx, user.email);
    if (!(await this.passwords.verify(password, user.passwordHash))) {
      throw new ValidationException([{ field: "input.currentPassword", message: "is not your current password" }]);
    }
    await this.throttle.succeeded(ctx, attempt);
  }
}

/**
 * Inserts an account as built. TypeORM would otherwise re-read the columns that have database
 * defaults after the insert and copy them over raw, turning MySQL's booleans into 0 and 1.
 */
async function insertUser(ctx: RequestContext, user: UserEntity): Promise<void> {
  await ctx.manager.createQueryBuilder().insert().into(UserEntity).values(user).updateEntity(false).execute();
}

/** The person an account stands for, as every domain's contributor is told. */
function subjectOf(user: UserEntity): PersonalDataSubject {
  return { userId: user.id, email: user.email, phone: user.phone };
}
