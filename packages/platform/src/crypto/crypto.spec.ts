import { createHmac } from "node:crypto";
import { hmac, newId, openSecret, randomToken, safeEqual, sealSecret, sha256 } from "./crypto";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("hmac", () => {
  it("is HMAC-SHA256 over length-prefixed parts, hex encoded", () => {
    const expected = createHmac("sha256", "key")
      .update(Buffer.from([0, 0, 0, 2]))
      .update("ab")
      .update(Buffer.from([0, 0, 0, 1]))
      .update("c")
      .digest("hex");
    expect(hmac("key", "ab", "c")).toBe(expected);
  });

  it("never lets parts run into each other", () => {
    expect(hmac("key", "ab", "c")).not.toBe(hmac("key", "a", "bc"));
    expect(hmac("key", "abc")).not.toBe(hmac("key", "ab", "c"));
    expect(hmac("key", "", "a")).not.toBe(hmac("key", "a", ""));
  });

  it("counts UTF-8 bytes, not characters, in the prefix", () => {
    const expected = createHmac("sha256", "key")
      .update(Buffer.from([0, 0, 0, 2]))
      .update("é")
      .digest("hex");
    expect(hmac("key", "é")).toBe(expected);
  });

  it("depends on the key", () => {
    expect(hmac("key-1", "a")).not.toBe(hmac("key-2", "a"));
    expect(hmac(Buffer.from("key"), "a")).toBe(hmac("key", "a"));
  });
});

describe("newId", () => {
  it("is a version 7 UUID", () => {
    for (let i = 0; i < 100; i++) expect(newId()).toMatch(UUID_V7);
  });

  it("carries its creation time in the first 48 bits", () => {
    const at = Date.UTC(2026, 10, 25, 12, 0, 0, 123);
    const id = newId(at);
    expect(parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(at);
  });

  it("sorts by creation time", () => {
    const start = Date.UTC(2026, 0, 1);
    const ids = Array.from({ length: 200 }, (_, i) => newId(start + i * 7));
    expect([...ids].reverse().sort()).toEqual(ids);
  });

  it("sorts in the order made within one millisecond (a job queue's claim order)", () => {
    const at = Date.now() + 60_000;
    const ids = Array.from({ length: 1000 }, () => newId(at));
    expect(ids.every((id) => UUID_V7.test(id))).toBe(true);
    expect([...ids].reverse().sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });

  it("uses fresh random bits for every id, across refills of its entropy", () => {
    // Older times than the last id's get random bits in all 74 places: 600 ids span three refills.
    const ids = Array.from({ length: 600 }, () => newId(1_000));
    expect(ids.every((id) => UUID_V7.test(id) && id.startsWith("00000000-03e8-7"))).toBe(true);
    expect(new Set(ids.map((id) => id.slice(19))).size).toBe(600);
  });

  it("refuses a time that does not fit its 48 bits", () => {
    expect(() => newId(-1)).toThrow(RangeError);
    expect(() => newId(2 ** 48)).toThrow(RangeError);
    expect(() => newId(1.5)).toThrow(RangeError);
  });

  it("is unique within the same millisecond", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId(1_700_000_000_000)));
    expect(ids.size).toBe(1000);
  });
});

describe("safeEqual", () => {
  it("is true only for equal strings", () => {
    expect(safeEqual("token", "token")).toBe(true);
    expect(safeEqual("token", "tokem")).toBe(false);
    expect(safeEqual("token", "token-longer")).toBe(false);
    expect(safeEqual("", "")).toBe(true);
  });

  it("compares bytes, so strings of equal length in characters but not bytes differ", () => {
    expect(safeEqual("é", "e")).toBe(false);
  });
});

describe("randomToken and sha256", () => {
  it("makes URL-safe tokens of the asked entropy", () => {
    expect(randomToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(4)).toMatch(/^[A-Za-z0-9_-]{6}$/);
    expect(randomToken()).not.toBe(randomToken());
  });

  it("hashes to hex SHA-256", () => {
    expect(sha256("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("sealSecret and openSecret", () => {
  const secret = "a-server-secret-that-is-long-enough-0123";

  it("round-trips, with a fresh IV each time and no plaintext in the output", () => {
    const a = sealSecret(secret, "users.totp", "JBSWY3DPEHPK3PXP");
    const b = sealSecret(secret, "users.totp", "JBSWY3DPEHPK3PXP");
    expect(a).not.toBe(b);
    expect(a).not.toContain("JBSWY3DPEHPK3PXP");
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(openSecret(secret, "users.totp", a)).toBe("JBSWY3DPEHPK3PXP");
  });

  it("refuses another secret, another purpose, an altered value and garbage", () => {
    const sealed = sealSecret(secret, "users.totp", "seed");
    expect(() => openSecret(`${secret}x`, "users.totp", sealed)).toThrow();
    expect(() => openSecret(secret, "users.other", sealed)).toThrow();
    const [v, iv, tag, body] = sealed.split(".");
    const flipped = Buffer.from(body!, "base64url");
    flipped[0] = flipped[0]! ^ 1;
    expect(() => openSecret(secret, "users.totp", [v, iv, tag, flipped.toString("base64url")].join("."))).toThrow();
    expect(() => openSecret(secret, "users.totp", "seed")).toThrow("not a sealed secret");
  });
});
