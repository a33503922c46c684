import { ANONYMOUS, ManualClock, RequestContext } from "@honour/platform";
import type { DataSource } from "typeorm";
import { SessionService } from "./session.service";

describe("SessionService without a database", () => {
  // Any query would throw: these calls must be answered before the database is asked.
  const noDatabase = new Proxy(
    {},
    {
      get: () => {
        throw new Error("the database was asked");
      },
    },
  ) as DataSource;
  const ctx = new RequestContext(noDatabase, ANONYMOUS, new ManualClock(), noDatabase as never);
  const sessions = new SessionService(30);

  it.each([undefined, "", "short", "x".repeat(44), "A".repeat(42) + "=", "A".repeat(42) + "/"])(
    "resolves the malformed token %j to anonymous",
    async (token) => {
      expect(await sessions.resolveActor(ctx, token)).toEqual(ANONYMOUS);
    },
  );

  it("does not look up a malformed token to revoke it", async () => {
    expect(await sessions.revoke(ctx, "not a token")).toBe(false);
  });

  it("has no current session to end for an anonymous caller", async () => {
    expect(await sessions.revokeCurrent(ctx)).toBe(false);
  });
});

describe("SessionService lifetime", () => {
  it("lives the configured number of days after its last use", () => {
    expect(new SessionService(30).ttlMs).toBe(30 * 24 * 60 * 60 * 1000);
    expect(new SessionService(1).ttlMs).toBe(24 * 60 * 60 * 1000);
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses a retention of %p days", (days) => {
    expect(() => new SessionService(days)).toThrow(/session retention/);
  });
});
