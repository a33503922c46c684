import { JobEntity, TRANSACTIONAL_MAIL_JOB, type TransactionalMailPayload } from "@honour/platform";
import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import { totpCode } from "./support/totp";
import { ADMIN, LOGIN, REGISTER, startTestGateway, signedInCustomer, type TestGateway } from "./support/test-gateway";

const START_TOTP = /* GraphQL */ `
  mutation StartTotpEnrolment {
    startTotpEnrolment {
      secret
      otpauthUri
      qrCodeSvg
    }
  }
`;
const CONFIRM_TOTP = /* GraphQL */ `
  mutation ConfirmTotpEnrolment($code: String!) {
    confirmTotpEnrolment(code: $code)
  }
`;
const COMPLETE_LOGIN = /* GraphQL */ `
  mutation CompleteLogin($input: CompleteLoginInput!) {
    completeLogin(input: $input) {
      user {
        id
        totpEnabled
      }
    }
  }
`;
const ME_TOTP = /* GraphQL */ `
  query MeTotp {
    me {
      id
      totpEnabled
    }
  }
`;
const USERS = /* GraphQL */ `
  query Users {
    users(first: 1) {
      edges {
        node {
          id
        }
      }
    }
  }
`;

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

const codeOf = totpCode;

/** Turns two-factor on for the signed-in `client`; returns the secret and recovery codes. */
async function enrol(client: GraphQLTestClient) {
  const { startTotpEnrolment } = await client.ok<{ startTotpEnrolment: { secret: string; qrCodeSvg: string } }>(
    START_TOTP,
  );
  expect(startTotpEnrolment.qrCodeSvg).toMatch(/^<svg/);
  // The code of the previous step: sign-ins right after may then use the current one.
  const code = codeOf(startTotpEnrolment.secret, Date.now() - 30_000);
  const { confirmTotpEnrolment } = await client.ok<{ confirmTotpEnrolment: string[] }>(CONFIRM_TOTP, { code });
  return { secret: startTotpEnrolment.secret, recoveryCodes: confirmTotpEnrolment };
}

describe.each(testDatabaseKinds())("two-factor sign-in over HTTP on %s", (kind) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("answers login with MFA_REQUIRED and a challenge, and completeLogin sets the session cookie", async () => {
    const { client, input, userId } = await signedInCustomer(t);
    const { secret } = await enrol(client);
    expect((await client.ok<{ me: { totpEnabled: boolean } }>(ME_TOTP)).me.totpEnabled).toBe(true);

    const browser = t.client();
    const login = await browser.query(LOGIN, { input: { email: input.email, password: input.password } });
    expect(login.errors?.[0]?.extensions).toMatchObject({ code: "MFA_REQUIRED", challenge: expect.any(String) });
    expect(browser.cookies.size).toBe(0);

    const challenge = login.errors![0]!.extensions!.challenge as string;
    const done = await browser.ok<{ completeLogin: { user: { id: string; totpEnabled: boolean } } }>(COMPLETE_LOGIN, {
      input: { challenge, code: codeOf(secret) },
    });
    expect(done.completeLogin.user).toEqual({ id: userId, totpEnabled: true });
    expect((await browser.ok<{ me: { id: string } }>(ME_TOTP)).me.id).toBe(userId);
  });

  it("refuses wrong codes, then throttles with RATE_LIMITED and HTTP Retry-After", async () => {
    const { client, input } = await signedInCustomer(t);
    await enrol(client);
    const browser = t.client();
    const login = await browser.query(LOGIN, { input: { email: input.email, password: input.password } });
    const challenge = login.errors![0]!.extensions!.challenge as string;

    for (let i = 0; i < 5; i++) {
      const wrong = await browser.query(COMPLETE_LOGIN, { input: { challenge, code: "000000" } });
      expect(wrong.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", reason: "INVALID_MFA_CODE" });
    }
    const throttled = await browser.query(COMPLETE_LOGIN, { input: { challenge, code: "000000" } });

    expect(throttled.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: 30 });
    expect(throttled.headers.get("retry-after")).toBe("30");
  });

  it("slows a stranger's wrong passwords with RATE_LIMITED and Retry-After", async () => {
    const { input } = await signedInCustomer(t);
    const stranger = t.client();
    for (let i = 0; i < 5; i++) {
      const wrong = await stranger.query(LOGIN, { input: { email: input.email, password: `guess number ${i}` } });
      expect(wrong.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }

    const refused = await stranger.query(LOGIN, { input: { email: input.email, password: "another guess" } });

    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: 30 });
    expect(refused.headers.get("retry-after")).toBe("30");
  });

  it("slows a stranger's wrong passwords on a two-factor account too; its owner gets in with the reset link and a code", async () => {
    const { client, input, userId } = await signedInCustomer(t);
    const { secret } = await enrol(client);
    const stranger = t.client();
    for (let i = 0; i < 5; i++) {
      const wrong = await stranger.query(LOGIN, { input: { email: input.email, password: `guess number ${i}` } });
      expect(wrong.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
    const refused = await stranger.query(LOGIN, { input: { email: input.email, password: "another guess" } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: 30 });
    expect(refused.headers.get("retry-after")).toBe("30");

    // The right password waits too (a guess must not be told right), but the reset link does not.
    const owner = t.client();
    const login = await owner.query(LOGIN, { input: { email: input.email, password: input.password } });
    expect(login.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    await owner.ok(REQUEST_RESET, { email: input.email });
    const jobs = await t.gateway.dataSource.manager.find(JobEntity, { where: { name: TRANSACTIONAL_MAIL_JOB } });
    const mail = jobs
      .map((j) => j.payload as TransactionalMailPayload)
      .filter((m) => m.kind === "PASSWORD_RESET" && m.to.address === input.email)
      .at(-1)!;
    const token = new URL(/https?:\/\/\S+/.exec(mail.text)![0]).searchParams.get("token")!;
    const reset = await owner.query(RESET_PASSWORD, { input: { token, newPassword: "my brand new password" } });
    expect(reset.errors?.[0]?.extensions?.code).toBe("MFA_REQUIRED");
    const challenge = reset.errors![0]!.extensions!.challenge as string;
    const done = await owner.ok<{ completeLogin: { user: { id: string } } }>(COMPLETE_LOGIN, {
      input: { challenge, code: codeOf(secret) },
    });
    expect(done.completeLogin.user.id).toBe(userId);
  });

  it("signs in the same account from many browsers at once, refusing none", async () => {
    const { input } = await signedInCustomer(t);

    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.client().query(LOGIN, { input: { email: input.email, password: input.password } }),
      ),
    );

    expect(answers.map((a) => a.errors)).toEqual(Array(10).fill(undefined));
  });
});

describe.each(testDatabaseKinds())("STAFF_MFA=required on %s", (kind) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(kind, { STAFF_MFA: "required", REGISTRATIONS_PER_IP_PER_HOUR: "3" });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("lets a staff account without two-factor sign in and enrol, refusing staff operations until then", async () => {
    const admin = t.client();
    await admin.ok(LOGIN, { input: ADMIN });

    const refused = await admin.query(USERS);
    expect(refused.data).toBeNull();
    expect(refused.errors?.[0]?.extensions?.code).toBe("MFA_ENROLMENT_REQUIRED");

    await enrol(admin);

    const allowed = await admin.query(USERS);
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data).toMatchObject({ users: { edges: [expect.anything()] } });
  });

  it("leaves customers' own operations alone", async () => {
    const { client } = await signedInCustomer(t);
    expect((await client.ok<{ me: { totpEnabled: boolean } }>(ME_TOTP)).me.totpEnabled).toBe(false);
    expect((await client.query(USERS)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("accepts REGISTRATIONS_PER_IP_PER_HOUR registrations from one client, then RATE_LIMITED with Retry-After", async () => {
    // The test before registered one customer from this client's address.
    const answers = [];
    for (let i = 0; i < 3; i++) {
      answers.push(
        await t.client().query(REGISTER, {
          input: { email: `limit${i}.${Date.now()}@example.test`, password: "correct horse battery", name: "N" },
        }),
      );
    }

    expect(answers.map((a) => a.errors?.[0]?.extensions?.code)).toEqual([undefined, undefined, "RATE_LIMITED"]);
    expect(answers[2]!.errors?.[0]?.extensions?.reason).toBe("REGISTRATION_THROTTLED");
    expect(Number(answers[2]!.headers.get("retry-after"))).toBeGreaterThan(3500);
  });
});
