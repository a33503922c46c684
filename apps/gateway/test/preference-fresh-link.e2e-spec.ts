import { hmac, RequestContext, systemClock, Topic } from "@honour/platform";
import { testDatabaseKinds, waitFor, type ReceivedMail, type SmtpPeer } from "@honour/testing";
import { startPeopleGateway, type PeopleGateway } from "./support/people-gateway";
import { signedInCustomer, TEST_SECRET, type TestGateway } from "./support/test-gateway";

/**
 * The page of an expired preference link offers "mail me a fresh link": a form with no script
 * that mails a new link to the address the expired one was for, through the transactional mail
 * job and a real SMTP peer, answering the same whatever the link was.
 */
describe.each(testDatabaseKinds())("a fresh preference link from an expired one's page on %s", (kind) => {
  let t: TestGateway;
  let smtp: SmtpPeer;
  let people: PeopleGateway;

  beforeAll(async () => {
    people = await startPeopleGateway(kind);
    ({ t, smtp } = people);
  });
  afterAll(() => people?.close());

  const SUBJECT = "Your link to your communication preferences";
  const mailsTo = (address: string) =>
    smtp.messages.filter((m: ReceivedMail) => m.to === address && m.headers.get("subject") === SUBJECT);
  const sign = (...parts: string[]) => hmac(TEST_SECRET, ...parts).slice(0, 32);

  /** A customer and their preference link, as the server would have signed it a minute past its expiry. */
  async function expiredLink() {
    const { input, userId } = await signedInCustomer(t);
    const ctx = new RequestContext(t.gateway.dataSource, { kind: "system", name: "test" }, systemClock);
    const { preferences } = await t.gateway.services.consent.unsubscribe.linksFor(ctx, userId, Topic.NEWSLETTER);
    const id = preferences.split(".")[0]!;
    const past = Math.floor(Date.now() / 1000) - 60;
    return {
      email: input.email,
      id,
      token: `${id}.${past}.${sign("consent.preferences.expiring", id, userId, String(past))}`,
    };
  }

  const post = (token: string, headers: Record<string, string> = { origin: t.url }) =>
    t.client().fetch("/account/preferences/fresh-link", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams({ token }).toString(),
    });

  it("mails a fresh link to the expired link's address, which opens the preference centre", async () => {
    const { email, token } = await expiredLink();
    const page = await t.client().fetch(`/account/preferences?token=${token}`);
    expect(page.status).toBe(410);
    const html = await page.text();
    // The form posts the token in a hidden field, not in its address.
    expect(html).toContain(
      `<form method="post" action="/account/preferences/fresh-link"><input type="hidden" name="token" value="${token}">`,
    );

    const answer = await post(token);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    const mail = await waitFor(() => mailsTo(email)[0]);
    const url = new RegExp(`${t.url.replace(/[.]/g, "\\.")}/account/preferences\\?token=[^\\s<>"]*`).exec(
      mail.body,
    )?.[0];
    expect(url).toBeDefined();
    const fresh = new URL(url!).searchParams.get("token")!;
    expect(fresh).not.toBe(token);
    const opened = await t.client().fetch(`/account/preferences?token=${encodeURIComponent(fresh)}`);
    expect(opened.status).toBe(200);
    expect(await opened.text()).toContain("Your communication preferences");
  });

  it("answers an altered link exactly as a real one, and mails nothing for it", async () => {
    const { email, id, token } = await expiredLink();
    const [, expiry, mac] = token.split(".") as [string, string, string];
    const answers = [];
    // The altered link first: one job queue, claimed in order, so a mail of its would come first.
    for (const sent of [`${id}.${Number(expiry) + 86_400}.${mac}`, "not-a-token", token]) {
      const answer = await post(sent);
      answers.push({ status: answer.status, body: await answer.text() });
    }
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    await waitFor(() => mailsTo(email).length > 0);
    expect(mailsTo(email)).toHaveLength(1);
  });

  it("refuses a post from another site and a GET, sending nothing", async () => {
    const { email, token } = await expiredLink();
    const crossSite = await post(token, { origin: "https://elsewhere.example", "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect((await t.client().fetch(`/account/preferences/fresh-link?token=${token}`)).status).toBe(404);
    // A mail queued by either would have been sent while this one was (one job queue, in order).
    await post(token);
    await waitFor(() => mailsTo(email).length === 1);
    expect(mailsTo(email)).toHaveLength(1);
  });

  it("refuses a client IP over its limit, whatever the link, with Retry-After", async () => {
    let refused: Response | undefined;
    for (let i = 0; i < 25 && !refused; i++) {
      const answer = await post(`not-a-token-${i}`);
      if (answer.status === 429) refused = answer;
      else expect(answer.status).toBe(200);
    }
    expect(refused).toBeDefined();
    expect(Number(refused!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused!.text()).toContain("Too many requests");
  });
});
