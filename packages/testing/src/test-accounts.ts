import type { Actor, RequestContext, Role } from "@honour/platform";

/** The password of every account a test bed signs up. */
export const TEST_PASSWORD = "correct horse battery";

/**
 * Cheap scrypt parameters for the users services of a test bed: the tests are about behaviour,
 * and the parameters travel with each hash (the password unit spec covers the production ones).
 */
export const FAST_PASSWORD_HASHING = Object.freeze({ N: 2 ** 10, r: 8, p: 1 });

/**
 * What signing up needs of the users services (`UsersServices`). Written out here rather than
 * imported, because @honour/users' own tests use this package.
 */
export interface TestAccountServices<User, Details> {
  users: {
    signUp(
      ctx: RequestContext,
      details: Details,
    ): Promise<{ user: User; session: { token: string; sessionId: string } }>;
    setRole(ctx: RequestContext, userId: string, role: Role): Promise<unknown>;
  };
  sessions: { resolveActor(ctx: RequestContext, token: string): Promise<Actor> };
}

/** A signed-up, signed-in account, and a context acting as it as the gateway would build it. */
export interface TestAccount<User> {
  user: User;
  token: string;
  sessionId: string;
  actor: Actor;
  ctx: RequestContext;
}

let counter = 0;

/**
 * Registers and signs in a new account (`person<n>@example.com`, {@link TEST_PASSWORD}, with
 * `details` on top) in a transaction of its own, as the resolver does; `role` promotes it
 * before its session is looked up.
 */
export async function signUpTestAccount<User extends { id: string }, Details>(
  services: TestAccountServices<User, Details>,
  ctx: (actor?: Actor) => RequestContext,
  details: Partial<Details> = {},
  role?: Role,
): Promise<TestAccount<User>> {
  counter += 1;
  const signedIn = await ctx().transaction((tx) =>
    services.users.signUp(tx, {
      email: `person${counter}@example.com`,
      password: TEST_PASSWORD,
      name: `Person ${counter}`,
      ...details,
    } as Details),
  );
  if (role) await services.users.setRole(ctx(), signedIn.user.id, role);
  const actor = await services.sessions.resolveActor(ctx(), signedIn.session.token);
  return {
    user: signedIn.user,
    token: signedIn.session.token,
    sessionId: signedIn.session.sessionId,
    actor,
    ctx: ctx(actor),
  };
}

/** What a rejected call threw, for assertions on its code (never its wording). */
export interface Failure {
  code?: string;
  message: string;
  fields?: { field: string; message: string }[];
  extra?: { reason?: string } & Record<string, unknown>;
}

/** The error a promise rejects with, to assert on its `code`, `fields` and `extra`; fails if it resolves. */
export async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    return error as Failure;
  }
  throw new Error("expected the call to fail, but it succeeded");
}
