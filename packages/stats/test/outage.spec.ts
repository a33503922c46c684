import { testDatabaseKinds } from "@honour/testing";
import { expectStatus, openStatsTestBed, pageView, rawViews, waitFor, type StatsTestBed } from "./stats-test-bed";

describe.each(testDatabaseKinds())("ingest while the database is unreachable, on %s", (kind) => {
  let bed: StatsTestBed;
  beforeAll(async () => {
    bed = await openStatsTestBed(kind, { bufferLimit: 5 });
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());
  afterEach(async () => {
    if (!bed.db.dataSource.isInitialized) await bed.db.dataSource.initialize();
  });

  const stopDatabase = () => bed.db.dataSource.destroy();
  const startDatabase = () => bed.db.dataSource.initialize();

  it("keeps accepting up to the buffer limit, answers 503 past it, and writes everything once it returns", async () => {
    expectStatus(bed, pageView({ ip: "192.0.2.1" }), 202);
    await bed.services.ingest.flush();
    await stopDatabase();

    for (let i = 2; i <= 4; i++) expectStatus(bed, pageView({ ip: `192.0.2.${i}` }), 202);
    await expect(bed.services.ingest.flush()).rejects.toBeDefined();
    expectStatus(bed, pageView({ ip: "192.0.2.5" }), 202);
    expectStatus(bed, pageView({ ip: "192.0.2.6" }), 202);
    expect(bed.services.ingest.buffered).toBe(5);
    expectStatus(bed, pageView({ ip: "192.0.2.7" }), 503);
    // Dropped requests cost nothing and are not refused: they were never going to be kept.
    expectStatus(bed, pageView({ dnt: "1" }), 202);

    await startDatabase();
    await bed.services.ingest.flush();

    expect(bed.services.ingest.buffered).toBe(0);
    expect(new Set((await rawViews(bed)).map((v) => v.visitorId)).size).toBe(6);
    expectStatus(bed, pageView({ ip: "192.0.2.7" }), 202);
  });

  it("retries by itself and writes each accepted view exactly once", async () => {
    await bed.restart({ bufferLimit: 100, flushIntervalMs: 5 });
    expectStatus(bed, pageView({ ip: "192.0.2.1" }), 202);
    await waitFor(() => bed.services.ingest.buffered === 0);
    await stopDatabase();
    for (let i = 0; i < 10; i++) expectStatus(bed, pageView({ ip: "192.0.2.2" }), 202);
    await new Promise((resolve) => setTimeout(resolve, 30)); // a few failed attempts

    await startDatabase();
    await waitFor(() => bed.services.ingest.buffered === 0);

    expect(await rawViews(bed)).toHaveLength(11);
  });

  it("hashes views accepted before the day's salt could be read, with that salt, once the database returns", async () => {
    expectStatus(bed, pageView(), 202);
    await bed.services.ingest.flush();
    await bed.restart({ bufferLimit: 5 }); // a new gateway: no salt in memory
    await stopDatabase();

    expectStatus(bed, pageView(), 202);
    await expect(bed.services.ingest.flush()).rejects.toBeDefined();
    await startDatabase();
    await bed.services.ingest.flush();

    const [before, after] = await rawViews(bed);
    expect(after!.visitorId).toBe(before!.visitorId);
  });

  it("writes the buffer at shutdown and accepts nothing more", async () => {
    for (let i = 0; i < 3; i++) expectStatus(bed, pageView(), 202);

    await bed.services.ingest.close();

    expect(await rawViews(bed)).toHaveLength(3);
    expectStatus(bed, pageView(), 503);
  });

  it("says how many accepted views were lost when the database is gone at shutdown", async () => {
    expectStatus(bed, pageView(), 202);
    expectStatus(bed, pageView(), 202);
    await stopDatabase();

    await expect(bed.services.ingest.close()).rejects.toThrow("2 accepted page views could not be written");
  });
});
