import { testDatabaseKinds } from "@honour/testing";
import { DailySaltEntity } from "../src/salt/daily-salt.entity";
import { SALT_MAX_AGE_MS } from "../src/salt/salt.service";
import { expectStatus, openStatsTestBed, pageView, rawViews, system, type StatsTestBed } from "./stats-test-bed";

describe.each(testDatabaseKinds())("daily salts on %s", (kind) => {
  let bed: StatsTestBed;
  beforeAll(async () => {
    bed = await openStatsTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  const salts = () => bed.db.dataSource.manager.find(DailySaltEntity, { order: { day: "ASC" } });

  it("creates today's salt at rotation: 32 random bytes", async () => {
    const { today } = await bed.services.salts.rotate(system(bed));

    const [salt] = await salts();
    expect(today).toBe("2026-11-25");
    expect(salt).toMatchObject({ day: "2026-11-25", salt: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("keeps no salt older than 48 hours after any rotation, hour by hour across a clock change", async () => {
    bed.clock.set("2026-10-22T00:00:00.000Z");
    for (let hour = 0; hour < 24 * 6; hour++) {
      await bed.services.salts.rotate(system(bed));
      // A gateway creating the day's salt itself, between rotations.
      expectStatus(bed, pageView(), 202);
      await bed.services.ingest.flush();

      const now = bed.clock.now().getTime();
      for (const salt of await salts()) {
        expect(now - new Date(salt.createdAt).getTime()).toBeLessThan(SALT_MAX_AGE_MS);
      }
      expect((await salts()).length).toBeLessThanOrEqual(2);
      bed.clock.advance(3_600_000);
    }
  });

  it("deletes a salt 48 hours after it was made, even while its day is still yesterday", async () => {
    // 25 October 2026 has 25 hours in London: its salt, made at its midnight, is 48 hours old
    // before the 26th is over.
    bed.clock.set("2026-10-24T23:00:00.000Z");
    await bed.services.salts.rotate(system(bed));
    bed.clock.set("2026-10-26T12:00:00.000Z");
    await bed.services.salts.rotate(system(bed));
    expect((await salts()).map((s) => s.day)).toEqual(["2026-10-25", "2026-10-26"]);

    bed.clock.set("2026-10-26T23:00:00.000Z");
    await bed.services.salts.rotate(system(bed));

    expect((await salts()).map((s) => s.day)).toEqual(["2026-10-26"]);
  });

  it("makes salts at random, never from the date: the same day gets a new salt once its salt is gone", async () => {
    await bed.services.salts.rotate(system(bed));
    const first = (await salts())[0]!.salt;
    await bed.db.dataSource.manager.clear(DailySaltEntity);
    await bed.restart();

    await bed.services.salts.rotate(system(bed));

    const second = (await salts())[0]!.salt;
    expect(second).not.toBe(first);
    bed.clock.advance(24 * 3_600_000);
    await bed.services.salts.rotate(system(bed));
    expect(new Set((await salts()).map((s) => s.salt)).size).toBe(2);
  });

  it("gives every process the same salt for a day, even when two create it at once", async () => {
    const gatewayA = bed.services;
    const gatewayB = bed.otherProcess();

    const [a, b] = await Promise.all([
      gatewayA.salts.saltFor(system(bed), "2026-11-25"),
      gatewayB.salts.saltFor(system(bed), "2026-11-25"),
    ]);

    expect(a.equals(b)).toBe(true);
    expect(await salts()).toHaveLength(1);
  });

  it("hashes one visitor alike in two gateways", async () => {
    const other = bed.otherProcess();

    expectStatus(bed, pageView(), 202);
    expect(other.ingest.accept(pageView())).toBe(202);
    await bed.services.ingest.flush();
    await other.ingest.flush();

    const [one, two] = await rawViews(bed);
    expect(one!.visitorId).toBe(two!.visitorId);
    await other.ingest.close();
  });

  it("uses the salt the worker made at start-up", async () => {
    await bed.services.salts.rotate(system(bed));
    const workerSalt = Buffer.from((await salts())[0]!.salt, "hex");
    const gateway = bed.otherProcess();

    gateway.ingest.accept(pageView());
    await gateway.ingest.flush();

    expect(await gateway.salts.saltFor(system(bed), "2026-11-25")).toEqual(workerSalt);
    await gateway.ingest.close();
  });
});
