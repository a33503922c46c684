import { readFileSync } from "node:fs";
import { hmac } from "@honour/platform";
import { testDatabaseKinds, waitFor, type ReceivedMail, type SmtpPeer } from "@honour/testing";
import { startPeopleGateway, verifyAddress, type PeopleGateway } from "./support/people-gateway";
import { Secret, TOTP } from "otpauth";
import type { Page } from "playwright-core";
import { chromiumAvailability, launchChromium } from "./support/chromium";
import {
  REGISTER,
  TEST_SECRET,
  newRegistration,
  signedInAdmin,
  signedInCustomer,
  type TestGateway,
} from "./support/test-gateway";

/**
 * The people's pages: the preference centre reached from a real marketing message read off the
 * SMTP peer, in Chromium (changing a preference there shows in the ledger), the unsubscribe pages
 * in the same layout, the policy, reset and data export pages; axe-core finds no serious or
 * critical violation on any of them; all of them together stay within 30 kB. Over plain HTTP:
 * GET changes nothing, a POST from another site is refused, a bad link or no session is refused.
 */

const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const PAGE_BUDGET_BYTES = 30 * 1024;

/** axe-core's serious and critical violations on the page, as "rule: target" lines. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const result = (await page.evaluate(`axe.run(document, { resultTypes: ["violations"] })`)) as {
    violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
  };
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
}

const chromium = chromiumAvailability();
const describeBrowser = chromium.present ? describe : describe.skip;
if (!chromium.present && chromium.onCi) {
  describe("the people's pages in Chromium", () => {
    it("needs Chromium in CI", () => {
      throw new Error(`${chromium.reason}. .ci/run installs it.`);
    });
  });
}

describe.each(testDatabaseKinds())("the people's pages on %s", (kind) => {
  let t: TestGateway;
  let smtp: SmtpPeer;
  let people: PeopleGateway;

  beforeAll(async () => {
    people = await startPeopleGateway(kind);
    ({ t, smtp } = people);
  });
  afterAll(() => people?.close());

  /** Registers a newsletter reader, sends a campaign, and returns the message they got. */
  async function mailTo(subject: string): Promise<{ email: string; mail: ReceivedMail }> {
    const reader = newRegistration({ communications: [{ topic: "NEWSLETTER", channel: "EMAIL" }] });
    await t.client().ok(REGISTER, { input: reader });
    await verifyAddress(t, reader.email);
    const admin = await signedInAdmin(t);
    const { createCampaign } = await admin.ok<{ createCampaign: { id: string } }>(
      `mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
      { input: { topic: "NEWSLETTER", subject, bodyText: "News from Honour." } },
    );
    await admin.ok(`mutation ($id: ID!) { sendCampaign(id: $id) { status } }`, { id: createCampaign.id });
    await waitFor(() => smtp.messages.some((m) => m.to === reader.email && m.headers.get("subject") === subject));
    // The campaign's message, not the welcome mail with the verification link.
    const mail = smtp.messages.find((m) => m.to === reader.email && m.headers.get("subject") === subject)!;
    return { email: reader.email, mail };
  }
  const linkIn = (mail: ReceivedMail, path: RegExp) => {
    const url = new RegExp(`${t.url.replace(/[.]/g, "\\.")}${path.source}\\S*`).exec(mail.body)?.[0];
    expect(url).toBeDefined();
    return url!.replace(/[.)>]+$/, "");
  };
  const ledger = async () =>
    (
      await t.gateway.dataSource.query(
        "SELECT topic, channel, action, method, actorKind FROM consent_event WHERE method = 'PREFERENCE_CENTRE' ORDER BY id",
      )
    ).map((r: Record<string, string>) => `${r.topic}/${r.channel} ${r.action} ${r.method} ${r.actorKind}`);

  describeBrowser("in Chromium", () => {
    it("follows the preference link of a real message, changes a preference, and the ledger shows it; axe finds nothing serious; all pages ≤ 30 kB", async () => {
      const { mail } = await mailTo("Preference link news");
      const preferencesUrl = linkIn(mail, /\/preferences\?token=/);
      const unsubscribeUrl = linkIn(mail, /\/unsubscribe\//);
      // axe is injected as a script, which the pages' own CSP (no script at all) would block.
      const browser = await launchChromium({}, {
        bypassCSP: true,
        viewport: { width: 390, height: 844 },
      } as Parameters<typeof launchChromium>[1]);
      const sizes: Record<string, number> = {};
      const violations: Record<string, string[]> = {};
      try {
        const page = await browser.context.newPage();
        const visit = async (name: string, url: string) => {
          const response = await page.goto(url);
          sizes[name] = (await response!.body()).length;
          violations[name] = await axeViolations(page);
          return response!;
        };

        const opened = await visit("preference centre", preferencesUrl);
        expect(opened.status()).toBe(200);
        expect(new URL(page.url()).pathname).toBe("/account/preferences");
        expect(opened.headers()["content-security-policy"]).toMatch(/default-src 'none'/);
        expect(opened.headers()["referrer-policy"]).toBe("no-referrer");
        expect(await page.locator("h1").textContent()).toBe("Your communication preferences");
        expect(await page.locator("#p-NEWSLETTER-EMAIL").isChecked()).toBe(true);
        expect(await page.getByText("Read the privacy policy").count()).toBe(1);

        // By keyboard, as a person without a mouse would: focus the box, Space toggles it.
        await page.focus("#p-NEWSLETTER-EMAIL");
        await page.keyboard.press("Space");
        await page.check("#p-SPECIAL_OFFERS-EMAIL");
        const [saved] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === "POST"),
          page.getByRole("button", { name: "Save my choices" }).click(),
        ]);
        expect(`${saved.status()} ${await page.locator("h1").textContent()}`).toBe(
          "200 Your communication preferences",
        );
        expect(await page.getByRole("status").textContent()).toContain("Your choices are saved.");
        expect(await page.locator("#p-NEWSLETTER-EMAIL").isChecked()).toBe(false);
        expect(await page.locator("#p-SPECIAL_OFFERS-EMAIL").isChecked()).toBe(true);
        expect((await ledger()).sort()).toEqual([
          "NEWSLETTER/EMAIL WITHDRAWN PREFERENCE_CENTRE PREFERENCE_LINK",
          "SPECIAL_OFFERS/EMAIL GRANTED PREFERENCE_CENTRE PREFERENCE_LINK",
        ]);
        expect(await page.locator("table tbody tr").count()).toBeGreaterThanOrEqual(3); // registration + 2 changes

        // Re-subscribe through the page, then the unsubscribe pages in the same look.
        await page.check("#p-NEWSLETTER-EMAIL");
        await Promise.all([
          page.waitForResponse((r) => r.request().method() === "POST"),
          page.getByRole("button", { name: "Save my choices" }).click(),
        ]);
        await visit("unsubscribe", unsubscribeUrl);
        const stylesheet = await page.evaluate(`document.querySelector('link[rel=stylesheet]').href`);
        expect(stylesheet).toBe(`${t.url}/assets/pages.css`);
        await Promise.all([
          page.waitForResponse((r) => r.request().method() === "POST"),
          page.getByRole("button", { name: /Unsubscribe from newsletters/ }).click(),
        ]);
        await page.waitForLoadState();
        sizes["unsubscribed"] = (await page.content()).length;
        violations["unsubscribed"] = await axeViolations(page);
        expect(await page.locator("h1").textContent()).toBe("You are unsubscribed");
        const back = await page
          .getByRole("link", { name: "Manage all your communication preferences" })
          .getAttribute("href");
        expect(back).toMatch(/\/account\/preferences\?token=/);

        await visit("privacy policy", `${t.url}/privacy-policy`);
        await visit("password reset", `${t.url}/account/reset?token=x`);
        const exportPage = await visit(
          "data export (signed out)",
          `${t.url}/privacy/exports/00000000-0000-0000-0000-000000000000/x`,
        );
        expect(exportPage.status()).toBe(401);
        // Neither a session nor a link: the preference centre's sign-in form.
        const signInForm = await visit("preference centre sign-in", `${t.url}/account/preferences`);
        expect(signInForm.status()).toBe(401);
        expect(await page.getByLabel("Password").count()).toBe(1);
        const css = await page.goto(`${t.url}/assets/pages.css`);
        sizes["stylesheet"] = (await css!.body()).length;
      } finally {
        await browser.close();
      }
      const total = Object.values(sizes).reduce((a, b) => a + b, 0);
      console.log(
        `[people's pages on ${kind}] axe serious+critical violations: ` +
          Object.entries(violations)
            .map(([name, v]) => `${name} ${v.length}`)
            .join(", ") +
          `; sizes (bytes): ${Object.entries(sizes)
            .map(([name, n]) => `${name} ${n}`)
            .join(", ")}; total ${total} of ${PAGE_BUDGET_BYTES}`,
      );
      expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((name) => [name, []])));
      expect(total).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    }, 60_000);
  });

  it("leads /preferences to the preference centre; GET changes nothing; other sites' POSTs, bad links and no session are refused", async () => {
    const { mail } = await mailTo("HTTP news");
    const url = new URL(linkIn(mail, /\/preferences\?token=/));
    const token = url.searchParams.get("token")!;
    const client = t.client();
    const before = await ledger();

    const redirect = await client.fetch(`/preferences${url.search}`);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe(`/account/preferences${url.search}`);
    const shown = await client.fetch(`/account/preferences${url.search}`);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain(`name="token" value="${token}"`);
    expect(await ledger()).toEqual(before);

    const form = (body: Record<string, string | string[]>) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(body)) for (const value of [v].flat()) params.append(k, value);
      return params.toString();
    };
    const post = (body: string, headers: Record<string, string> = {}) =>
      client.fetch("/account/preferences", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: t.url, ...headers },
        body,
      });
    expect((await post(form({ token, action: "save" }), { origin: "https://evil.example" })).status).toBe(403);
    expect((await post(form({ token, action: "save" }), { origin: "", "sec-fetch-site": "cross-site" })).status).toBe(
      403,
    );
    expect(await ledger()).toEqual(before);
    const tampered = `${token.slice(0, -1)}${token.endsWith("0") ? "1" : "0"}`;
    expect((await post(form({ token: tampered, action: "save" }))).status).toBe(404);
    expect((await client.fetch(`/account/preferences?token=${tampered}`)).status).toBe(404);
    expect((await client.fetch("/account/preferences")).status).toBe(401);
    expect((await post(form({ action: "save" }))).status).toBe(401);
    // An unsubscribe token is not a preference token.
    const unsubscribeToken = /\/unsubscribe\/([^\s>]+)/.exec(mail.body)![1]!;
    expect((await client.fetch(`/account/preferences?token=${unsubscribeToken}`)).status).toBe(404);
    expect(await ledger()).toEqual(before);

    const stopped = await post(form({ token, action: "stop-all" }));
    expect(stopped.status).toBe(200);
    expect(await stopped.text()).toContain("we will send you no marketing at all");
    expect((await ledger()).slice(before.length)).toEqual([
      expect.stringMatching(/^NEWSLETTER\/EMAIL WITHDRAWN PREFERENCE_CENTRE PREFERENCE_LINK$/),
    ]);

    // The signed-in person's own page, by the session cookie alone, recorded as the person.
    const { client: customer, input } = await signedInCustomer(t);
    await verifyAddress(t, input.email); // then the soft opt-in: the company's topics by email
    const beforeOwn = (await ledger()).length;
    const own = await customer.fetch("/account/preferences");
    expect(own.status).toBe(200);
    const saved = await customer.fetch("/account/preferences", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: t.url },
      body: form({ action: "save", pref: ["PRODUCT_UPDATES.EMAIL", "NEWSLETTER.MAIL"] }),
    });
    expect(saved.status).toBe(200);
    const mine = (await ledger()).slice(beforeOwn);
    expect(mine.sort()).toEqual([
      "COMPANY_INFO/EMAIL WITHDRAWN PREFERENCE_CENTRE PERSON",
      "NEWSLETTER/EMAIL WITHDRAWN PREFERENCE_CENTRE PERSON",
      "NEWSLETTER/MAIL GRANTED PREFERENCE_CENTRE PERSON",
      "SPECIAL_OFFERS/EMAIL WITHDRAWN PREFERENCE_CENTRE PERSON",
    ]);
    const { myPreferences } = await customer.ok<{
      myPreferences: { topic: string; channel: string; granted: boolean }[];
    }>(`{ myPreferences { topic channel granted } }`);
    expect(myPreferences.filter((p) => p.granted).map((p) => `${p.topic}/${p.channel}`)).toEqual([
      "PRODUCT_UPDATES/EMAIL",
      "NEWSLETTER/MAIL",
    ]);
  });

  it("signs a person in on the preference centre without a link: the password, then a code with two-factor on", async () => {
    const form = (body: Record<string, string>) => new URLSearchParams(body).toString();
    const { client: owner, input } = await signedInCustomer(t);
    // Two-factor on, with the recovery codes it answers.
    const { startTotpEnrolment } = await owner.ok<{ startTotpEnrolment: { secret: string } }>(
      `mutation { startTotpEnrolment { secret } }`,
    );
    const totp = new TOTP({ secret: Secret.fromBase32(startTotpEnrolment.secret) });
    const { confirmTotpEnrolment: recoveryCodes } = await owner.ok<{ confirmTotpEnrolment: string[] }>(
      `mutation ($code: String!) { confirmTotpEnrolment(code: $code) }`,
      { code: totp.generate() },
    );
    const { input: plainInput } = await signedInCustomer(t);

    const browser = t.client();
    const signIn = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      browser.fetch("/account/preferences/sign-in", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: t.url, ...headers },
        body: form(body),
      });

    // No session, no link: the sign-in form, posting to its own address.
    const empty = await browser.fetch("/account/preferences");
    expect(empty.status).toBe(401);
    const emptyPage = await empty.text();
    expect(emptyPage).toContain('<form method="post" action="/account/preferences/sign-in">');
    expect(emptyPage).toMatch(/<label for="password">Password<\/label>/);
    expect(emptyPage).not.toContain("<script");

    // Another site's post signs nobody in.
    const forged = await signIn(
      { email: plainInput.email, password: plainInput.password },
      { origin: "https://evil.example" },
    );
    expect(forged.status).toBe(403);
    expect(forged.headers.getSetCookie()).toEqual([]);
    const forgedBySite = await signIn(
      { email: plainInput.email, password: plainInput.password },
      { origin: "", "sec-fetch-site": "cross-site" },
    );
    expect(forgedBySite.status).toBe(403);

    // A wrong password: the form again, saying so, no cookie.
    const wrong = await signIn({ email: plainInput.email, password: "not the password" });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("The email or password is wrong.");
    expect(wrong.headers.getSetCookie()).toEqual([]);

    // The right one: a session cookie as login sets it, and back to the page, which shows their choices.
    const right = await signIn({ email: plainInput.email, password: plainInput.password });
    expect(right.status).toBe(303);
    expect(right.headers.get("location")).toBe("/account/preferences");
    expect(right.headers.getSetCookie().join("\n")).toMatch(/^honour_session=[^;]+;.*HttpOnly.*SameSite=Lax/im);
    const shown = await browser.fetch("/account/preferences");
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain("Save my choices");
    const { me } = await browser.ok<{ me: { email: string } }>(`{ me { email } }`);
    expect(me.email).toBe(plainInput.email);

    // Two-factor on: the password alone signs nobody in; the code step does.
    const second = t.client();
    const signInSecond = (body: Record<string, string>) =>
      second.fetch("/account/preferences/sign-in", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
        body: form(body),
      });
    const step = await signInSecond({ email: input.email, password: input.password });
    expect(step.status).toBe(200);
    expect(step.headers.getSetCookie()).toEqual([]);
    const stepPage = await step.text();
    expect(stepPage).toContain("Code from your authenticator app, or a recovery code");
    const challenge = /name="challenge" value="([^"]+)"/.exec(stepPage)![1]!;
    const badCode = await signInSecond({ challenge, code: "000000" });
    expect(badCode.status).toBe(400);
    expect(await badCode.text()).toContain("That code is not right.");
    expect(badCode.headers.getSetCookie()).toEqual([]);
    const done = await signInSecond({ challenge, code: recoveryCodes[0]! });
    expect(done.status).toBe(303);
    expect((await second.fetch("/account/preferences")).status).toBe(200);
    // A used challenge is refused in words, never a 500.
    const again = await signInSecond({ challenge, code: recoveryCodes[1]! });
    expect(again.status).toBe(401);
    expect(await again.text()).toContain("sign in again");
  });

  it("shows an expired preference link a page to sign in instead, changing nothing; old links without an expiry still work", async () => {
    const { email, mail } = await mailTo("Expiring news");
    const token = new URL(linkIn(mail, /\/preferences\?token=/)).searchParams.get("token")!;
    const [id, expiry, mac] = token.split(".") as [string, string, string];
    // 90 days from the message.
    expect(Number(expiry) * 1000 - Date.now()).toBeGreaterThan(89.9 * 86_400_000);
    expect(Number(expiry) * 1000 - Date.now()).toBeLessThanOrEqual(90 * 86_400_000);
    const [{ id: userId }] = (await t.gateway.dataSource.query("SELECT `id` FROM `user` WHERE `email` = ?", [
      email,
    ])) as { id: string }[];
    // The same link as the server would have signed it a little over 90 days ago.
    const past = Math.floor(Date.now() / 1000) - 60;
    const sign = (...parts: string[]) => hmac(TEST_SECRET, ...parts).slice(0, 32);
    const expired = `${id}.${past}.${sign("consent.preferences.expiring", id, userId!, String(past))}`;
    const client = t.client();
    const before = await ledger();

    const shown = await client.fetch(`/account/preferences?token=${expired}`);
    expect(shown.status).toBe(410);
    const html = await shown.text();
    expect(html).toContain("<h1>This link has expired</h1>");
    expect(html).toContain('<form method="post" action="/account/preferences/sign-in">');
    const posted = await client.fetch("/account/preferences", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: t.url },
      body: new URLSearchParams({ token: expired, action: "stop-all" }).toString(),
    });
    expect(posted.status).toBe(410);
    expect(await ledger()).toEqual(before);

    // Its expiry moved by hand: not a link of ours at all.
    expect((await client.fetch(`/account/preferences?token=${id}.${Number(expiry) + 86_400}.${mac}`)).status).toBe(404);
    // A link of the form mailed before links carried an expiry opens the page until the cut-over.
    const legacy = `${id}.${sign("consent.preferences", id, userId!)}`;
    expect((await client.fetch(`/account/preferences?token=${legacy}`)).status).toBe(200);
  });
});
