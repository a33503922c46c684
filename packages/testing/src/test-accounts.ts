import {
  JobEntity,
  TRANSACTIONAL_MAIL_JOB,
  type Actor,
  type RequestContext,
  type Role,
  type TransactionalMailPayload,
} from "@honour/platform";

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
  /** Email verification: the account's welcome link is used, as its holder would (unless told not to). */
  emailVerifications?: { verify(ctx: RequestContext, token: string): Promise<unknown> };
}

/** The verification mails (welcome or resend) queued for `address`, oldest first. */
async function verificationMails(ctx: RequestContext, address: string): Promise<{ id: string; text: string }[]> {
  const jobs = await ctx.manager.find(JobEntity, {
    where: { name: TRANSACTIONAL_MAIL_JOB },
    order: { createdAt: "ASC", id: "ASC" },
  });
  return jobs
    .map((j) => ({ id: j.id, mail: j.payload as TransactionalMailPayload }))
    .filter(
      ({ mail }) => (mail.kind === "WELCOME" || mail.kind === "EMAIL_VERIFICATION") && mail.to.address === address,
    )
    .map(({ id, mail }) => ({ id, text: mail.text }));
}

/** The token of the newest verification link mailed to `address` (the welcome, or a resend), read from the mail queue. */
export async function lastVerificationToken(ctx: RequestContext, address: string): Promise<string> {
  const mail = (await verificationMails(ctx, address)).at(-1);
  const token = mail && /\/account\/verify\?token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  if (!token) throw new Error(`no verification link was mailed to ${address}`);
  return token;
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
 * before its session is looked up. Unless `verifyEmail` is false, the holder has used the welcome
 * mail's verification link too (double opt-in: what they chose on the form is granted), in the
 * same transaction, and the welcome mail is taken out of the queue: tests of other things neither
 * wait for it nor find it among what was sent. Pass `verifyEmail: false` to see and use it.
 */
export async function signUpTestAccount<User extends { id: string }, Details>(
  services: TestAccountServices<User, Details>,
  ctx: (actor?: Actor) => RequestContext,
  details: Partial<Details> = {},
  role?: Role,
  { verifyEmail = true }: { verifyEmail?: boolean } = {},
): Promise<TestAccount<User>> {
  counter += 1;
  const signedIn = await ctx().transaction(async (tx) => {
    const done = await services.users.signUp(tx, {
      email: `person${counter}@example.com`,
      password: TEST_PASSWORD,
      name: `Person ${counter}`,
      ...details,
    } as Details);
    if (verifyEmail && services.emailVerifications) {
      const address = (done.user as unknown as { email: string }).email;
      const mails = await verificationMails(tx, address);
      await services.emailVerifications.verify(tx, await lastVerificationToken(tx, address));
      for (const { id } of mails) await tx.manager.delete(JobEntity, { id });
    }
    return done;
  });
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
