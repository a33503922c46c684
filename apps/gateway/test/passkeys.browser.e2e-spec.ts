import { createServer } from "node:net";
import { testDatabaseKinds } from "@honour/testing";
import type { Page } from "playwright-core";
import { chromiumAvailability, launchChromium } from "./support/chromium";
import { ADMIN, startTestGateway, type TestGateway } from "./support/test-gateway";
import { totpCode } from "./support/totp";

/**
 * Signing in as a person does in Debian's headless Chromium: a page on the gateway's origin calls
 * /graphql with the browser's own cookies; two-factor with a TOTP code; a passkey registered and
 * used with Chromium's virtual authenticator (DevTools protocol `WebAuthn.addVirtualAuthenticator`),
 * so `navigator.credentials.create` and `.get` run the real WebAuthn ceremonies against the
 * gateway's relying party (`localhost`, from PUBLIC_URL).
 */

const chromium = chromiumAvailability();

if (!chromium.present && chromium.onCi) {
  describe("passkeys and two-factor in Chromium", () => {
    it("needs Chromium in CI", () => {
      throw new Error(`${chromium.reason}. .ci/run installs it; in CI the browser test must run, not be skipped.`);
    });
  });
} else if (!chromium.present) {
  console.warn(`Skipping the passkeys browser test: ${chromium.reason}.`);
  describe.skip("passkeys and two-factor in Chromium (skipped: no Chromium)", () => {
    it("signs in", () => undefined);
  });
} else {
  describeBrowserTests();
}

/** A port free just now: the gateway must know its public origin (WebAuthn's) before it starts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** A GraphQL call made by the page itself (its fetch, its cookies). */
function gql<T>(page: Page, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLAnswer<T>> {
  return page.evaluate(
    `fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: ${JSON.stringify(
      JSON.stringify({ query, variables }),
    )} }).then((r) => r.json())`,
  ) as Promise<GraphQLAnswer<T>>;
}

const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }`;
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { user { id } } }`;
const LOGOUT = `mutation { logout }`;
const ME = `{ me { id totpEnabled } }`;
const START_TOTP = `mutation { startTotpEnrolment { secret qrCodeSvg } }`;
const CONFIRM_TOTP = `mutation ($code: String!) { confirmTotpEnrolment(code: $code) }`;
const COMPLETE_LOGIN = `mutation ($input: CompleteLoginInput!) { completeLogin(input: $input) { user { id } } }`;
const FINISH_PASSKEY_LOGIN = `mutation ($input: FinishPasskeyLoginInput!) { finishPasskeyLogin(input: $input) { user { id } } }`;
const MY_PASSKEYS = `{ myPasskeys { id name createdAt lastUsedAt } }`;
const STAFF_QUERY = `{ users(first: 1) { edges { node { id } } } }`;

/** Registers a passkey in the page: the gateway's options, the browser's ceremony, the gateway's check. */
const REGISTER_PASSKEY = `(async () => {
  const call = (query, variables) => fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }) }).then((r) => r.json());
  const start = await call("mutation { startPasskeyRegistration }");
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(start.data.startPasskeyRegistration);
  const credential = await navigator.credentials.create({ publicKey });
  return call("mutation ($input: FinishPasskeyRegistrationInput!) { finishPasskeyRegistration(input: $input) { id name } }",
    { input: { response: credential.toJSON(), name: "Laptop" } });
})()`;

/** Signs in with a passkey in the page, choosing none: the authenticator offers the site's one. */
const SIGN_IN_WITH_PASSKEY = `(async () => {
  const call = (query, variables) => fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }) }).then((r) => r.json());
  const start = await call("mutation { startPasskeyLogin }");
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(start.data.startPasskeyLogin);
  const credential = await navigator.credentials.get({ publicKey });
  const response = credential.toJSON();
  const answer = await call("mutation ($input: FinishPasskeyLoginInput!) { finishPasskeyLogin(input: $input) { user { id } } }",
    { input: { response } });
  return { answer, response };
})()`;

/**
 * A gateway (with `env`) on a port known before it starts and a Chromium, for the tests of the
 * describe block it is called in; `openPage` gives a fresh page on the gateway's origin (an empty
 * document served by the test), with no cookies.
 */
function browserOnGateway(kind: Parameters<typeof startTestGateway>[0], env: Record<string, string> = {}) {
  let t: TestGateway;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let origin: string;
  beforeAll(async () => {
    const port = await freePort();
    origin = `http://localhost:${port}`;
    t = await startTestGateway(kind, { PORT: String(port), PUBLIC_URL: origin, ...env });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  return {
    browser: () => browser,
    async openPage(): Promise<Page> {
      await browser.context.clearCookies();
      const page = await browser.context.newPage();
      await page.route(`${origin}/app`, (route) =>
        route.fulfill({ contentType: "text/html", body: "<!doctype html><title>Honour</title><p>app</p>" }),
      );
      await page.goto(`${origin}/app`);
      return page;
    },
  };
}

/** Gives the page's browser context a virtual authenticator that verifies its user (a platform passkey). */
async function addAuthenticator(browser: Awaited<ReturnType<typeof launchChromium>>, page: Page): Promise<void> {
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

/** Turns TOTP on for the page's signed-in person; returns the secret. */
async function enrolTotp(page: Page): Promise<string> {
  const started = await gql<{ startTotpEnrolment: { secret: string; qrCodeSvg: string } }>(page, START_TOTP);
  const { secret, qrCodeSvg } = started.data!.startTotpEnrolment;
  expect(qrCodeSvg).toMatch(/^<svg/);
  // The previous step's code (still accepted), so that a sign-in may use the current one.
  const confirmed = await gql<{ confirmTotpEnrolment: string[] }>(page, CONFIRM_TOTP, {
    code: totpCode(secret, Date.now() - 30_000),
  });
  expect(confirmed.data?.confirmTotpEnrolment).toHaveLength(10);
  return secret;
}

function describeBrowserTests(): void {
  describe.each(testDatabaseKinds())("passkeys and two-factor in Chromium on %s", (kind) => {
    const { browser: browserOf, openPage } = browserOnGateway(kind);
    let browser: Awaited<ReturnType<typeof launchChromium>>;
    beforeAll(() => {
      browser = browserOf();
    });

    it("signs in with a password and a TOTP code", async () => {
      const page = await openPage();
      const input = { email: `totp.${Date.now()}@example.test`, password: "correct horse battery", name: "Ada" };
      const registered = await gql<{ register: { user: { id: string } } }>(page, REGISTER, { input });
      const userId = registered.data!.register.user.id;
      const secret = await enrolTotp(page);
      await gql(page, LOGOUT);

      const login = await gql(page, LOGIN, { input: { email: input.email, password: input.password } });
      expect(login.errors?.[0]?.extensions).toMatchObject({ code: "MFA_REQUIRED" });
      expect(await gql(page, ME)).toEqual({ data: { me: null } });
      const challenge = login.errors![0]!.extensions!.challenge as string;
      const done = await gql(page, COMPLETE_LOGIN, { input: { challenge, code: totpCode(secret) } });

      expect(done.errors).toBeUndefined();
      expect(await gql(page, ME)).toEqual({ data: { me: { id: userId, totpEnabled: true } } });
      await page.close();
    });

    it("registers a passkey with the virtual authenticator and signs in with it, no password", async () => {
      const page = await openPage();
      await addAuthenticator(browser, page);
      const input = { email: `passkey.${Date.now()}@example.test`, password: "correct horse battery", name: "Grace" };
      const userId = (await gql<{ register: { user: { id: string } } }>(page, REGISTER, { input })).data!.register.user
        .id;

      const added = (await page.evaluate(REGISTER_PASSKEY)) as GraphQLAnswer<{
        finishPasskeyRegistration: { id: string; name: string };
      }>;
      expect(added.errors).toBeUndefined();
      expect(added.data?.finishPasskeyRegistration.name).toBe("Laptop");

      await gql(page, LOGOUT);
      expect(await gql(page, ME)).toEqual({ data: { me: null } });
      const { answer: signedIn, response } = (await page.evaluate(SIGN_IN_WITH_PASSKEY)) as {
        answer: GraphQLAnswer<{ finishPasskeyLogin: { user: { id: string } } }>;
        response: Record<string, unknown>;
      };

      expect(signedIn.errors).toBeUndefined();
      expect(signedIn.data?.finishPasskeyLogin.user.id).toBe(userId);
      expect((await gql<{ me: { id: string } }>(page, ME)).data?.me.id).toBe(userId);
      const listed = await gql<{ myPasskeys: { name: string; lastUsedAt: string | null }[] }>(page, MY_PASSKEYS);
      expect(listed.data?.myPasskeys).toEqual([
        expect.objectContaining({ name: "Laptop", lastUsedAt: expect.any(String) }),
      ]);
      // The same signed answer cannot be used again: its challenge is spent.
      await gql(page, LOGOUT);
      const replay = await gql(page, FINISH_PASSKEY_LOGIN, { input: { response } });
      expect(replay.errors?.[0]?.extensions).toMatchObject({
        code: "UNAUTHENTICATED",
        reason: "INVALID_PASSKEY_SIGN_IN",
      });
      expect(await gql(page, ME)).toEqual({ data: { me: null } });
      await page.close();
    });

    it("asks no TOTP code of an account with two-factor on that signs in with a passkey", async () => {
      const page = await openPage();
      await addAuthenticator(browser, page);
      const input = { email: `both.${Date.now()}@example.test`, password: "correct horse battery", name: "Hedy" };
      const userId = (await gql<{ register: { user: { id: string } } }>(page, REGISTER, { input })).data!.register.user
        .id;
      await enrolTotp(page);
      expect((await page.evaluate(REGISTER_PASSKEY)) as GraphQLAnswer<unknown>).not.toHaveProperty("errors");
      await gql(page, LOGOUT);

      // The password still needs the code; the passkey (with user verification) is both factors.
      const login = await gql(page, LOGIN, { input: { email: input.email, password: input.password } });
      expect(login.errors?.[0]?.extensions).toMatchObject({ code: "MFA_REQUIRED" });
      const { answer } = (await page.evaluate(SIGN_IN_WITH_PASSKEY)) as {
        answer: GraphQLAnswer<{ finishPasskeyLogin: { user: { id: string } } }>;
      };
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.finishPasskeyLogin.user.id).toBe(userId);
      expect(await gql(page, ME)).toEqual({ data: { me: { id: userId, totpEnabled: true } } });
      await page.close();
    });
  });

  describe.each(testDatabaseKinds())(
    "a passkey as the second factor under STAFF_MFA=required in Chromium on %s",
    (kind) => {
      const { browser, openPage } = browserOnGateway(kind, { STAFF_MFA: "required" });

      it("lets a staff account that signs in with a passkey do staff work without enrolling TOTP; a password alone does not", async () => {
        const page = await openPage();
        await addAuthenticator(browser(), page);
        const admin = await gql<{ login: { user: { id: string } } }>(page, LOGIN, { input: ADMIN });
        expect(admin.errors).toBeUndefined();
        const refused = await gql(page, STAFF_QUERY);
        expect(refused.errors?.[0]?.extensions).toMatchObject({ code: "MFA_ENROLMENT_REQUIRED" });

        // Adding a passkey is open to any signed-in person; this password session still may not do staff work.
        const added = (await page.evaluate(REGISTER_PASSKEY)) as GraphQLAnswer<unknown>;
        expect(added.errors).toBeUndefined();
        expect((await gql(page, STAFF_QUERY)).errors?.[0]?.extensions).toMatchObject({
          code: "MFA_ENROLMENT_REQUIRED",
        });

        await gql(page, LOGOUT);
        const { answer } = (await page.evaluate(SIGN_IN_WITH_PASSKEY)) as { answer: GraphQLAnswer<unknown> };
        expect(answer.errors).toBeUndefined();
        const allowed = await gql<{ users: { edges: unknown[] } }>(page, STAFF_QUERY);
        expect(allowed.errors).toBeUndefined();
        expect(allowed.data?.users.edges).toHaveLength(1);
        expect((await gql<{ me: { totpEnabled: boolean } }>(page, ME)).data?.me.totpEnabled).toBe(false);

        // Signing in with the password again gives a session without the second factor.
        await gql(page, LOGOUT);
        await gql(page, LOGIN, { input: ADMIN });
        expect((await gql(page, STAFF_QUERY)).errors?.[0]?.extensions).toMatchObject({
          code: "MFA_ENROLMENT_REQUIRED",
        });
        await page.close();
      });
    },
  );
}
