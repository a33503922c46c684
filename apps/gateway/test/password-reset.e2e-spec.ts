import { JobEntity, TRANSACTIONAL_MAIL_JOB, type TransactionalMailPayload } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { SignInAttemptEntity } from "@honour/users";
import {
  LOGIN,
  ME,
  newRegistration,
  signedInCustomer,
  startTestGateway,
  type TestGateway,
} from "./support/test-gateway";

const REQUEST_RESET = /* GraphQL */ `
  mutation RequestPasswordReset($email: String!) {
    requestPasswordReset(email: $email)
  }
`;
const RESET_PASSWORD = /* GraphQL */ `
  mutation ResetPassword($input: ResetPasswordInput!) {
    resetPassword(input: $input) {
      user {
        id
      }
    }
  }
`;
const NEW_PASSWORD = "my brand new password";

describe.each(testDatabaseKinds())("password reset over HTTP on %s", (kind) => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The queued mail of `mailKind` to `address`, oldest first. */
  async function mailsTo(address: string, mailKind: string): Promise<TransactionalMailPayload[]> {
    const jobs = await t.gateway.dataSource.manager.find(JobEntity, {
      where: { name: TRANSACTIONAL_MAIL_JOB },
      order: { createdAt: "ASC" },
    });
    return jobs
      .map((j) => j.payload as TransactionalMailPayload)
      .filter((m) => m.kind === mailKind && m.to.address === address);
  }

  function pageHeadersOf(response: Response) {
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|script-src/);
  }

  it("answers true for known and unknown addresses and mails a link only to an account", async () => {
    const { input } = await signedInCustomer(t);
    const anonymous = t.client();
    expect(await anonymous.ok(REQUEST_RESET, { email: input.email })).toEqual({ requestPasswordReset: true });
    expect(await anonymous.ok(REQUEST_RESET, { email: "nobody.at.all@example.test" })).toEqual({
      requestPasswordReset: true,
    });
    const [mail] = await mailsTo(input.email, "PASSWORD_RESET");
    expect(mail!.text).toContain(`${t.config.publicUrl}/account/reset?token=`);
    expect(await mailsTo("nobody.at.all@example.test", "PASSWORD_RESET")).toEqual([]);
  });

  it("shows the form on GET without acting, and resets on POST: old sessions dead, new cookie works", async () => {
    const { client: first, input, userId } = await signedInCustomer(t);
    const second = t.client();
    await second.ok(LOGIN, { input: { email: input.email, password: input.password } });
    await t.client().ok(REQUEST_RESET, { email: input.email });
    const [mail] = await mailsTo(input.email, "PASSWORD_RESET");
    const link = new URL(/https?:\/\/\S+/.exec(mail!.text)![0]);
    const token = link.searchParams.get("token")!;

    const browser = t.client();
    // Mail scanners follow links: GET shows the form and changes nothing.
    const form = await browser.fetch(`${link.pathname}${link.search}`);
    expect(form.status).toBe(200);
    pageHeadersOf(form);
    const formHtml = await form.text();
    expect(formHtml).toMatch(/<form method="post" action="\/account\/reset">/);
    expect(formHtml).toContain('name="newPassword" type="password"');
    expect(formHtml).toContain("<button");
    expect(formHtml).not.toContain("<script");
    expect(browser.cookies.size).toBe(0);
    expect((await first.ok<{ me: { id: string } | null }>(ME)).me?.id).toBe(userId);
    await t.client().ok(LOGIN, { input: { email: input.email, password: input.password } });

    const done = await browser.fetch("/account/reset", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, newPassword: NEW_PASSWORD }).toString(),
    });
    expect(done.status).toBe(200);
    pageHeadersOf(done);
    expect(await done.text()).toContain("Your password was changed");
    expect(browser.lastSetCookie.join(";")).toMatch(/honour_session=[^;]+;.*HttpOnly/i);

    expect((await browser.ok<{ me: { id: string } | null }>(ME)).me?.id).toBe(userId);
    expect((await first.ok<{ me: unknown }>(ME)).me).toBeNull();
    expect((await second.ok<{ me: unknown }>(ME)).me).toBeNull();
    const old = await t.client().query(LOGIN, { input: { email: input.email, password: input.password } });
    expect(old.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    await t.client().ok(LOGIN, { input: { email: input.email, password: NEW_PASSWORD } });
    const notices = await mailsTo(input.email, "PASSWORD_CHANGED");
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain("If this was not you");

    // Single use: the same link again shows the form with the error, and changes nothing.
    const again = await t.client().fetch("/account/reset", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, newPassword: "yet another password" }).toString(),
    });
    expect(again.status).toBe(400);
    pageHeadersOf(again);
    const againHtml = await again.text();
    expect(againHtml).toContain("not valid any more");
    expect(againHtml).toContain("<form");
    // The link's token never reaches the request log.
    expect(t.logs.join("")).not.toContain(token);
  });

  it("answers one BAD_USER_INPUT code for a dead token over GraphQL and signs in with a live one", async () => {
    const dead = await t.client().query(RESET_PASSWORD, { input: { token: "not-a-token", newPassword: NEW_PASSWORD } });
    expect(dead.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", reason: "INVALID_RESET_TOKEN" });

    const { input, userId } = await signedInCustomer(t);
    await t.client().ok(REQUEST_RESET, { email: input.email });
    const [mail] = await mailsTo(input.email, "PASSWORD_RESET");
    const token = new URL(/https?:\/\/\S+/.exec(mail!.text)![0]).searchParams.get("token")!;
    const client = t.client();
    const data = await client.ok<{ resetPassword: { user: { id: string } } }>(RESET_PASSWORD, {
      input: { token, newPassword: NEW_PASSWORD },
    });
    expect(data.resetPassword.user.id).toBe(userId);
    expect((await client.ok<{ me: { id: string } | null }>(ME)).me?.id).toBe(userId);
  });

  it("refuses a POST from another site", async () => {
    const response = await t.client().fetch("/account/reset", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: "token=x&newPassword=whatever-password",
    });
    expect(response.status).toBe(403);
  });

  it("answers a known and an unknown address in about the same time over HTTP (median of 200 calls each)", async () => {
    const { input } = await signedInCustomer(t);
    const client = t.client();
    const known: number[] = [];
    const unknown: number[] = [];
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const time = async (email: string, into: number[]) => {
      // The throttle's counts go before each call (the gateway runs on the real clock): the time
      // measured is a request's that is let through, never a refusal's.
      await t.gateway.dataSource.createQueryBuilder().delete().from(SignInAttemptEntity).execute();
      const started = process.hrtime.bigint();
      expect(await client.ok(REQUEST_RESET, { email })).toEqual({ requestPasswordReset: true });
      into.push(Number(process.hrtime.bigint() - started) / 1e6);
    };
    for (let i = 0; i < 20; i += 1) {
      await time(input.email, []);
      await time(`warm-up${i}@example.test`, []);
    }
    for (let i = 0; i < 200; i += 1) {
      // Alternated, each first in turn, so that a slow patch of the machine hits both alike.
      const pair = [() => time(input.email, known), () => time(`nobody${i}@example.test`, unknown)];
      for (const call of i % 2 === 0 ? pair : pair.reverse()) await call();
    }
    const k = median(known);
    const u = median(unknown);
    const difference = Math.abs(k - u) / Math.max(k, u);
    console.log(
      `requestPasswordReset over HTTP on ${kind}, median of 200 each: known ${k.toFixed(3)} ms, ` +
        `unknown ${u.toFixed(3)} ms (difference ${(difference * 100).toFixed(1)} %)`,
    );
    expect(difference).toBeLessThan(0.1);
    expect(await mailsTo(input.email, "PASSWORD_RESET")).toHaveLength(220);
  }, 180_000);

  it("throttles requests for one address with RATE_LIMITED and Retry-After", async () => {
    const email = newRegistration().email;
    const client = t.client();
    for (let i = 0; i < 3; i += 1) await client.ok(REQUEST_RESET, { email });
    const refused = await client.query(REQUEST_RESET, { email });
    expect(refused.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
