import { testDatabaseKinds, waitFor, type ReceivedMail, type SmtpPeer } from "@honour/testing";
import type { APIRequestContext } from "playwright-core";
import { chromiumAvailability, launchChromium } from "./support/chromium";
import { startPeopleGateway, type PeopleGateway } from "./support/people-gateway";
import { newRegistration, type TestGateway } from "./support/test-gateway";

/**
 * The links of the account mails in a real browser: Debian's headless Chromium registers (its
 * session cookie kept), the welcome mail arrives at a real SMTP peer through the worker's mail job,
 * the browser opens its verification link, presses the page's button, and the account is verified;
 * then a password reset from its mail link, the form filled in and sent, signs this browser in
 * with the new password. No script runs on these pages (the CSP allows none).
 */

const chromium = chromiumAvailability();

if (!chromium.present && chromium.onCi) {
  describe("account mail links in Chromium", () => {
    it("needs Chromium in CI", () => {
      throw new Error(`${chromium.reason}. .ci/run installs it; in CI the browser test must run, not be skipped.`);
    });
  });
} else if (!chromium.present) {
  console.warn(`Skipping the account links' browser test: ${chromium.reason}.`);
  describe.skip("account mail links in Chromium (skipped: no Chromium)", () => {
    it("verifies and resets", () => undefined);
  });
} else {
  describeBrowserTests();
}

function describeBrowserTests(): void {
  describe.each(testDatabaseKinds())("account mail links in Chromium on %s", (kind) => {
    let people: PeopleGateway;
    let t: TestGateway;
    let smtp: SmtpPeer;
    let browser: Awaited<ReturnType<typeof launchChromium>>;

    beforeAll(async () => {
      people = await startPeopleGateway(kind);
      ({ t, smtp } = people);
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await people?.close();
    });

    async function mailTo(address: string, subject: RegExp): Promise<ReceivedMail> {
      let found: ReceivedMail | undefined;
      await waitFor(
        () => (found = smtp.messages.find((m) => m.to === address && subject.test(m.headers.get("subject") ?? ""))),
      );
      return found!;
    }
    /** The link of `path` in the mail's text, as the mail gives it (PUBLIC_URL is this gateway). */
    function linkIn(mail: ReceivedMail, path: string): string {
      const url = new RegExp(`https?://[^\\s"<>]+${path}\\?token=[A-Za-z0-9_-]+`).exec(mail.body)?.[0];
      expect(url?.startsWith(t.url)).toBe(true);
      return url!;
    }
    /** A GraphQL call from the browser's own cookie jar (what the site's script would send). */
    async function graphql<T>(request: APIRequestContext, query: string, variables: object = {}): Promise<T> {
      const response = await request.post(`${t.url}/graphql`, {
        data: { query, variables },
        headers: { "content-type": "application/json" },
      });
      const body = (await response.json()) as { data: T; errors?: unknown[] };
      expect(body.errors).toBeUndefined();
      return body.data;
    }
    const ME = `{ me { email emailVerified } }`;

    it("registers, verifies from the welcome mail's page, then resets the password from the reset mail's page", async () => {
      const { context } = browser;
      const input = newRegistration({ communications: [{ topic: "NEWSLETTER", channel: "EMAIL" }] });
      await graphql(
        context.request,
        `
          mutation ($input: RegisterInput!) {
            register(input: $input) {
              user {
                id
              }
            }
          }
        `,
        { input },
      );
      expect(await graphql(context.request, ME)).toEqual({ me: { email: input.email, emailVerified: false } });

      const page = await context.newPage();
      await page.goto(linkIn(await mailTo(input.email, /^Welcome/), "/account/verify"));
      expect(await page.locator("h1").textContent()).toContain("Confirm your email address");
      // Opening the page changed nothing.
      expect(await graphql(context.request, ME)).toEqual({ me: { email: input.email, emailVerified: false } });
      await page.getByRole("button", { name: "Confirm my email address" }).click();
      await page.waitForLoadState();
      expect(await page.locator("main").textContent()).toContain("your address is confirmed");
      expect(await graphql(context.request, ME)).toEqual({ me: { email: input.email, emailVerified: true } });
      const preferences = await graphql<{ myPreferences: { topic: string; granted: boolean }[] }>(
        context.request,
        `
          {
            myPreferences {
              topic
              channel
              granted
            }
          }
        `,
      );
      expect(preferences.myPreferences.filter((p) => p.granted).map((p) => p.topic)).toEqual(["NEWSLETTER"]);

      // Forgot the password: the reset mail's link, the form, a new password; this browser is signed in.
      await graphql(
        context.request,
        `
          mutation ($email: String!) {
            requestPasswordReset(email: $email)
          }
        `,
        {
          email: input.email,
        },
      );
      await page.goto(linkIn(await mailTo(input.email, /^Reset your password/), "/account/reset"));
      await page.locator("#newPassword").fill("a fresh and unusual passphrase");
      await page.getByRole("button", { name: "Set the new password" }).click();
      await page.waitForLoadState();
      expect(await page.locator("h1").textContent()).toContain("Your password was changed");
      expect(await graphql(context.request, ME)).toEqual({ me: { email: input.email, emailVerified: true } });
      await graphql(
        context.request,
        `
          mutation {
            logout
          }
        `,
      );
      const signedIn = await graphql<{ login: { user: { email: string } } }>(
        context.request,
        `
          mutation ($input: LoginInput!) {
            login(input: $input) {
              user {
                email
              }
            }
          }
        `,
        { input: { email: input.email, password: "a fresh and unusual passphrase" } },
      );
      expect(signedIn.login.user.email).toBe(input.email);
      await page.close();
    });
  });
}
