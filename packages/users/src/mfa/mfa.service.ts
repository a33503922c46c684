import {
  hmac,
  MINUTE_MS,
  newId,
  openSecret,
  randomToken,
  requireUser,
  SecurityEventKind,
  sealSecret,
  type RequestContext,
  type SecurityLog,
} from "@honour/platform";
import { randomBytes, randomInt } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import type QRCode from "qrcode";
import { In, IsNull, LessThanOrEqual, MoreThan, Not } from "typeorm";
import type { SignInThrottle } from "../sign-in/sign-in-throttle.service";
import { tokenOf } from "../single-use-link/single-use-link";
import { UserEntity } from "../user/user.entity";
import { UsersErrorCode, UsersException } from "../users.exception";
import { MfaChallengeEntity } from "./mfa-challenge.entity";
import { RecoveryCodeEntity } from "./recovery-code.entity";
import { TOTP_SECRET_PURPOSE, TotpEntity } from "./totp.entity";

/** Recovery codes handed out when two-factor is turned on. */
export const RECOVERY_CODE_COUNT = 10;
/** How long the challenge of `MFA_REQUIRED` can be redeemed with `completeLogin`: 5 minutes. */
export const MFA_CHALLENGE_TTL_MS = 5 * MINUTE_MS;
/** RFC 6238's defaults, which every authenticator app understands. */
const TOTP_PERIOD_S = 30;
const TOTP_DIGITS = 6;
/** Codes of the step before and after now are accepted too: clocks drift, people type slowly. */
const TOTP_WINDOW = 1;
/** Recovery codes: 10 characters of this alphabet (no 0/o, 1/l/i), about 48 bits, shown as xxxxx-xxxxx. */
const RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";

/** What `startTotpEnrolment` answers: the secret three ways, for typing, for links and for scanning. */
export interface TotpEnrolment {
  /** Base32, for typing into an authenticator app. */
  secret: string;
  /** `otpauth://totp/…` (Key URI Format). */
  otpauthUri: string;
  /** The URI as a QR code, a standalone SVG document. */
  qrCodeSvg: string;
}

/** What a data export says of an account's second factor (never secrets or codes). */
export interface SecondFactorRecord {
  totpEnabled: boolean;
  totpEnabledAt: Date | null;
  recoveryCodesLeft: number;
}

/**
 * Two-factor authentication with TOTP (RFC 6238) and single-use recovery codes, and the short-lived
 * challenges that carry a right password to the second step of signing in. Code checks are
 * throttled per account like passwords ({@link SignInThrottle}), so the methods that check a code
 * run outside a transaction.
 */
export class MfaService {
  constructor(
    private readonly secret: string,
    /** The name authenticator apps show beside the account (`WEBAUTHN_RP_NAME`). */
    private readonly issuer: string,
    private readonly throttle: SignInThrottle,
    private readonly securityLog: SecurityLog,
    /**
     * `STAFF_MFA=required`: staff accounts without two-factor may do only what any signed-in user
     * may (the gateway's auth checker refuses their staff operations with `MFA_ENROLMENT_REQUIRED`).
     */
    readonly staffMfaRequired = false,
  ) {}

  /**
   * Starts (or restarts) TOTP enrolment for the signed-in user: a new random 160-bit secret, stored
   * sealed, not yet in force. `CONFLICT` (TOTP_ALREADY_ENABLED) when two-factor is on already.
   */
  async startEnrolment(ctx: RequestContext): Promise<TotpEnrolment> {
    const { userId } = requireUser(ctx);
    return ctx.transaction(async (tx) => {
      const user = await tx.manager.findOneByOrFail(UserEntity, { id: userId });
      const existing = await tx.manager.findOneBy(TotpEntity, { userId });
      if (existing?.enabledAt) throw totpAlreadyEnabled();
      const secret = new Secret({ buffer: randomBytes(20).buffer });
      const row: TotpEntity = Object.assign(new TotpEntity(), {
        userId,
        sealedSecret: sealSecret(this.secret, TOTP_SECRET_PURPOSE, secret.base32),
        createdAt: tx.clock.now(),
        enabledAt: null,
        lastUsedStep: null,
      });
      if (existing) await tx.manager.update(TotpEntity, { userId }, row);
      else await tx.manager.insert(TotpEntity, row);
      const otpauthUri = this.totp(secret.base32, user.email).toString();
      const qrCodeSvg = await qrCode().toString(otpauthUri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
      return { secret: secret.base32, otpauthUri, qrCodeSvg };
    });
  }

  /**
   * Turns two-factor on with the first code of the authenticator enrolled by {@link startEnrolment},
   * and returns {@link RECOVERY_CODE_COUNT} new recovery codes (only their hashes are kept: this is
   * the one time they are shown). A wrong code: `BAD_USER_INPUT` on `code`, throttled. No enrolment
   * started: `BAD_USER_INPUT` (reason TOTP_NOT_ENROLLING). Outside a transaction.
   */
  async confirmEnrolment(ctx: RequestContext, code: string): Promise<string[]> {
    const { userId } = requireUser(ctx);
    const row = await ctx.manager.findOneBy(TotpEntity, { userId });
    if (row?.enabledAt) throw totpAlreadyEnabled();
    if (!row) {
      throw new UsersException(UsersErrorCode.TOTP_NOT_ENROLLING, "Start the enrolment first.", [
        { field: "code", message: "has no enrolment to confirm: call startTotpEnrolment first" },
      ]);
    }
    await this.checked(ctx, userId, "code", () => this.acceptTotp(ctx, row, code));
    const codes = newRecoveryCodes();
    await ctx.transaction(async (tx) => {
      const now = tx.clock.now();
      const enabled = await tx.manager.update(TotpEntity, { userId, enabledAt: IsNull() }, { enabledAt: now });
      // A second confirmation racing this one: the first wins, and its recovery codes stand.
      if (!enabled.affected) throw totpAlreadyEnabled();
      await this.replaceRecoveryCodes(tx, userId, codes);
      await this.securityLog.record(tx, { kind: SecurityEventKind.MFA_ENABLED, userId, detail: "TOTP" });
    });
    return codes;
  }

  /**
   * Turns two-factor off for `userId` after a valid code (TOTP or recovery); the caller has checked
   * the password. The secret and recovery codes are deleted. `BAD_USER_INPUT` on `input.code` for a
   * wrong code (throttled); `CONFLICT` (TOTP_NOT_ENABLED) when it is off. Outside a transaction.
   */
  async disable(ctx: RequestContext, userId: string, code: string): Promise<void> {
    const row = await ctx.manager.findOneBy(TotpEntity, { userId, enabledAt: Not(IsNull()) });
    if (!row) throw new UsersException(UsersErrorCode.TOTP_NOT_ENABLED, "Two-factor authentication is not on.");
    await this.checked(ctx, userId, "input.code", () => this.acceptAnyCode(ctx, row, code));
    await ctx.transaction(async (tx) => {
      await this.forgetSecondFactor(tx, userId);
      await this.securityLog.record(tx, { kind: SecurityEventKind.MFA_DISABLED, userId, detail: "TOTP" });
    });
  }

  /** Whether account `userId` has two-factor on. */
  async isEnabled(ctx: RequestContext, userId: string): Promise<boolean> {
    return ctx.manager.existsBy(TotpEntity, { userId, enabledAt: Not(IsNull()) });
  }

  /** Which of these accounts have two-factor on (one query, for the request's loader). */
  async enabledAmong(ctx: RequestContext, userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await ctx.manager.find(TotpEntity, {
      select: { userId: true },
      where: { userId: In([...userIds]), enabledAt: Not(IsNull()) },
    });
    return new Set(rows.map((r) => r.userId));
  }

  /**
   * A challenge for `userId`, whose password was just right: a random token (256 bits) that
   * `completeLogin` redeems once within {@link MFA_CHALLENGE_TTL_MS}; only its keyed hash is kept.
   */
  async issueChallenge(ctx: RequestContext, userId: string): Promise<string> {
    const token = randomToken();
    const now = ctx.clock.now();
    await ctx.manager.insert(MfaChallengeEntity, {
      id: newId(now.getTime()),
      tokenHash: this.challengeHash(token),
      userId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + MFA_CHALLENGE_TTL_MS),
    });
    return token;
  }

  /**
   * Redeems a challenge with a second-factor code (TOTP or recovery code) and returns the account
   * it was issued for. An unknown, used or expired challenge: `UNAUTHENTICATED` (reason
   * INVALID_MFA_CHALLENGE: sign in again); a wrong code: `BAD_USER_INPUT` on `input.code`, counted
   * by the account's throttle, and the challenge stays for another try until it expires.
   * Outside a transaction.
   */
  async redeemChallenge(ctx: RequestContext, challenge: string, code: string): Promise<string> {
    const token = tokenOf(challenge);
    if (token === "") throw invalidChallenge();
    const row = await ctx.manager.findOneBy(MfaChallengeEntity, {
      tokenHash: this.challengeHash(token),
      expiresAt: MoreThan(ctx.clock.now()),
    });
    if (!row) throw invalidChallenge();
    const totp = await ctx.manager.findOneBy(TotpEntity, { userId: row.userId, enabledAt: Not(IsNull()) });
    // Two-factor was turned off meanwhile: the password alone was never enough for this challenge.
    if (!totp) throw invalidChallenge();
    await this.checked(ctx, row.userId, "input.code", () => this.acceptAnyCode(ctx, totp, code));
    const redeemed = await ctx.manager.delete(MfaChallengeEntity, { id: row.id });
    if (!redeemed.affected) throw invalidChallenge();
    return row.userId;
  }

  /** Second-factor facts of `userId` for a data export: whether it is on and how many codes are left. */
  async recordOf(ctx: RequestContext, userId: string): Promise<SecondFactorRecord> {
    const totp = await ctx.manager.findOneBy(TotpEntity, { userId, enabledAt: Not(IsNull()) });
    const left = await ctx.manager.countBy(RecoveryCodeEntity, { userId, usedAt: IsNull() });
    return { totpEnabled: totp !== null, totpEnabledAt: totp?.enabledAt ?? null, recoveryCodesLeft: totp ? left : 0 };
  }

  /** Deletes the secret, the recovery codes and the challenges of `userId` (closure, disabling). */
  async forgetSecondFactor(ctx: RequestContext, userId: string): Promise<void> {
    await ctx.manager.delete(MfaChallengeEntity, { userId });
    await ctx.manager.delete(RecoveryCodeEntity, { userId });
    await ctx.manager.delete(TotpEntity, { userId });
  }

  /** Deletes expired challenges; returns how many. */
  async deleteExpiredChallenges(ctx: RequestContext): Promise<number> {
    const result = await ctx.manager.delete(MfaChallengeEntity, { expiresAt: LessThanOrEqual(ctx.clock.now()) });
    return result.affected ?? 0;
  }

  /**
   * Runs a code check under the account's throttle: refused while throttled, counted when wrong
   * (`BAD_USER_INPUT` on `field`, MFA_FAILED in the security log), forgiven when right.
   */
  private async checked(ctx: RequestContext, userId: string, field: string, accept: () => Promise<boolean>) {
    const attempt = await this.throttle.beginCodeCheck(ctx, userId);
    let accepted: boolean;
    try {
      accepted = await accept();
    } catch (error) {
      await attempt.abandon();
      throw error;
    }
    if (!accepted) {
      await attempt.failed();
      await this.securityLog.record(ctx, { kind: SecurityEventKind.MFA_FAILED, userId });
      throw new UsersException(UsersErrorCode.INVALID_MFA_CODE, "The code is not correct.", [
        { field, message: "is not a valid code" },
      ]);
    }
    await attempt.succeeded();
  }

  /** A TOTP code or, failing that, an unused recovery code. */
  private async acceptAnyCode(ctx: RequestContext, row: TotpEntity, code: string): Promise<boolean> {
    const compact = typeof code === "string" ? code.replace(/[\s-]/g, "").toLowerCase() : "";
    if (/^\d{6}$/.test(compact)) return this.acceptTotp(ctx, row, compact);
    if (compact.length !== 10 || ![...compact].every((c) => RECOVERY_ALPHABET.includes(c))) return false;
    const used = await ctx.manager.update(
      RecoveryCodeEntity,
      { userId: row.userId, codeHash: this.recoveryHash(row.userId, compact), usedAt: IsNull() },
      { usedAt: ctx.clock.now() },
    );
    return (used.affected ?? 0) === 1;
  }

  /**
   * A TOTP code of now (± {@link TOTP_WINDOW} steps) whose step is later than the last accepted one.
   * The step is taken with a conditional update, so of two requests with one code only one wins.
   */
  private async acceptTotp(ctx: RequestContext, row: TotpEntity, code: string): Promise<boolean> {
    const token = typeof code === "string" ? code.replace(/\s/g, "") : "";
    if (!/^\d{6}$/.test(token)) return false;
    const timestamp = ctx.clock.now().getTime();
    const totp = this.totp(openSecret(this.secret, TOTP_SECRET_PURPOSE, row.sealedSecret), "");
    const delta = totp.validate({ token, timestamp, window: TOTP_WINDOW });
    if (delta === null) return false;
    const step = Math.floor(timestamp / 1000 / TOTP_PERIOD_S) + delta;
    const taken = await ctx.manager
      .createQueryBuilder()
      .update(TotpEntity)
      .set({ lastUsedStep: step })
      .where("userId = :userId AND (lastUsedStep IS NULL OR lastUsedStep < :step)", { userId: row.userId, step })
      .execute();
    return (taken.affected ?? 0) === 1;
  }

  private async replaceRecoveryCodes(ctx: RequestContext, userId: string, codes: string[]): Promise<void> {
    await ctx.manager.delete(RecoveryCodeEntity, { userId });
    const now = ctx.clock.now();
    await ctx.manager.insert(
      RecoveryCodeEntity,
      codes.map((code) => ({
        id: newId(now.getTime()),
        userId,
        codeHash: this.recoveryHash(userId, code.replace("-", "")),
        createdAt: now,
        usedAt: null,
      })),
    );
  }

  private totp(base32: string, label: string): TOTP {
    return new TOTP({
      issuer: this.issuer,
      label,
      algorithm: "SHA1",
      digits: TOTP_DIGITS,
      period: TOTP_PERIOD_S,
      secret: Secret.fromBase32(base32),
    });
  }

  private challengeHash(token: string): string {
    return hmac(this.secret, "users.mfa-challenge", token);
  }

  private recoveryHash(userId: string, compactCode: string): string {
    return hmac(this.secret, "users.recovery-code", userId, compactCode);
  }
}

/** {@link RECOVERY_CODE_COUNT} fresh codes, `xxxxx-xxxxx`. */
function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

function totpAlreadyEnabled(): UsersException {
  return new UsersException(UsersErrorCode.TOTP_ALREADY_ENABLED, "Two-factor authentication is on already.");
}

function invalidChallenge(): UsersException {
  return new UsersException(
    UsersErrorCode.INVALID_MFA_CHALLENGE,
    "This sign-in has expired or was used already. Sign in again.",
  );
}

/** qrcode with its PNG encoder, loaded with the first enrolment rather than at start-up (issue 18). */
let qrCodeModule: typeof QRCode | undefined;

function qrCode(): typeof QRCode {
  // require, not import(): the build is CommonJS, and jest runs it without ES module support.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  qrCodeModule ??= require("qrcode") as typeof QRCode;
  return qrCodeModule;
}
