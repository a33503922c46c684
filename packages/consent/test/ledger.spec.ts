import { Channel, ManualClock, Role, Topic } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConsentPreferenceEntity } from "../src";
import { ConsentEventEntity } from "../src/preference/consent-event.entity";
import { ConsentLedger } from "../src/preference/consent-ledger";
import { openConsentTestBed, tableContents, waitFor, type ConsentTestBed } from "./consent-test-bed";

describe.each(testDatabaseKinds())("the consent ledger on %s", (kind) => {
  let bed: ConsentTestBed;
  beforeAll(async () => {
    bed = await openConsentTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  it("has no way to update or delete an entry: its repository can only append and read", () => {
    expect(Object.getOwnPropertyNames(ConsentLedger.prototype).sort()).toEqual([
      "append",
      "constructor",
      "history",
      "page",
    ]);
  });

  it("is written by nothing else in the package", () => {
    const files = (readdirSync(join(__dirname, "../src"), { recursive: true }) as string[]).filter(
      (f) => f.endsWith(".ts") && !f.endsWith(".spec.ts") && !f.includes("migrations"),
    );
    const writers = files.filter((file) => {
      const source = readFileSync(join(__dirname, "../src", file), "utf8");
      const touchesLedger = /ConsentEventEntity|consent_event\b/.test(source);
      const writes =
        /\.(insert|update|delete|remove|save|softDelete|upsert|clear|increment|decrement)\(|\b(INSERT|UPDATE|DELETE)\b/.test(
          source,
        );
      return touchesLedger && writes;
    });
    // consent.service.ts builds entries and hands them to the ledger; its writes are to other tables.
    expect(writers.sort()).toEqual(["preference/consent-ledger.ts", "preference/consent.service.ts"]);
    for (const file of files) {
      const source = readFileSync(join(__dirname, "../src", file), "utf8");
      expect(source).not.toMatch(/(update|delete|remove|softDelete|upsert|clear|from)\(\s*ConsentEventEntity/);
    }
    const ledger = readFileSync(join(__dirname, "../src/preference/consent-ledger.ts"), "utf8");
    expect(ledger).not.toMatch(/\.(update|delete|remove|save|softDelete|upsert|clear)\(/);
    // Its plain SQL only ever inserts.
    expect(ledger).not.toMatch(/\b(UPDATE|DELETE|REPLACE|ON DUPLICATE|ON CONFLICT)\b/);
  });

  it("only ever appends: every earlier row is unchanged after grants, withdrawals, unsubscribes and closures", async () => {
    const clock = bed.clock as ManualClock;
    const ada = await bed.signUp();
    const grace = await bed.signUp({ communications: [{ topic: Topic.PARTNER_OFFERS, channel: Channel.EMAIL }] });
    const marketing = await bed.staff(Role.MARKETING);
    const repository = bed.dataSource.getRepository(ConsentEventEntity);
    const beforeRows = await repository.find({ order: { id: "ASC" } });
    const beforeTable = await tableContents(bed.dataSource, "consent_event");
    expect(beforeRows.length).toBeGreaterThan(0);

    clock.advance(1000);
    await bed.services.consent.setPreferences(ada.ctx, [
      { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: false },
      { topic: Topic.SPECIAL_OFFERS, channel: Channel.MAIL, granted: true },
    ]);
    clock.advance(1000);
    await bed.services.consent.setPreferences(ada.ctx, [
      { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: true },
    ]);
    await bed.services.consent.optOutOfAll(grace.ctx, Channel.EMAIL);
    const token = await bed.services.unsubscribe.tokenFor(bed.ctx(), ada.user.id, Topic.NEWSLETTER);
    await bed.services.unsubscribe.oneClick(bed.ctx(), token);
    await bed.services.unsubscribe.oneClick(bed.ctx(), token);
    const campaign = await bed.services.campaigns.create(bed.ctx(marketing), {
      topic: Topic.COMPANY_INFO,
      subject: "News",
      bodyText: "Hello",
    });
    await bed.services.campaigns.send(bed.ctx(marketing), campaign.id);
    bed.runner().start();
    await waitFor(async () => (await bed.services.campaigns.find(bed.ctx(), campaign.id))?.status === "SENT");
    await bed.closeAccount(ada.user.id, marketing);

    const afterRows = await repository.find({ order: { id: "ASC" } });
    const afterTable = await tableContents(bed.dataSource, "consent_event");
    expect(afterRows.length).toBeGreaterThan(beforeRows.length);
    // Each earlier row is still there, byte for byte, through the repository and in the raw table.
    const afterById = new Map(afterRows.map((row) => [row.id, row]));
    for (const row of beforeRows) expect(afterById.get(row.id)).toEqual(row);
    const rawAfter = new Map((afterTable as { id: string }[]).map((row) => [row.id, row]));
    for (const row of beforeTable as { id: string }[]) expect(rawAfter.get(row.id)).toEqual(row);
  });

  it("derives the current state from the ledger: the last entry for each topic and channel", async () => {
    const clock = bed.clock as ManualClock;
    const { ctx, user } = await bed.signUp();
    for (const granted of [false, true, false, true]) {
      clock.advance(1000);
      await bed.services.consent.setPreferences(ctx, [
        { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted },
        { topic: Topic.COMPANY_INFO, channel: Channel.TELEPHONE, granted: !granted },
      ]);
    }

    const subject = bed.services.consent["keys"].subject(user.id);
    const events = await bed.dataSource.manager.find(ConsentEventEntity, {
      where: { subjectHash: subject },
      order: { occurredAt: "ASC", id: "ASC" },
    });
    const folded = new Map<string, ConsentEventEntity>();
    for (const event of events) folded.set(`${event.topic}/${event.channel}`, event);
    const state = await bed.dataSource.manager.findBy(ConsentPreferenceEntity, { userId: user.id });
    expect(state).toHaveLength(folded.size);
    for (const row of state) {
      const last = folded.get(`${row.topic}/${row.channel}`)!;
      expect(row).toMatchObject({
        granted: last.action === "GRANTED",
        eventId: last.id,
        method: last.method,
        policyVersion: last.policyVersion,
      });
    }
  });
});
