import { Channel, ErrorCode, Topic, type ManualClock } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { ConsentMethod, renderUnsubscribeDone, renderUnsubscribePage } from "../src";
import { ConsentKeys } from "../src/consent-keys";
import { ConsentEventEntity } from "../src/preference/consent-event.entity";
import { LEGACY_PREFERENCE_LINKS_UNTIL, PREFERENCE_LINK_DAYS } from "../src/unsubscribe/unsubscribe.service";
import { consentSnapshot, failure, openConsentTestBed, SECRET, type ConsentTestBed } from "./consent-test-bed";

/** Every way of changing one character of a token, plus some that are not tokens at all. */
function tampered(token: string): string[] {
  const [id, mac] = token.split(".") as [string, string];
  const flip = (s: string, i: number, alphabet: string) =>
    s.slice(0, i) + alphabet[(alphabet.indexOf(s[i]!) + 1) % alphabet.length] + s.slice(i + 1);
  const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  return [
    `${flip(id, 0, b64)}.${mac}`,
    `${flip(id, 21, b64)}.${mac}`,
    `${id}.${flip(mac, 0, "0123456789abcdef")}`,
    `${id}.${flip(mac, 31, "0123456789abcdef")}`,
    `${id}.${mac.toUpperCase()}`,
    `${id}.${mac}0`,
    `${id}${mac}`,
    `${id}.`,
    "",
    "../../etc/passwd",
    `${id}.${"0".repeat(32)}`,
  ];
}

describe.each(testDatabaseKinds())("unsubscribe tokens on %s", (kind) => {
  let bed: ConsentTestBed;
  beforeAll(async () => {
    bed = await openConsentTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  async function subscriber() {
    const signed = await bed.signUp({
      email: "ada@example.com",
      communications: [
        { topic: Topic.NEWSLETTER, channel: Channel.EMAIL },
        { topic: Topic.SPECIAL_OFFERS, channel: Channel.EMAIL },
      ],
    });
    const token = await bed.services.unsubscribe.tokenFor(bed.ctx(), signed.user.id, Topic.NEWSLETTER);
    return { ...signed, token };
  }

  const granted = async (userId: string, topic: Topic) =>
    bed.services.consent.isGranted(bed.ctx(), userId, topic, Channel.EMAIL);

  it("gives an account one token per topic, bound to it, and never the account id", async () => {
    const { user, token } = await subscriber();

    expect(token).toMatch(/^[A-Za-z0-9_-]{22}\.[0-9a-f]{32}$/);
    expect(token).not.toContain(user.id);
    expect(await bed.services.unsubscribe.tokenFor(bed.ctx(), user.id, Topic.NEWSLETTER)).toBe(token);
    expect(await bed.services.unsubscribe.tokenFor(bed.ctx(), user.id, Topic.SPECIAL_OFFERS)).not.toBe(token);
  });

  it("signs a 90-day expiry into preference links: valid until then, expired after, invalid when moved", async () => {
    const { user, token } = await subscriber();
    const view = await bed.services.unsubscribe.describe(bed.ctx(), token);
    const link = view.valid ? view.preferencesToken! : "";
    const [id, expiry, mac] = link.split(".") as [string, string, string];
    const issued = bed.clock.now().getTime();
    expect(Number(expiry) * 1000).toBe(Math.floor(issued / 1000) * 1000 + PREFERENCE_LINK_DAYS * 86_400_000);
    const check = (token: string) => bed.services.unsubscribe.checkPreferenceLink(bed.ctx(), token);

    expect(await check(link)).toMatchObject({ status: "valid", userId: user.id });
    expect(await bed.services.unsubscribe.preferencesAccount(bed.ctx(), link)).toBe(user.id);
    // A later expiry typed in by hand is not ours.
    expect(await check(`${id}.${Number(expiry) + 86_400}.${mac}`)).toEqual({ status: "invalid" });
    expect(await check(`${id}.${expiry}.${"0".repeat(32)}`)).toEqual({ status: "invalid" });

    (bed.clock as ManualClock).set(new Date(Number(expiry) * 1000 - 1000).toISOString());
    expect((await check(link)).status).toBe("valid");
    (bed.clock as ManualClock).set(new Date(Number(expiry) * 1000).toISOString());
    expect(await check(link)).toMatchObject({ status: "expired", userId: user.id });
    expect(await bed.services.unsubscribe.preferencesAccount(bed.ctx(), link)).toBeNull();
  });

  it("keeps links made before they carried an expiry working until the cut-over date", async () => {
    const { user, token } = await subscriber();
    const [id] = token.split(".") as [string];
    const legacy = `${id}.${new ConsentKeys(SECRET).preferences(id, user.id)}`;
    const check = (token: string) => bed.services.unsubscribe.checkPreferenceLink(bed.ctx(), token);
    expect(await check(legacy)).toMatchObject({ status: "valid", userId: user.id });
    expect(await check(`${id}.${"0".repeat(32)}`)).toEqual({ status: "invalid" });
    (bed.clock as ManualClock).set(LEGACY_PREFERENCE_LINKS_UNTIL.toISOString());
    expect(await check(legacy)).toMatchObject({ status: "expired", userId: user.id });
    // An unsubscribe token is never a preference link, old or new.
    expect(await check(token)).toEqual({ status: "invalid" });
  });

  it("changes nothing when the page is shown 100 times", async () => {
    const { user, token } = await subscriber();
    const before = await consentSnapshot(bed.dataSource);

    for (let i = 0; i < 100; i++) {
      expect(await bed.services.unsubscribe.describe(bed.ctx(), token)).toEqual({
        valid: true,
        topic: Topic.NEWSLETTER,
        maskedEmail: "a•••@example.com",
        subscribed: true,
        preferencesToken: expect.stringMatching(/^[A-Za-z0-9_-]{22}\.\d{10}\.[0-9a-f]{32}$/),
      });
    }

    expect(await consentSnapshot(bed.dataSource)).toEqual(before);
    expect(await granted(user.id, Topic.NEWSLETTER)).toBe(true);
  });

  it("withdraws exactly the token's topic on email with one click, once however often it is clicked", async () => {
    const { user, token } = await subscriber();

    const outcome = await bed.services.unsubscribe.oneClick(bed.ctx(), token);
    await bed.services.unsubscribe.oneClick(bed.ctx(), token);

    expect(outcome).toEqual({
      done: true,
      topic: Topic.NEWSLETTER,
      channel: Channel.EMAIL,
      preferencesToken: expect.stringMatching(/^[A-Za-z0-9_-]{22}\.\d{10}\.[0-9a-f]{32}$/),
    });
    expect(await granted(user.id, Topic.NEWSLETTER)).toBe(false);
    expect(await granted(user.id, Topic.SPECIAL_OFFERS)).toBe(true);
    const withdrawals = await bed.dataSource.manager.findBy(ConsentEventEntity, { action: "WITHDRAWN" as never });
    expect(withdrawals).toEqual([
      expect.objectContaining({
        topic: Topic.NEWSLETTER,
        channel: Channel.EMAIL,
        method: ConsentMethod.ONE_CLICK_UNSUBSCRIBE,
        actorKind: "UNSUBSCRIBE_LINK",
      }),
    ]);
    expect(await bed.services.unsubscribe.describe(bed.ctx(), token)).toMatchObject({ valid: true, subscribed: false });
  });

  it("records the footer link's unsubscribe (the mutation) as EMAIL_LINK", async () => {
    const { user, token } = await subscriber();

    const result = await bed.ctx().transaction((tx) => bed.services.unsubscribe.unsubscribe(tx, token));

    expect(result).toEqual({ done: true, topic: Topic.NEWSLETTER, channel: Channel.EMAIL });
    expect(await granted(user.id, Topic.NEWSLETTER)).toBe(false);
    const [event] = await bed.dataSource.manager.findBy(ConsentEventEntity, { action: "WITHDRAWN" as never });
    expect(event?.method).toBe(ConsentMethod.EMAIL_LINK);
  });

  it("changes nothing for a tampered or unknown token", async () => {
    const { user, token } = await subscriber();
    const before = await consentSnapshot(bed.dataSource);

    for (const bad of tampered(token)) {
      expect(await bed.services.unsubscribe.describe(bed.ctx(), bad)).toEqual({ valid: false });
      expect(await bed.services.unsubscribe.oneClick(bed.ctx(), bad)).toEqual({ done: false });
      const error = await failure(bed.ctx().transaction((tx) => bed.services.unsubscribe.unsubscribe(tx, bad)));
      expect(error.code).toBe(ErrorCode.NOT_FOUND);
    }
    // A valid token of another account is not this one's.
    const other = await bed.signUp();
    const theirs = await bed.services.unsubscribe.tokenFor(bed.ctx(), other.user.id, Topic.NEWSLETTER);
    const [theirId] = theirs.split(".");
    expect(await bed.services.unsubscribe.oneClick(bed.ctx(), `${theirId}.${token.split(".")[1]}`)).toEqual({
      done: false,
    });

    expect(await granted(user.id, Topic.NEWSLETTER)).toBe(true);
    const after = await consentSnapshot(bed.dataSource);
    // Only the other account's registration and token were added.
    expect(after["consent_event"]).toEqual(expect.arrayContaining(before["consent_event"]!));
    expect(after["consent_preference"]).toEqual(expect.arrayContaining(before["consent_preference"]!));
    expect(await bed.dataSource.manager.countBy(ConsentEventEntity, { action: "WITHDRAWN" as never })).toBe(0);
  });
});

describe("unsubscribe pages", () => {
  it("asks to confirm with a form that posts List-Unsubscribe=One-Click back to the same address", () => {
    const html = renderUnsubscribePage(
      { valid: true, topic: Topic.NEWSLETTER, maskedEmail: "a•••@example.com", subscribed: true },
      { preferencesUrl: "https://www.honour.example/preferences" },
    );

    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<form method="post" action="">');
    expect(html).toContain('<input type="hidden" name="List-Unsubscribe" value="One-Click">');
    expect(html).toContain("newsletters");
    expect(html).toContain('href="https://www.honour.example/preferences"');
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
  });

  it("escapes what it shows", () => {
    const html = renderUnsubscribePage(
      { valid: true, topic: Topic.NEWSLETTER, maskedEmail: '<img src=x onerror="alert(1)">', subscribed: false },
      { preferencesUrl: 'https://x.example/"><script>', organisation: "<b>Co</b>" },
    );

    expect(html).not.toContain("<img");
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<b>Co</b>");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });

  it("says nothing was changed for a link that does not work, and confirms a done unsubscribe", () => {
    expect(renderUnsubscribePage({ valid: false })).toContain("Nothing was changed");
    expect(renderUnsubscribeDone({ done: false })).toContain("Nothing was changed");
    expect(renderUnsubscribeDone({ done: true, topic: Topic.SPECIAL_OFFERS, channel: Channel.EMAIL })).toContain(
      "no longer receive special offers by email",
    );
  });
});
