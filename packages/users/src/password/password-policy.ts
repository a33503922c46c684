import { createHash } from "node:crypto";
import { silentLogger, type Logger } from "@honour/platform";
import type { ZxcvbnFactory } from "@zxcvbn-ts/core";
import { UsersErrorCode, UsersException } from "../users.exception";

/**
 * zxcvbn's score below which a password counts as common: 0 and 1 are fewer than about a million
 * guesses, i.e. a password from the common lists (49 000 entries), one with a digit or capital
 * added, a keyboard walk or a repeat. Every password of 10+ characters a person made up passes.
 */
export const MIN_PASSWORD_SCORE = 2;

/** What the refusal suggests instead. */
export const PASSWORD_HINT =
  "Use a passphrase of three or four unrelated words, or a password manager's random password; " +
  "common passwords, with or without a digit or capital added, are guessed first.";

/** How long the Pwned Passwords range API may take before the check is skipped (fail open). */
export const PWNED_PASSWORDS_TIMEOUT_MS = 2000;

export interface PasswordPolicyOptions {
  /**
   * `PWNED_PASSWORDS_URL`: the base of a Have I Been Pwned range API (`https://api.pwnedpasswords.com`);
   * `GET <url>/range/<first 5 hex of SHA-1>` answers `SUFFIX:COUNT` lines. Unset: no such check.
   */
  pwnedPasswordsUrl?: string | null;
  timeoutMs?: number;
  /** Where a failed range request is reported (the password is then accepted). */
  logger?: Logger;
}

/**
 * zxcvbn and its dictionaries (about 10 MiB resident and a tenth of a second to load), loaded on
 * the first password checked rather than when the gateway starts (issue 18: idle memory, start-up).
 */
let zxcvbn: ZxcvbnFactory | undefined;

function loadZxcvbn(): ZxcvbnFactory {
  // require, not import(): the build is CommonJS, and jest runs it without ES module support.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { ZxcvbnFactory: Factory } = require("@zxcvbn-ts/core") as typeof import("@zxcvbn-ts/core");
  const { adjacencyGraphs, dictionary } =
    require("@zxcvbn-ts/language-common") as typeof import("@zxcvbn-ts/language-common");
  /* eslint-enable @typescript-eslint/no-require-imports */
  return new Factory({ dictionary, graphs: adjacencyGraphs });
}

/**
 * New passwords must not be among the most common: zxcvbn with the common passwords and keyboard
 * dictionaries (embedded, no network), and optionally Have I Been Pwned's k-anonymity range API,
 * to which only the first 5 hex characters of the password's SHA-1 are sent; a breach count above
 * zero refuses it. The range API failing or timing out accepts the password, with a log line: an
 * outage elsewhere must not stop people registering.
 */
export class PasswordPolicy {
  constructor(private readonly options: PasswordPolicyOptions = {}) {}

  /**
   * Throws `BAD_USER_INPUT` on `field` (reason PASSWORD_TOO_COMMON, extension `hint`) when the
   * password is too common or known from breaches. Call it after the length rule passed.
   */
  async check(field: string, password: string): Promise<void> {
    const normalised = password.normalize("NFKC");
    zxcvbn ??= loadZxcvbn();
    if (zxcvbn.check(normalised).score < MIN_PASSWORD_SCORE) {
      throw tooCommon(field, "is one of the most common passwords, or close to one");
    }
    if (this.options.pwnedPasswordsUrl && (await this.breachCount(normalised)) > 0) {
      throw tooCommon(field, "appears in known data breaches");
    }
  }

  /** How often the password appears in breaches, per the range API; 0 when the API fails. */
  private async breachCount(password: string): Promise<number> {
    const sha1 = createHash("sha1").update(password, "utf8").digest("hex").toUpperCase();
    const prefix = sha1.slice(0, 5);
    const suffix = sha1.slice(5);
    const url = `${this.options.pwnedPasswordsUrl!.replace(/\/+$/, "")}/range/${prefix}`;
    try {
      const response = await fetch(url, {
        // Padding makes every answer about the same size, so the prefix is not guessed from it.
        headers: { "add-padding": "true", "user-agent": "honour" },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? PWNED_PASSWORDS_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      for (const line of (await response.text()).split(/\r?\n/)) {
        const [candidate, count] = line.trim().split(":");
        if (candidate?.toUpperCase() === suffix) return Number(count) || 0;
      }
      return 0;
    } catch (err) {
      (this.options.logger ?? silentLogger).warn(
        { err: err instanceof Error ? err.message : String(err) },
        "pwned passwords check failed; the password was accepted without it",
      );
      return 0;
    }
  }
}

function tooCommon(field: string, message: string): UsersException {
  return new UsersException(
    UsersErrorCode.PASSWORD_TOO_COMMON,
    `This password is too easy to guess: it ${message}.`,
    [{ field, message }],
    { hint: PASSWORD_HINT },
  );
}
