import {
  MINUTE_MS,
  newId,
  requireUser,
  SecurityEventKind,
  type RequestContext,
  type SecurityLog,
} from "@honour/platform";
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { randomBytes } from "node:crypto";
import { LessThanOrEqual, MoreThan } from "typeorm";
import { UserEntity } from "../user/user.entity";
import { UsersErrorCode, UsersException } from "../users.exception";
import { PasskeyEntity } from "./passkey.entity";
import { WebauthnChallengeEntity } from "./webauthn-challenge.entity";

/** How long a browser has to answer a WebAuthn challenge: 5 minutes. */
export const WEBAUTHN_CHALLENGE_TTL_MS = 5 * MINUTE_MS;
/** Passkeys one account may hold. */
export const MAX_PASSKEYS = 20;
const NAME_MAX = 100;

/** The relying party passkeys are bound to (`WEBAUTHN_RP_ID`, `WEBAUTHN_RP_NAME`, `WEBAUTHN_ORIGINS`). */
export interface RelyingParty {
  rpId: string;
  rpName: string;
  origins: readonly string[];
}

/** A passkey as its owner and a data export see it. */
export interface PasskeyRecord {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/**
 * `@simplewebauthn/server` with its X.509 and ASN.1 code (about 9 MiB resident and a quarter of a
 * second to load), loaded with the first passkey operation rather than when the gateway starts
 * (issue 18: idle memory, start-up).
 */
let simpleWebAuthn: typeof import("@simplewebauthn/server") | undefined;

function webAuthn(): typeof import("@simplewebauthn/server") {
  // require, not import(): the build is CommonJS, and jest runs it without ES module support.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  simpleWebAuthn ??= require("@simplewebauthn/server") as typeof import("@simplewebauthn/server");
  return simpleWebAuthn;
}

/**
 * Passkeys (WebAuthn, with `@simplewebauthn/server`): registration by a signed-in person, and
 * sign-in without a password. Challenges are random, stored until answered once or expired; the
 * browser's answer must come from one of the configured origins for the configured RP ID, and
 * user verification (the device's PIN or biometrics) is required, so a passkey is two factors in one.
 */
export class PasskeyService {
  constructor(
    private readonly relyingParty: RelyingParty,
    private readonly securityLog: SecurityLog,
  ) {}

  /** Options for `navigator.credentials.create` for the signed-in user (excluding their passkeys). */
  async startRegistration(ctx: RequestContext): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { userId } = requireUser(ctx);
    const user = await ctx.manager.findOneByOrFail(UserEntity, { id: userId });
    const existing = await ctx.manager.find(PasskeyEntity, {
      where: { userId },
      select: { credentialId: true, transports: true },
    });
    const challenge = await this.newChallenge(ctx, "REGISTRATION", userId);
    return webAuthn().generateRegistrationOptions({
      rpName: this.relyingParty.rpName,
      rpID: this.relyingParty.rpId,
      userName: user.email,
      userDisplayName: user.name,
      // The WebAuthn user handle: the account id, which says nothing about the person.
      userID: new TextEncoder().encode(user.id),
      challenge,
      timeout: WEBAUTHN_CHALLENGE_TTL_MS,
      attestationType: "none",
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: transportsOf(p) })),
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
    });
  }

  /**
   * Verifies the browser's answer to {@link startRegistration} and stores the passkey under `name`
   * (default "Passkey"). `BAD_USER_INPUT` (reason INVALID_PASSKEY) for an answer that does not
   * verify, to an unknown, used or expired challenge, or of a passkey already registered.
   */
  async finishRegistration(ctx: RequestContext, response: unknown, name?: string | null): Promise<PasskeyRecord> {
    const { userId } = requireUser(ctx);
    const label = (name ?? "").trim() || "Passkey";
    if (label.length > NAME_MAX) {
      throw new UsersException(UsersErrorCode.INVALID_PASSKEY, "The name is too long.", [
        { field: "input.name", message: `must be at most ${NAME_MAX} characters` },
      ]);
    }
    const answer = asCredentialJson<RegistrationResponseJSON>(response, "attestationObject");
    const challenge = await this.takeChallenge(ctx, answer, "REGISTRATION", userId);
    const verification = await webAuthn()
      .verifyRegistrationResponse({
        response: answer,
        expectedChallenge: challenge,
        expectedOrigin: [...this.relyingParty.origins],
        expectedRPID: this.relyingParty.rpId,
        requireUserVerification: true,
      })
      .catch(() => ({ verified: false as const }));
    if (!verification.verified) throw invalidPasskey();
    const { credential } = verification.registrationInfo;
    return ctx.transaction(async (tx) => {
      if ((await tx.manager.countBy(PasskeyEntity, { userId })) >= MAX_PASSKEYS) {
        throw new UsersException(UsersErrorCode.INVALID_PASSKEY, `At most ${MAX_PASSKEYS} passkeys per account.`);
      }
      if (await tx.manager.existsBy(PasskeyEntity, { credentialId: credential.id })) throw invalidPasskey();
      const now = tx.clock.now();
      const passkey: PasskeyEntity = Object.assign(new PasskeyEntity(), {
        id: newId(now.getTime()),
        userId,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString("base64url"),
        counter: credential.counter,
        transports: credential.transports?.join(",") ?? null,
        name: label,
        createdAt: now,
        lastUsedAt: null,
      });
      await tx.manager.insert(PasskeyEntity, passkey);
      await this.securityLog.record(tx, { kind: SecurityEventKind.PASSKEY_ADDED, userId });
      return recordOf(passkey);
    });
  }

  /** Options for `navigator.credentials.get`: any passkey of this site (discoverable credentials). */
  async startSignIn(ctx: RequestContext): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const challenge = await this.newChallenge(ctx, "SIGN_IN", null);
    return webAuthn().generateAuthenticationOptions({
      rpID: this.relyingParty.rpId,
      challenge,
      timeout: WEBAUTHN_CHALLENGE_TTL_MS,
      userVerification: "required",
    });
  }

  /**
   * Verifies the browser's answer to {@link startSignIn}; returns the open account whose passkey
   * signed it. `UNAUTHENTICATED` (reason INVALID_PASSKEY) for anything that does not verify (an
   * unknown or removed passkey, a used or expired challenge, a wrong origin), logged as a failed
   * sign-in.
   */
  async finishSignIn(ctx: RequestContext, response: unknown): Promise<UserEntity> {
    try {
      const answer = asCredentialJson<AuthenticationResponseJSON>(response, "authenticatorData");
      const challenge = await this.takeChallenge(ctx, answer, "SIGN_IN", null);
      const passkey = await ctx.manager.findOneBy(PasskeyEntity, { credentialId: answer.id });
      if (!passkey) throw invalidPasskey();
      const verification = await webAuthn()
        .verifyAuthenticationResponse({
          response: answer,
          expectedChallenge: challenge,
          expectedOrigin: [...this.relyingParty.origins],
          expectedRPID: this.relyingParty.rpId,
          credential: {
            id: passkey.credentialId,
            publicKey: new Uint8Array(Buffer.from(passkey.publicKey, "base64url")),
            counter: passkey.counter,
            transports: transportsOf(passkey),
          },
          requireUserVerification: true,
        })
        .catch(() => ({ verified: false, authenticationInfo: undefined }));
      if (!verification.verified || !verification.authenticationInfo) throw invalidPasskey();
      const user = await ctx.manager.findOneBy(UserEntity, { id: passkey.userId });
      if (!user || user.closedAt) throw invalidPasskey();
      await ctx.manager.update(
        PasskeyEntity,
        { id: passkey.id },
        { counter: verification.authenticationInfo.newCounter, lastUsedAt: ctx.clock.now() },
      );
      return user;
    } catch (error) {
      if (error instanceof UsersException && error.reason === UsersErrorCode.INVALID_PASSKEY) {
        await this.securityLog.record(ctx, { kind: SecurityEventKind.LOGIN_FAILED, detail: "passkey not accepted" });
        throw new UsersException(UsersErrorCode.INVALID_PASSKEY_SIGN_IN, "This passkey was not accepted.");
      }
      throw error;
    }
  }

  /** The passkeys of `userId`, newest first. */
  async listFor(ctx: RequestContext, userId: string): Promise<PasskeyRecord[]> {
    const rows = await ctx.manager.find(PasskeyEntity, { where: { userId }, order: { createdAt: "DESC", id: "DESC" } });
    return rows.map(recordOf);
  }

  /** Removes one of the signed-in user's passkeys; `NOT_FOUND` (PASSKEY_NOT_FOUND) for any other id. */
  async remove(ctx: RequestContext, id: string): Promise<void> {
    const { userId } = requireUser(ctx);
    const removed = await ctx.manager.delete(PasskeyEntity, { id, userId });
    if (!removed.affected) throw new UsersException(UsersErrorCode.PASSKEY_NOT_FOUND, "No such passkey.");
  }

  /** Deletes every passkey and pending challenge of `userId` (account closure). */
  async forget(ctx: RequestContext, userId: string): Promise<void> {
    await ctx.manager.delete(WebauthnChallengeEntity, { userId });
    await ctx.manager.delete(PasskeyEntity, { userId });
  }

  /** Deletes expired challenges; returns how many. */
  async deleteExpiredChallenges(ctx: RequestContext): Promise<number> {
    const result = await ctx.manager.delete(WebauthnChallengeEntity, { expiresAt: LessThanOrEqual(ctx.clock.now()) });
    return result.affected ?? 0;
  }

  /** 32 random bytes, stored as the base64url the browser signs in its client data. */
  private async newChallenge(ctx: RequestContext, purpose: "REGISTRATION" | "SIGN_IN", userId: string | null) {
    const challenge = new Uint8Array(randomBytes(32));
    const now = ctx.clock.now();
    await ctx.manager.insert(WebauthnChallengeEntity, {
      id: newId(now.getTime()),
      challenge: Buffer.from(challenge).toString("base64url"),
      purpose,
      userId,
      expiresAt: new Date(now.getTime() + WEBAUTHN_CHALLENGE_TTL_MS),
    });
    return challenge;
  }

  /**
   * The challenge the browser signed (from its client data), if it is one of ours for `purpose`
   * (and `userId`), live; deleted at once, so it is answered once.
   */
  private async takeChallenge(
    ctx: RequestContext,
    answer: { response: { clientDataJSON: string } },
    purpose: "REGISTRATION" | "SIGN_IN",
    userId: string | null,
  ): Promise<string> {
    let challenge: unknown;
    try {
      challenge = JSON.parse(Buffer.from(answer.response.clientDataJSON, "base64url").toString("utf8")).challenge;
    } catch {
      throw invalidPasskey();
    }
    if (typeof challenge !== "string" || challenge.length > 100) throw invalidPasskey();
    const row = await ctx.manager.findOneBy(WebauthnChallengeEntity, {
      challenge,
      purpose,
      expiresAt: MoreThan(ctx.clock.now()),
    });
    if (!row || row.userId !== userId) throw invalidPasskey();
    const taken = await ctx.manager.delete(WebauthnChallengeEntity, { id: row.id });
    if (!taken.affected) throw invalidPasskey();
    return challenge;
  }
}

/** The browser's credential as JSON (`PublicKeyCredential.toJSON()`), checked for its shape. */
function asCredentialJson<T extends { id: string; response: { clientDataJSON: string } }>(
  value: unknown,
  part: string,
): T {
  const credential = value as { id?: unknown; rawId?: unknown; type?: unknown; response?: Record<string, unknown> };
  const ok =
    typeof credential === "object" &&
    credential !== null &&
    typeof credential.id === "string" &&
    credential.id.length <= 1024 &&
    credential.type === "public-key" &&
    typeof credential.response === "object" &&
    credential.response !== null &&
    typeof credential.response.clientDataJSON === "string" &&
    typeof credential.response[part] === "string";
  if (!ok) throw invalidPasskey();
  return { clientExtensionResults: {}, rawId: credential.id, ...credential } as unknown as T;
}

function transportsOf(passkey: Pick<PasskeyEntity, "transports">): AuthenticatorTransportFuture[] | undefined {
  return passkey.transports ? (passkey.transports.split(",") as AuthenticatorTransportFuture[]) : undefined;
}

function recordOf(passkey: PasskeyEntity): PasskeyRecord {
  return { id: passkey.id, name: passkey.name, createdAt: passkey.createdAt, lastUsedAt: passkey.lastUsedAt };
}

function invalidPasskey(): UsersException {
  return new UsersException(UsersErrorCode.INVALID_PASSKEY, "This passkey answer was not accepted.", [
    { field: "input.response", message: "is not a valid answer to a current challenge" },
  ]);
}
