import { testDatabaseKinds, waitFor, type ReceivedMail, type SmtpPeer } from "@honour/testing";
import { startPeopleGateway, type PeopleGateway } from "./support/people-gateway";
import { newRegistration, REGISTER, type TestGateway } from "./support/test-gateway";

const VERIFY_EMAIL = /* GraphQL */ `
  mutation VerifyEmail($token: String!) {
    verifyEmail(token: $token) {
      id
      emailVerified
    }
  }
`;

const ME = /* GraphQL */ `
  query Me {
    me {
      id
      email
      emailVerified
    }
  }
`;
const RESEND = /* GraphQL */ `
  mutation ResendEmailVerification {
    resendEmailVerification
  }
`;
const REQUEST_EMAIL_CHANGE = /* GraphQL */ `
  mutation RequestEmailChange($input: EmailChangeInput!) {
    requestEmailChange(input: $input)
  }
`;
const CONFIRM_EMAIL_CHANGE = /* GraphQL */ `
  mutation ConfirmEmailChange($token: String!) {
    confirmEmailChange(token: $token) {
      email
      emailVerified
    }
  }
`;
const PREFERENCES = /* GraphQL */ `
  query MyPreferences {
    myPreferences {
      topic
      channel
      granted
    }
  }
`;
const PENDING_PREFERENCES = /* GraphQL */ `
  query MyPendingPreferences {
    myPreferences {
      topic
      channel
      granted
      pending
    }
  }
`;
const SET_PREFERENCES = /* GraphQL */ `
  mutation SetPreferences($input: [PreferenceInput!]!) {
    setPreferences(input: $input) {
      topic
      channel
      granted
      pending
    }
  }
`;
const FORM = { "content-type": "application/x-www-form-urlencoded" };

type Me = { me: { id: string; email: string; emailVerified: boolean } | null };

/**
 * Email verification, double opt-in and email change over HTTP, with the worker's mail job sending
 * through a real SMTP peer: the links are read from the messages as a person would.
 */
describe.each(testDatabaseKinds())("account email over HTTP on %s", (kind) => {
  let people: PeopleGateway;
  let t: TestGateway;
  let smtp: SmtpPeer;

  beforeAll(async () => {
    people = await startPeopleGateway(kind);
    ({ t, smtp } = people);
  });
  afterAll(() => people?.close());

  /** The message to `address` whose subject matches, once it has arrived. */
  async function mailTo(address: string, subject: RegExp, count = 1): Promise<ReceivedMail> {
    let found: ReceivedMail[] = [];
    await waitFor(() => {
      found = smtp.messages.filter((m) => m.to === address && subject.test(m.headers.get("subject") ?? ""));
      return found.length >= count;
    });
    return found.at(-1)!;
  }
  function linkIn(mail: ReceivedMail, path: string): URL {
    const url = new RegExp(`https?://[^\\s"<>]+${path}\\?token=[A-Za-z0-9_-]+`).exec(mail.body)?.[0];
    expect(url).toBeDefined();
    return new URL(url!);
  }
  function pageHeadersOf(response: Response) {
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|script-src/);
  }
  const post = (path: string, token: string, headers: Record<string, string> = {}) =>
    t.client().fetch(path, {
      method: "POST",
      headers: { ...FORM, ...headers },
      body: new URLSearchParams({ token }).toString(),
    });

  it("welcomes with a link; GET shows the page and changes nothing, POST verifies and grants what was ticked", async () => {
    const client = t.client();
    const input = newRegistration({ communications: [{ topic: "NEWSLETTER", channel: "EMAIL" }] });
    await client.ok(REGISTER, { input });
    expect((await client.ok<Me>(ME)).me).toMatchObject({ email: input.email, emailVerified: false });
    const granted = async () =>
      (await client.ok<{ myPreferences: { granted: boolean }[] }>(PREFERENCES)).myPreferences.filter((p) => p.granted);
    expect(await granted()).toEqual([]);

    const welcome = await mailTo(input.email, /^Welcome/);
    expect(welcome.raw).toMatch(/Content-Type: text\/plain/i);
    expect(welcome.raw).toMatch(/Content-Type: text\/html/i);
    const link = linkIn(welcome, "/account/verify");
    const token = link.searchParams.get("token")!;

    // Mail scanners follow links: the page says what the button does, and nothing happens.
    const page = await t.client().fetch(`${link.pathname}${link.search}`);
    expect(page.status).toBe(200);
    pageHeadersOf(page);
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/account/verify">');
    expect(html).toContain("<button");
    expect(html).not.toContain("<script");
    expect((await client.ok<Me>(ME)).me?.emailVerified).toBe(false);

    expect((await post("/account/verify", token, { origin: "https://evil.example" })).status).toBe(403);
    expect((await client.ok<Me>(ME)).me?.emailVerified).toBe(false);

    const done = await post("/account/verify", token);
    expect(done.status).toBe(200);
    pageHeadersOf(done);
    expect(await done.text()).toContain("confirmed");
    expect((await client.ok<Me>(ME)).me?.emailVerified).toBe(true);
    expect(await granted()).toEqual([{ topic: "NEWSLETTER", channel: "EMAIL", granted: true }]);

    // Used once: the same link again is the page with what went wrong, and GraphQL says the code.
    const again = await post("/account/verify", token);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("not valid any more");
    const graphql = await t.client().query(VERIFY_EMAIL, { token });
    expect(graphql.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_VERIFICATION_TOKEN",
    });
    expect(t.logs.join("")).not.toContain(token);
  });

  it("keeps an unverified account's email grant in the preference centre pending until the link is used", async () => {
    const client = t.client();
    const input = newRegistration({ communications: [] });
    await client.ok(REGISTER, { input });
    type Answer = { topic: string; channel: string; granted: boolean; pending: boolean }[];
    const newsletter = (all: Answer) => all.find((p) => p.topic === "NEWSLETTER" && p.channel === "EMAIL");

    const set = await client.ok<{ setPreferences: Answer }>(SET_PREFERENCES, {
      input: [{ topic: "NEWSLETTER", channel: "EMAIL", granted: true }],
    });
    expect(newsletter(set.setPreferences)).toEqual({
      topic: "NEWSLETTER",
      channel: "EMAIL",
      granted: false,
      pending: true,
    });
    const mine = await client.ok<{ myPreferences: Answer }>(PENDING_PREFERENCES);
    expect(mine.myPreferences.filter((p) => p.granted || p.pending)).toEqual([
      { topic: "NEWSLETTER", channel: "EMAIL", granted: false, pending: true },
    ]);

    // The preference page shows it ticked, waiting: saving the page as it is keeps it pending.
    const page = await (await client.fetch("/account/preferences")).text();
    expect(page).toContain('value="NEWSLETTER.EMAIL" checked>Email (once you confirm your email address)');

    const token = linkIn(await mailTo(input.email, /^Welcome/), "/account/verify").searchParams.get("token")!;
    expect((await post("/account/verify", token)).status).toBe(200);
    const after = await client.ok<{ myPreferences: Answer }>(PENDING_PREFERENCES);
    expect(after.myPreferences.filter((p) => p.granted || p.pending)).toEqual([
      { topic: "NEWSLETTER", channel: "EMAIL", granted: true, pending: false },
    ]);
  });

  it("resends a link that replaces the first, throttled with RATE_LIMITED and Retry-After", async () => {
    const client = t.client();
    const input = newRegistration();
    await client.ok(REGISTER, { input });
    const first = linkIn(await mailTo(input.email, /^Welcome/), "/account/verify").searchParams.get("token")!;
    expect(await client.ok(RESEND)).toEqual({ resendEmailVerification: true });
    const second = linkIn(await mailTo(input.email, /^Confirm your email/), "/account/verify").searchParams.get(
      "token",
    )!;

    const dead = await t.client().query(VERIFY_EMAIL, { token: first });
    expect(dead.errors?.[0]?.extensions?.reason).toBe("INVALID_VERIFICATION_TOKEN");
    await client.ok(RESEND);
    await client.ok(RESEND);
    const refused = await client.query(RESEND);
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: "RATE_LIMITED",
      reason: "EMAIL_VERIFICATION_THROTTLED",
    });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(
      await t
        .client()
        .query(RESEND)
        .then((r) => r.errors?.[0]?.extensions?.code),
    ).toBe("UNAUTHENTICATED");
    // The newest link still works after the refusal; the ones before it do not.
    const newest = await mailTo(input.email, /^Confirm your email/, 3);
    expect((await t.client().query(VERIFY_EMAIL, { token: second })).errors?.[0]?.extensions?.reason).toBe(
      "INVALID_VERIFICATION_TOKEN",
    );
    await t.client().ok(VERIFY_EMAIL, { token: linkIn(newest, "/account/verify").searchParams.get("token") });
    expect((await client.ok<Me>(ME)).me?.emailVerified).toBe(true);
  });

  it("changes the email: the link goes to the new address, the notices to both, the page acts only on POST", async () => {
    const client = t.client();
    const input = newRegistration();
    await client.ok(REGISTER, { input });
    const newEmail = newRegistration().email;

    const wrong = await client.query(REQUEST_EMAIL_CHANGE, { input: { newEmail, currentPassword: "not my password" } });
    expect(wrong.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      fields: [{ field: "input.currentPassword", message: expect.any(String) }],
    });
    expect(await client.ok(REQUEST_EMAIL_CHANGE, { input: { newEmail, currentPassword: input.password } })).toEqual({
      requestEmailChange: true,
    });
    const confirmation = await mailTo(newEmail, /^Confirm your new email/);
    const notice = await mailTo(input.email, /^A change of your email/);
    expect(notice.body).not.toContain("token=");
    const link = linkIn(confirmation, "/account/email");

    const page = await t.client().fetch(`${link.pathname}${link.search}`);
    expect(page.status).toBe(200);
    pageHeadersOf(page);
    expect(await page.text()).toContain('<form method="post" action="/account/email">');
    expect((await client.ok<Me>(ME)).me?.email).toBe(input.email);

    const done = await post("/account/email", link.searchParams.get("token")!);
    expect(done.status).toBe(200);
    pageHeadersOf(done);
    expect((await client.ok<Me>(ME)).me).toMatchObject({ email: newEmail, emailVerified: true });
    await mailTo(input.email, /^Your email address was changed/);
    await mailTo(newEmail, /^Your email address was changed/);
    const again = await t.client().query(CONFIRM_EMAIL_CHANGE, { token: link.searchParams.get("token") });
    expect(again.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_EMAIL_CHANGE_TOKEN",
    });
  });

  it("answers a taken address only on confirming, with CONFLICT and EMAIL_TAKEN, over GraphQL and on the page", async () => {
    const other = newRegistration();
    await t.client().ok(REGISTER, { input: other });
    const client = t.client();
    const input = newRegistration();
    await client.ok(REGISTER, { input });

    expect(
      await client.ok(REQUEST_EMAIL_CHANGE, { input: { newEmail: other.email, currentPassword: input.password } }),
    ).toEqual({
      requestEmailChange: true,
    });
    const token = linkIn(await mailTo(other.email, /^Confirm your new email/), "/account/email").searchParams.get(
      "token",
    )!;
    const taken = await t.client().query(CONFIRM_EMAIL_CHANGE, { token });
    expect(taken.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", reason: "EMAIL_TAKEN" });
    const page = await post("/account/email", token);
    expect(page.status).toBe(409);
    expect((await client.ok<Me>(ME)).me?.email).toBe(input.email);
  });

  it("refuses a common password at registration with PASSWORD_TOO_COMMON and a hint", async () => {
    const result = await t.client().query(REGISTER, { input: newRegistration({ password: "password1234" }) });
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "PASSWORD_TOO_COMMON",
      hint: expect.stringContaining("passphrase"),
      fields: [{ field: "input.password", message: expect.stringContaining("common") }],
    });
  });
});
