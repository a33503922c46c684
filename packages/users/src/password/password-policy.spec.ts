import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ErrorCode } from "@honour/platform";
import { UsersErrorCode } from "../users.exception";
import { PASSWORD_HINT, PasswordPolicy } from "./password-policy";

/** What the policy threw, or null. */
async function refusal(policy: PasswordPolicy, password: string) {
  try {
    await policy.check("input.password", password);
    return null;
  } catch (error) {
    return error as { code: string; fields: { field: string; message: string }[]; extra: Record<string, unknown> };
  }
}

describe("PasswordPolicy", () => {
  const policy = new PasswordPolicy();

  it.each(["1234567890", "qwertyuiop", "password123", "Password1234", "P4ssw0rd123", "aaaaaaaaaa", "iloveyou12"])(
    "refuses the common password %s with PASSWORD_TOO_COMMON and a hint",
    async (password) => {
      const error = await refusal(policy, password);
      expect(error).toMatchObject({
        code: ErrorCode.BAD_USER_INPUT,
        extra: { reason: UsersErrorCode.PASSWORD_TOO_COMMON, hint: PASSWORD_HINT },
      });
      expect(error!.fields.map((f) => f.field)).toEqual(["input.password"]);
    },
  );

  it.each(["correct horse battery", "honour-demo-password", "my brand new password", "Tr0ub4dor&3-lemon-sky"])(
    "accepts %s",
    async (password) => {
      expect(await refusal(policy, password)).toBeNull();
    },
  );

  describe("with PWNED_PASSWORDS_URL", () => {
    let server: Server;
    let url: string;
    const requests: IncomingMessage[] = [];
    /** How the fake range API answers the next requests. */
    let answer: (prefix: string) => { status: number; body: string; delayMs?: number };

    beforeAll(async () => {
      server = createServer((request, response) => {
        requests.push(request);
        const prefix = /^\/range\/([0-9A-F]{5})$/.exec(request.url ?? "")?.[1] ?? "";
        const { status, body, delayMs = 0 } = answer(prefix);
        setTimeout(() => response.writeHead(status, { "content-type": "text/plain" }).end(body), delayMs).unref();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    beforeEach(() => void (requests.length = 0));

    const sha1 = (text: string) => createHash("sha1").update(text).digest("hex").toUpperCase();

    it("sends only the 5-character SHA-1 prefix, and refuses a password the range lists", async () => {
      const password = "a perfectly fine passphrase";
      const hash = sha1(password);
      answer = () => ({ status: 200, body: `0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n${hash.slice(5)}:42\r\n` });
      const pwned = new PasswordPolicy({ pwnedPasswordsUrl: url });

      const error = await refusal(pwned, password);

      expect(error).toMatchObject({ extra: { reason: UsersErrorCode.PASSWORD_TOO_COMMON } });
      expect(requests.map((r) => r.url)).toEqual([`/range/${hash.slice(0, 5)}`]);
      expect(requests[0]!.headers["add-padding"]).toBe("true");
      // Nothing else of the password leaves: no suffix, no plain text, in the URL or the headers.
      const sent = JSON.stringify({ url: requests[0]!.url, headers: requests[0]!.headers });
      expect(sent).not.toContain(hash.slice(5, 12));
      expect(sent).not.toContain("passphrase");
    });

    it("accepts a password the range does not list (padding entries with count 0 included)", async () => {
      const password = "another fine passphrase";
      answer = () => ({ status: 200, body: `${sha1(password).slice(5)}:0\nFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:3\n` });
      expect(await refusal(new PasswordPolicy({ pwnedPasswordsUrl: url }), password)).toBeNull();
    });

    it("fails open with a log line when the API errs or is too slow", async () => {
      const warnings: string[] = [];
      const logger = {
        info() {},
        error() {},
        debug() {},
        warn: (_obj: object | string, msg?: string) => void warnings.push(msg ?? ""),
      };
      answer = () => ({ status: 503, body: "down" });
      expect(
        await refusal(new PasswordPolicy({ pwnedPasswordsUrl: url, logger }), "a third fine passphrase"),
      ).toBeNull();
      answer = () => ({ status: 200, body: "", delayMs: 2000 });
      const slow = new PasswordPolicy({ pwnedPasswordsUrl: url, logger, timeoutMs: 100 });
      const started = Date.now();
      expect(await refusal(slow, "a fourth fine passphrase")).toBeNull();
      expect(Date.now() - started).toBeLessThan(1500);
      expect(warnings).toEqual([
        expect.stringContaining("pwned passwords"),
        expect.stringContaining("pwned passwords"),
      ]);
    });

    it("never asks the API about a password the embedded list refuses already", async () => {
      answer = () => ({ status: 200, body: "" });
      await refusal(new PasswordPolicy({ pwnedPasswordsUrl: url }), "1234567890");
      expect(requests).toEqual([]);
    });
  });
});
