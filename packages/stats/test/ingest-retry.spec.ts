import {
  createPlatform,
  loadConfig,
  ManualClock,
  openDataSource,
  platformModule,
  silentLogger,
  SqlJobQueue,
} from "@honour/platform";
import { FaultProxy, hostAndPort, openTestDataSource, testDatabaseKinds, type TestDataSource } from "@honour/testing";
import type { DataSource } from "typeorm";
import { createStatsServices, SqlSecurityLog, statsModule, type StatsServices } from "../src";
import { pageView, START, TEST_OPTIONS } from "./stats-test-bed";

// Only a server over a network can commit a batch and lose the answer: MariaDB/MySQL only.
const onMariaDb = testDatabaseKinds().includes("mysql") ? describe : describe.skip;

onMariaDb("a page-view batch whose commit landed but whose answer was lost", () => {
  let db: TestDataSource;
  let proxy: FaultProxy;
  let proxied: DataSource;
  let ingest: StatsServices["ingest"];

  beforeAll(async () => {
    db = await openTestDataSource("mysql", [platformModule, statsModule]);
    const url = (db.database.config as { url: string }).url;
    proxy = await FaultProxy.start(hostAndPort(url));
    const viaProxy = new URL(url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const modules = [platformModule, statsModule];
    ({ dataSource: proxied } = await openDataSource(
      { kind: "mysql", url: viaProxy.toString() },
      { entities: modules.flatMap((m) => m.entities), migrations: [], poolSize: 2 },
    ));
    const clock = new ManualClock(START);
    const config = loadConfig({ NODE_ENV: "test", HONOUR_SECRET: "a-test-secret-that-is-long-enough-0123456789" });
    const platform = createPlatform(config, proxied, {
      clock,
      jobs: new SqlJobQueue(proxied, clock),
      logger: silentLogger,
      securityLog: new SqlSecurityLog(),
    });
    ingest = createStatsServices(platform, TEST_OPTIONS).ingest;
  });
  afterAll(async () => {
    await ingest?.close().catch(() => undefined);
    if (proxied?.isInitialized) await proxied.destroy();
    await proxy?.close();
    await db?.close();
  });

  const written = async () =>
    Number((await db.dataSource.query("SELECT COUNT(*) AS n FROM `stats_page_view`"))[0].n as string);

  it("is counted once when the batch is retried", async () => {
    expect(ingest.accept(pageView({ ip: "192.0.2.1" }))).toBe(202);
    await ingest.flush(); // the day's salt is in memory from here on
    expect(await written()).toBe(1);

    proxy.loseReplies();
    for (let i = 0; i < 5; i++) expect(ingest.accept(pageView({ ip: `192.0.2.${10 + i}` }))).toBe(202);
    const flushing = ingest.flush();
    // The server committed the batch; its answer is lost with the connection.
    for (let i = 0; i < 200 && (await written()) < 6; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await written()).toBe(6);
    proxy.dropAll();
    await expect(flushing).rejects.toMatchObject({
      code: expect.stringMatching(/PROTOCOL_CONNECTION_LOST|ECONNRESET/),
    });
    expect(ingest.buffered).toBe(5);

    await proxy.restore();
    await ingest.flush();
    expect(ingest.buffered).toBe(0);
    expect(await written()).toBe(6);
  });
});
