import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  randomFillSync,
  timingSafeEqual,
} from "node:crypto";

/** A URL-safe random token of `bytes` random bytes (default 32: 256 bits). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** SHA-256 of a UTF-8 string, hex encoded. For high-entropy secrets such as session tokens. */
export function sha256(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/**
 * HMAC-SHA256 keyed with `key` over the parts, hex encoded. Parts are length-prefixed so that
 * ("ab", "c") and ("a", "bc") never collide.
 */
export function hmac(key: string | Buffer, ...parts: string[]): string {
  const mac = createHmac("sha256", key);
  for (const part of parts) {
    const bytes = Buffer.from(part, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    mac.update(len).update(bytes);
  }
  return mac.digest("hex");
}

/** Constant-time comparison of two strings. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** The millisecond of the latest id made in this process, and its 12-bit sequence (RFC 9562 method 1). */
let lastIdMs = -1;
let idSequence = 0;

/**
 * Random bytes for the next 256 ids, drawn from the CSPRNG at once and each used once, as Node's
 * own `randomUUID` keeps them: a page of partner orders makes 50 ids, and a `randomBytes(16)` per
 * id (a call into OpenSSL and a Buffer each) was 3 % of that request's CPU.
 */
const ID_ENTROPY = Buffer.allocUnsafe(16 * 256);
let idEntropyOffset = ID_ENTROPY.length;
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
const MAX_ID_MS = 2 ** 48 - 1;

/**
 * A time-ordered UUID (version 7): ids sort by creation time, so keyset pagination can order by
 * id alone, and they reveal nothing about how many rows exist. Ids made in this process within
 * one millisecond sort in the order they were made too (a counter in the 12 bits after the
 * version, starting at a random value below 2048), so two jobs enqueued in the same millisecond
 * are claimed in that order. An explicit earlier `now` gets random bits, as before.
 */
export function newId(now = Date.now()): string {
  if (!Number.isInteger(now) || now < 0 || now > MAX_ID_MS) {
    throw new RangeError(`newId: the time must be a whole millisecond from 0 to 2^48 - 1, not ${now}`);
  }
  if (idEntropyOffset === ID_ENTROPY.length) {
    randomFillSync(ID_ENTROPY);
    idEntropyOffset = 0;
  }
  const at = idEntropyOffset;
  idEntropyOffset += 16;
  const r = ID_ENTROPY;
  let sequence: number | null = null;
  if (now > lastIdMs) {
    lastIdMs = now;
    idSequence = ((r[at + 6]! & 0x07) << 8) | r[at + 7]!;
    sequence = idSequence;
  } else if (now === lastIdMs && idSequence < 0xfff) {
    idSequence += 1;
    sequence = idSequence;
  }
  const versionHigh = sequence === null ? (r[at + 6]! & 0x0f) | 0x70 : 0x70 | (sequence >> 8);
  const versionLow = sequence === null ? r[at + 7]! : sequence & 0xff;
  const time = now.toString(16).padStart(12, "0");
  return (
    `${time.slice(0, 8)}-${time.slice(8)}-${HEX[versionHigh]}${HEX[versionLow]}-` +
    `${HEX[(r[at + 8]! & 0x3f) | 0x80]}${HEX[r[at + 9]!]}-` +
    `${HEX[r[at + 10]!]}${HEX[r[at + 11]!]}${HEX[r[at + 12]!]}${HEX[r[at + 13]!]}${HEX[r[at + 14]!]}${HEX[r[at + 15]!]}`
  );
}

/** The format mark of {@link sealSecret}'s output: AES-256-GCM under an HKDF-SHA256 key, version 1. */
const SEALED_V1 = "v1";

function sealingKey(serverSecret: string, purpose: string): Buffer {
  // One key per purpose: a value sealed for one use cannot be opened as another's.
  return Buffer.from(hkdfSync("sha256", serverSecret, "honour.sealed-secret", purpose, 32));
}

/**
 * Encrypts a small secret that must be read back (a TOTP seed) for storage: AES-256-GCM under a
 * key derived from the server secret (`HONOUR_SECRET`) and `purpose` with HKDF, a fresh 96-bit IV
 * each time. Returns `v1.<iv>.<tag>.<ciphertext>` (base64url), at most 4/3 of the plaintext plus 50
 * characters. A copy of the database alone does not reveal it.
 */
export function sealSecret(serverSecret: string, purpose: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(serverSecret, purpose), iv);
  cipher.setAAD(Buffer.from(purpose, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [SEALED_V1, iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
    .join(".");
}

/**
 * Decrypts what {@link sealSecret} made with the same server secret and purpose. Throws when the
 * value was altered, sealed for another purpose or under another secret.
 */
export function openSecret(serverSecret: string, purpose: string, sealed: string): string {
  const [version, iv, tag, body, extra] = sealed.split(".");
  if (version !== SEALED_V1 || !iv || !tag || body === undefined || extra !== undefined) {
    throw new Error("not a sealed secret");
  }
  const decipher = createDecipheriv("aes-256-gcm", sealingKey(serverSecret, purpose), Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(purpose, "utf8"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}
