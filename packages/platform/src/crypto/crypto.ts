import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
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
 * A time-ordered UUID (version 7): ids sort by creation time, so keyset pagination can order by
 * id alone, and they reveal nothing about how many rows exist. Ids made in this process within
 * one millisecond sort in the order they were made too (a counter in the 12 bits after the
 * version, starting at a random value below 2048), so two jobs enqueued in the same millisecond
 * are claimed in that order. An explicit earlier `now` gets random bits, as before.
 */
export function newId(now = Date.now()): string {
  const bytes = randomBytes(16);
  let sequence: number | null = null;
  if (now > lastIdMs) {
    lastIdMs = now;
    idSequence = ((bytes[6]! & 0x07) << 8) | bytes[7]!;
    sequence = idSequence;
  } else if (now === lastIdMs && idSequence < 0xfff) {
    idSequence += 1;
    sequence = idSequence;
  }
  bytes.writeUIntBE(now, 0, 6);
  if (sequence === null) bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  else {
    bytes[6] = 0x70 | (sequence >> 8);
    bytes[7] = sequence & 0xff;
  }
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
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
