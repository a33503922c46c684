import { RequestContext, SecurityEventKind, type PersonalDataSubject } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { SecurityEventEntity } from "../src/security/security-event.entity";
import { ERASED, SECURITY_PERSONAL_DATA } from "../src/security/security-personal-data.service";
import { openStatsTestBed, system, type StatsTestBed } from "./stats-test-bed";

const ALICE: PersonalDataSubject = {
  userId: "0196f0a0-0000-7000-8000-00000000a11c",
  email: "Alice.Smith@example.test",
  phone: "+44 20 7946 0958",
};
const BOB: PersonalDataSubject = {
  userId: "0196f0a0-0000-7000-8000-000000000b0b",
  email: "bob@example.test",
  phone: null,
};

describe.each(testDatabaseKinds())("the security log's personal data contributor on %s", (kind) => {
  let bed: StatsTestBed;
  beforeAll(async () => {
    bed = await openStatsTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  const from = (ip: string) =>
    new RequestContext(bed.db.dataSource, { kind: "anonymous" }, bed.clock, bed.db.dataSource.manager, ip, "req-1");
  const events = () => bed.db.dataSource.manager.find(SecurityEventEntity, { order: { id: "ASC" } });

  async function seed(): Promise<void> {
    const log = bed.platform.securityLog;
    await log.record(from("203.0.113.1"), { kind: SecurityEventKind.LOGIN_SUCCEEDED, userId: ALICE.userId });
    bed.clock.advance(1000);
    await log.record(from("203.0.113.2"), { kind: SecurityEventKind.LOGIN_SUCCEEDED, userId: BOB.userId });
    bed.clock.advance(1000);
    await log.record(from("198.51.100.9"), {
      kind: SecurityEventKind.STAFF_ACTION,
      userId: ALICE.userId,
      detail: "assigned order HON-000042",
    });
    bed.clock.advance(1000);
    // Bob, as staff, wrote about Alice; a writer that forgot the rules put her phone in.
    await log.record(from("203.0.113.2"), {
      kind: SecurityEventKind.STAFF_ACTION,
      userId: BOB.userId,
      detail: `called +44 20 7946 0958 back`,
    });
    bed.clock.advance(1000);
    await log.record(from("192.0.2.7"), { kind: SecurityEventKind.LOGIN_FAILED, detail: "wrong email or password" });
    await bed.services.securityEvents.resolveHostnames(system(bed));
  }

  it("is registered once under the name the export's section uses, whatever services are built", async () => {
    bed.otherProcess();
    await bed.restart();
    expect(bed.platform.personalData.names.filter((n) => n === SECURITY_PERSONAL_DATA)).toEqual([
      SECURITY_PERSONAL_DATA,
    ]);
  });

  it("exports the events about the person, newest first, and none about anyone else", async () => {
    await seed();

    const document = await bed.platform.personalData.exportAll(system(bed), ALICE);

    expect(document[SECURITY_PERSONAL_DATA]).toEqual({
      events: [
        {
          at: "2026-11-25T12:00:02.000Z",
          kind: "STAFF_ACTION",
          ip: "198.51.100.9",
          hostname: "198.51.100.9",
          detail: "assigned order HON-000042",
        },
        {
          at: "2026-11-25T12:00:00.000Z",
          kind: "LOGIN_SUCCEEDED",
          ip: "203.0.113.1",
          hostname: "203.0.113.1",
          detail: null,
        },
      ],
    });
    // Plain JSON: what the export document is written as.
    expect(JSON.parse(JSON.stringify(document[SECURITY_PERSONAL_DATA]))).toEqual(document[SECURITY_PERSONAL_DATA]);
    const bobs = (await bed.platform.personalData.exportAll(system(bed), BOB))[SECURITY_PERSONAL_DATA] as {
      events: { ip: string }[];
    };
    expect(bobs.events.map((e) => e.ip)).toEqual(["203.0.113.2", "203.0.113.2"]);
  });

  it("masks e-mail addresses when an event is written", async () => {
    await bed.platform.securityLog.record(bed.ctx(), {
      kind: SecurityEventKind.STAFF_ACTION,
      detail: "reset the password of Alice.Smith@Example.test (ticket 7)",
    });

    expect((await events())[0]!.detail).toBe("reset the password of [email] (ticket 7)");
  });

  it("keeps the events through a closure, for security until their retention ends, without the person's e-mail or phone", async () => {
    await seed();
    // A detail written before e-mails were masked (or by another writer) with her address.
    await bed.db.dataSource.manager.insert(SecurityEventEntity, {
      id: "ffffffff-0000-7000-8000-0000000000ff", // sorts last
      at: bed.clock.now(),
      kind: SecurityEventKind.STAFF_ACTION,
      ip: null,
      hostname: null,
      userId: BOB.userId,
      partnerId: null,
      detail: "merged alice.smith@EXAMPLE.test into 100%_done",
    });
    const before = await events();

    // Inside the closing transaction, as users' close() runs it; a failure after it rolls it back.
    await expect(
      bed.ctx().transaction(async (tx) => {
        await bed.platform.personalData.eraseAll(tx, ALICE);
        throw new Error("the closure failed later on");
      }),
    ).rejects.toThrow("the closure failed later on");
    expect(await events()).toEqual(before);

    await bed.ctx().transaction((tx) => bed.platform.personalData.eraseAll(tx, ALICE));

    const after = await events();
    expect(after.map((e) => [e.kind, e.ip, e.userId, e.detail])).toEqual([
      ["LOGIN_SUCCEEDED", "203.0.113.1", ALICE.userId, null],
      ["LOGIN_SUCCEEDED", "203.0.113.2", BOB.userId, null],
      ["STAFF_ACTION", "198.51.100.9", ALICE.userId, "assigned order HON-000042"],
      ["STAFF_ACTION", "203.0.113.2", BOB.userId, `called ${ERASED} back`],
      ["LOGIN_FAILED", "192.0.2.7", null, "wrong email or password"],
      ["STAFF_ACTION", null, BOB.userId, `merged ${ERASED} into 100%_done`],
    ]);
    const text = JSON.stringify(after).toLowerCase();
    expect(text).not.toContain(ALICE.email.toLowerCase());
    expect(text).not.toContain(ALICE.phone!);
    // Erasing Bob, who has no phone, with an address nowhere in the log, changes nothing.
    await bed.ctx().transaction((tx) => bed.platform.personalData.eraseAll(tx, BOB));
    expect(await events()).toEqual(after);
  });
});
