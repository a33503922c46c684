import { Channel, ErrorCode, ManualClock, Role, Topic, type Actor } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { ListExportEntity } from "../src/contact-list/list-export.entity";
import { failure, openConsentTestBed, type ConsentTestBed } from "./consent-test-bed";

describe.each(testDatabaseKinds())("telephone, fax and mail lists on %s", (kind) => {
  let bed: ConsentTestBed;
  let marketing: Actor;
  beforeAll(async () => {
    bed = await openConsentTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(async () => {
    await bed.reset();
    marketing = await bed.staff(Role.MARKETING);
  });

  /** An account that granted `topic` on `channel`, with a phone, fax and address on its profile. */
  async function person(name: string, phone: string, topic = Topic.PRODUCT_UPDATES, channel = Channel.TELEPHONE) {
    const signed = await bed.signUp({ name, communications: [{ topic, channel }] });
    await bed.users.users.updateProfile(signed.ctx, {
      phone,
      fax: phone.replace(/0$/, "1"),
      address: { line1: `${name.length} High Street`, city: "London", postcode: "SW1A 1AA", country: "GB" },
    });
    return signed;
  }

  const list = (topic: Topic, channel: Channel) =>
    bed.ctx(marketing).transaction((tx) => bed.services.contactLists.export(tx, topic, channel));

  it("holds only the name and the channel's detail of people who granted the topic on the channel", async () => {
    await person("Ada", "+442079460000");
    await person("Grace", "+442079460010", Topic.NEWSLETTER); // another topic
    await person("Alan", "+442079460020", Topic.PRODUCT_UPDATES, Channel.FAX); // another channel
    await bed.signUp({
      name: "No phone",
      communications: [{ topic: Topic.PRODUCT_UPDATES, channel: Channel.TELEPHONE }],
    });

    const exported = await list(Topic.PRODUCT_UPDATES, Channel.TELEPHONE);

    expect(exported.rowCount).toBe(1);
    expect(exported.rows).toEqual([{ name: "Ada", email: null, phone: "+442079460000", fax: null, address: null }]);
  });

  it("leaves out a number after a removal request, although the person still has a grant", async () => {
    const ada = await person("Ada", "+442079460000");
    await person("Grace", "+442079460010");
    const support = await bed.staff(Role.SUPPORT);
    expect((await list(Topic.PRODUCT_UPDATES, Channel.TELEPHONE)).rows.map((r) => r.name)).toEqual(["Ada", "Grace"]);

    await bed.ctx(support).transaction((tx) =>
      bed.services.suppressions.recordRemovalRequest(tx, {
        channel: Channel.TELEPHONE,
        value: "+44 20 7946 0000",
        note: "Asked on the phone",
      }),
    );

    const next = await list(Topic.PRODUCT_UPDATES, Channel.TELEPHONE);
    expect(next.rows.map((r) => r.name)).toEqual(["Grace"]);
    expect(await bed.services.consent.isGranted(bed.ctx(), ada.user.id, Topic.PRODUCT_UPDATES, Channel.TELEPHONE)).toBe(
      true,
    );
  });

  it("matches a letter's address however it is written, and leaves out closed accounts", async () => {
    await person("Ada", "+442079460000", Topic.NEWSLETTER, Channel.MAIL); // "3 High Street", SW1A 1AA
    const grace = await person("Grace", "+442079460010", Topic.NEWSLETTER, Channel.MAIL); // "5 High Street"
    await person("Alan", "+442079460020", Topic.NEWSLETTER, Channel.MAIL); // "4 High Street"
    const support = await bed.staff(Role.SUPPORT);
    await bed.services.suppressions.recordRemovalRequest(bed.ctx(support), {
      channel: Channel.MAIL,
      value: "3 High-Street, Westminster, London, sw1a1aa, gb",
    });
    await bed.users.users.close(bed.ctx(support), grace.user.id);

    const exported = await list(Topic.NEWSLETTER, Channel.MAIL);

    expect(exported.rows).toEqual([
      {
        name: "Alan",
        email: null,
        phone: null,
        fax: null,
        address: { line1: "4 High Street", line2: null, city: "London", postcode: "SW1A 1AA", country: "GB" },
      },
    ]);
  });

  it("logs every export: who, when, topic, channel and row count", async () => {
    await person("Ada", "+442079460000", Topic.SPECIAL_OFFERS, Channel.FAX);
    (bed.clock as ManualClock).advance(1000);

    const exported = await list(Topic.SPECIAL_OFFERS, Channel.FAX);
    await list(Topic.SPECIAL_OFFERS, Channel.MAIL);

    const log = await bed.dataSource.manager.find(ListExportEntity, { order: { channel: "ASC" } });
    expect(log).toEqual([
      {
        id: exported.id,
        exportedBy: (marketing as { userId: string }).userId,
        topic: Topic.SPECIAL_OFFERS,
        channel: Channel.FAX,
        rowCount: 1,
        exportedAt: bed.clock.now(),
      },
      expect.objectContaining({ channel: Channel.MAIL, rowCount: 0 }),
    ]);
  });

  it("refuses email lists (email goes out as campaigns) with BAD_USER_INPUT, logging nothing", async () => {
    const error = await failure(list(Topic.NEWSLETTER, Channel.EMAIL));

    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields?.map((f) => f.field)).toEqual(["channel"]);
    expect(await bed.dataSource.manager.count(ListExportEntity)).toBe(0);
  });
});
