import {
  DEFAULT_SCRYPT_PARAMETERS,
  PasswordService,
  passwordRuleViolation,
  UNUSABLE_PASSWORD_HASH,
} from "./password.service";

describe("PasswordService", () => {
  // The production parameters, so this spec also proves they run within node's memory limits.
  const passwords = new PasswordService();

  it("verifies the password it hashed and rejects any other", async () => {
    const stored = await passwords.hash("correct horse battery");

    expect(await passwords.verify("correct horse battery", stored)).toBe(true);
    expect(await passwords.verify("correct horse batterY", stored)).toBe(false);
    expect(await passwords.verify("", stored)).toBe(false);
  });

  it("stores the parameters, a random salt and the key in one self-describing string", async () => {
    const a = await passwords.hash("correct horse battery");
    const b = await passwords.hash("correct horse battery");

    const { N, r, p } = DEFAULT_SCRYPT_PARAMETERS;
    expect(a).toMatch(new RegExp(`^scrypt\\$${N}\\$${r}\\$${p}\\$[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43}$`));
    expect(a.split("$")[4]).not.toBe(b.split("$")[4]);
    expect(a).not.toBe(b);
  });

  it("uses memory-hard parameters: at least 32 MiB per hash", () => {
    const { N, r } = DEFAULT_SCRYPT_PARAMETERS;

    expect(128 * N * r).toBeGreaterThanOrEqual(32 * 1024 * 1024);
  });

  it("verifies hashes made with other parameters, and says they need rehashing", async () => {
    const weak = new PasswordService({ N: 1024, r: 8, p: 1 });
    const stored = await weak.hash("correct horse battery");

    expect(await passwords.verify("correct horse battery", stored)).toBe(true);
    expect(passwords.needsRehash(stored)).toBe(true);
    expect(weak.needsRehash(stored)).toBe(false);
  });

  it("treats composed and decomposed accents as the same password", async () => {
    const fast = new PasswordService({ N: 1024, r: 8, p: 1 });
    const stored = await fast.hash("café au lait!".normalize("NFC"));

    expect(await fast.verify("café au lait!".normalize("NFD"), stored)).toBe(true);
  });

  it("refuses a stored value that is not a scrypt hash", async () => {
    await expect(passwords.verify("x", "plaintext")).rejects.toThrow(/format/);
    await expect(passwords.verify("x", "scrypt$1000$8$1$c2FsdA$a2V5")).rejects.toThrow(/format/); // N not a power of 2
    await expect(passwords.verify("x", `scrypt$${2 ** 30}$8$1$c2FsdA$a2V5`)).rejects.toThrow(/format/);
  });

  it("spends a verification's time on no account and never matches", async () => {
    const fast = new PasswordService({ N: 1024, r: 8, p: 1 });

    expect(await fast.verifyNothing("anything at all")).toBe(false);
  });

  it("matches no password against a closed account's unusable hash, and never asks to rehash it", async () => {
    const fast = new PasswordService({ N: 1024, r: 8, p: 1 });

    expect(await fast.verify("!closed", UNUSABLE_PASSWORD_HASH)).toBe(false);
    expect(await fast.verify("", UNUSABLE_PASSWORD_HASH)).toBe(false);
    expect(fast.needsRehash(UNUSABLE_PASSWORD_HASH)).toBe(false);
  });
});

describe("passwordRuleViolation", () => {
  it("accepts 10 to 200 characters", () => {
    expect(passwordRuleViolation("x".repeat(10))).toBeNull();
    expect(passwordRuleViolation("x".repeat(200))).toBeNull();
  });

  it("refuses fewer than 10 and more than 200 characters", () => {
    expect(passwordRuleViolation("x".repeat(9))).toMatch(/at least 10/);
    expect(passwordRuleViolation("x".repeat(201))).toMatch(/at most 200/);
  });

  it("counts characters as people do, not UTF-16 units", () => {
    // Five emoji are ten UTF-16 units but five characters.
    expect(passwordRuleViolation("🔑🔑🔑🔑🔑")).toMatch(/at least 10/);
  });
});
