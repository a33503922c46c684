import { ANONYMOUS, ErrorCode, PARTNER_ROLE, Role, type Actor } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import type { ResolverData } from "type-graphql";
import { authChecker } from "./auth-checker";

function check(actor: Actor, roles: string[]): true | ErrorCode {
  const data = { context: { ctx: { actor } } } as unknown as ResolverData<GraphQLContext>;
  try {
    return authChecker(data, roles) as true;
  } catch (error) {
    return (error as { code: ErrorCode }).code;
  }
}

const customer: Actor = { kind: "user", userId: "u1", role: Role.CUSTOMER, sessionId: "s1" };
const admin: Actor = { kind: "user", userId: "u2", role: Role.ADMIN, sessionId: "s2" };
const partner: Actor = { kind: "partner", partnerId: "p1", apiKeyId: "k1" };

describe("authChecker", () => {
  it("asks anonymous callers to sign in, whatever the roles", () => {
    expect(check(ANONYMOUS, [])).toBe(ErrorCode.UNAUTHENTICATED);
    expect(check(ANONYMOUS, [Role.ADMIN])).toBe(ErrorCode.UNAUTHENTICATED);
    expect(check(ANONYMOUS, [PARTNER_ROLE])).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it("admits any signed-in user to @Authorized() and only listed roles otherwise", () => {
    expect(check(customer, [])).toBe(true);
    expect(check(customer, [Role.SUPPORT, Role.ADMIN])).toBe(ErrorCode.FORBIDDEN);
    expect(check(admin, [Role.SUPPORT, Role.ADMIN])).toBe(true);
    expect(check(admin, [PARTNER_ROLE])).toBe(ErrorCode.FORBIDDEN);
  });

  it("admits partners only where PARTNER is listed", () => {
    expect(check(partner, [])).toBe(ErrorCode.FORBIDDEN);
    expect(check(partner, [Role.ADMIN])).toBe(ErrorCode.FORBIDDEN);
    expect(check(partner, [PARTNER_ROLE])).toBe(true);
  });
});
