import { RequestContext, Topic } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { verifyAddress } from "./support/people-gateway";
import { REGISTER, newRegistration, startTestGateway, type TestGateway } from "./support/test-gateway";

const PREFERENCES = `{ myPreferences { topic channel granted } }`;

type Preference = { topic: string; channel: string; granted: boolean };

describe.each(testDatabaseKinds())("consent and one-click unsubscribe over HTTP on %s", (kind) => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A registered customer who ticked the newsletter by email, and an unsubscribe link for it. */
  async function subscriber() {
    const client = t.client();
    const input = newRegistration({ communications: [{ topic: "NEWSLETTER", channel: "EMAIL" }] });
    const { register } = await client.ok<{ register: { user: { id: string } } }>(REGISTER, { input });
    // Double opt-in: the newsletter is granted once the address is verified.
    await verifyAddress(t, input.email);
    const ctx = new RequestContext(t.gateway.dataSource, { kind: "system", name: "test" }, { now: () => new Date() });
    const token = await ctx.transaction((tx) =>
      t.gateway.services.consent.unsubscribe.tokenFor(tx, register.user.id, Topic.NEWSLETTER),
    );
    const newsletter = async () =>
      (await client.ok<{ myPreferences: Preference[] }>(PREFERENCES)).myPreferences.find(
        (p) => p.topic === "NEWSLETTER" && p.channel === "EMAIL",
      )?.granted;
    return { client, token, newsletter };
  }

  const oneClick = (token: string, body = "List-Unsubscribe=One-Click") =>
    t.client().fetch(`/unsubscribe/${token}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    });

  it("records the choices ticked at registration, and never partner offers by default", async () => {
    const { client } = await subscriber();
    const { myPreferences } = await client.ok<{ myPreferences: Preference[] }>(PREFERENCES);
    const granted = myPreferences.filter((p) => p.granted).map((p) => `${p.topic}/${p.channel}`);
    expect(granted).toEqual(["NEWSLETTER/EMAIL"]);
  });

  it("shows a confirmation page on GET and changes nothing, however often scanners follow the link", async () => {
    const { token, newsletter } = await subscriber();
    for (let i = 0; i < 100; i++) {
      const page = await t.client().fetch(`/unsubscribe/${token}`);
      expect(page.status).toBe(200);
      if (i === 0) {
        expect(page.headers.get("content-type")).toMatch(/^text\/html/);
        expect(page.headers.get("cache-control")).toBe("no-store");
        expect(await page.text()).toContain('<form method="post"');
      } else await page.arrayBuffer();
    }
    expect(await newsletter()).toBe(true);
  });

  it("withdraws the topic at once on the RFC 8058 one-click POST, answering 200 without a redirect", async () => {
    const { token, newsletter } = await subscriber();
    expect((await oneClick(token, "something=else")).status).toBe(400);
    expect(await newsletter()).toBe(true);

    const done = await oneClick(token);
    expect(done.status).toBe(200);
    expect(done.headers.get("location")).toBeNull();
    expect(await newsletter()).toBe(false);
    expect((await oneClick(token)).status).toBe(200); // again: still done, nothing else changes
    // The token unsubscribes whoever holds it: the request log shows the route, never the token.
    const logs = t.logs.join("");
    expect(logs).toContain("/unsubscribe/[REDACTED]");
    expect(logs).not.toContain(token);
  });

  it("ignores tampered and unknown tokens", async () => {
    const { token, newsletter } = await subscriber();
    const tampered = `${token.slice(0, -2)}${token.endsWith("AA") ? "BB" : "AA"}`;
    expect((await oneClick(tampered)).status).toBe(404);
    expect((await t.client().fetch(`/unsubscribe/${tampered}`)).status).toBe(404);
    expect((await oneClick("not-a-token")).status).toBe(404);
    expect(await newsletter()).toBe(true);
  });

  it("answers unknown topics and channels with BAD_USER_INPUT", async () => {
    const { client } = await subscriber();
    const result = await client.query(
      `mutation ($input: [PreferenceInput!]!) { setPreferences(input: $input) { topic granted } }`,
      { input: [{ topic: "CAT_PICTURES", channel: "EMAIL", granted: true }] },
    );
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(JSON.stringify(result.errors)).not.toContain("CAT_PICTURES");
  });
});
