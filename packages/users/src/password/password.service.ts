import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";

/** Shortest password accepted, in characters (Unicode code points). */
export const PASSWORD_MIN_LENGTH = 10;
/** Longest password accepted: long enough for any passphrase, short enough to bound the work. */
export const PASSWORD_MAX_LENGTH = 200;

/** scrypt's cost parameters: CPU/memory cost `N` (a power of two), block size `r`, parallelism `p`. */
export interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

/**
 * The parameters new hashes are made with: OWASP's N=2^15, r=8, p=3 equivalent of its
 * N=2^17 baseline. It needs 32 MiB per hash rather than 128 MiB, so a few concurrent sign-ins
 * cannot exhaust the gateway's memory, and costs about 0.2 s on the project's machines.
 */
export const DEFAULT_SCRYPT_PARAMETERS: Readonly<ScryptParameters> = Object.freeze({ N: 2 ** 15, r: 8, p: 3 });

/**
 * What a closed account's `passwordHash` is replaced by: not in the `scrypt$…` format, so no
 * password can ever match it, and nothing of the old hash (a salt, a key) is kept.
 */
export const UNUSABLE_PASSWORD_HASH = "!closed";

/** True for a stored value that no password matches ({@link UNUSABLE_PASSWORD_HASH}). */
function isUnusable(stored: string): boolean {
  return stored.startsWith("!");
}

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const PREFIX = "scrypt";

function scrypt(password: string, salt: Buffer, params: ScryptParameters): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // OpenSSL needs 128·r·(N + p + 2) bytes; node's default cap (32 MiB) is exactly too small.
    maxmem: 128 * params.r * (params.N + params.p + 2) + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Why a password breaks the length rule, or null when it is acceptable. */
export function passwordRuleViolation(password: string): string | null {
  // Code points, not UTF-16 units: "at least 10 characters" should mean what a person counts.
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  return null;
}

interface ParsedHash {
  params: ScryptParameters;
  salt: Buffer;
  key: Buffer;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;
}

/**
 * Reads `scrypt$N$r$p$salt$key`. Bounds on the parameters keep a corrupted row from asking for
 * gigabytes of memory.
 */
function parse(stored: string): ParsedHash {
  const parts = stored.split("$");
  const [prefix, n, r, p, salt, key] = parts;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (
    parts.length !== 6 ||
    prefix !== PREFIX ||
    !isPowerOfTwo(params.N) ||
    params.N > 2 ** 22 ||
    !Number.isInteger(params.r) ||
    params.r < 1 ||
    params.r > 32 ||
    !Number.isInteger(params.p) ||
    params.p < 1 ||
    params.p > 16 ||
    !salt ||
    !key
  ) {
    throw new Error("A stored password hash is not in the scrypt$N$r$p$salt$key format");
  }
  return { params, salt: Buffer.from(salt, "base64url"), key: Buffer.from(key, "base64url") };
}

/**
 * Password hashing with scrypt (memory-hard) and a random salt per password. The parameters are
 * stored beside the hash (`scrypt$N$r$p$salt$key`), so they can be raised later: old hashes keep
 * verifying, and {@link needsRehash} says when to replace one at the next sign-in.
 *
 * Passwords are NFKC-normalised first, so the same passphrase typed on two keyboards (composed or
 * decomposed accents, full-width digits) is the same password.
 */
export class PasswordService {
  private dummyHash?: Promise<string>;

  constructor(readonly params: Readonly<ScryptParameters> = DEFAULT_SCRYPT_PARAMETERS) {
    if (!isPowerOfTwo(params.N) || params.r < 1 || params.p < 1) {
      throw new Error(`Invalid scrypt parameters ${JSON.stringify(params)}`);
    }
  }

  /** A new self-describing hash of `password` with a fresh salt and the current parameters. */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await scrypt(password.normalize("NFKC"), salt, this.params);
    const { N, r, p } = this.params;
    return [PREFIX, N, r, p, salt.toString("base64url"), key.toString("base64url")].join("$");
  }

  /**
   * True when `password` matches `stored`; compares in constant time. Always false for
   * {@link UNUSABLE_PASSWORD_HASH}.
   */
  async verify(password: string, stored: string): Promise<boolean> {
    // Same time as a real check, so a closed account answers like any wrong password.
    if (isUnusable(stored)) return this.verifyNothing(password);
    const { params, salt, key } = parse(stored);
    const candidate = await scrypt(password.normalize("NFKC"), salt, params);
    return candidate.length === key.length && timingSafeEqual(candidate, key);
  }

  /**
   * Spends the time of one verification against a hash that matches no password. Call it when
   * there is no account to check, so the response time does not reveal which emails exist.
   */
  async verifyNothing(password: string): Promise<false> {
    this.dummyHash ??= this.hash(randomBytes(32).toString("base64url"));
    await this.verify(password, await this.dummyHash);
    return false;
  }

  /** True when `stored` was made with other parameters than the current ones. */
  needsRehash(stored: string): boolean {
    if (isUnusable(stored)) return false;
    const { params } = parse(stored);
    return params.N !== this.params.N || params.r !== this.params.r || params.p !== this.params.p;
  }
}
