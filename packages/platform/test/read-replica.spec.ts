import { mariadbReplicaTestsRun, startReplicatedMariadb, type TestReplicatedMariadb } from "@honour/testing";
import type { DataSource } from "typeorm";
import { hasReadReplicas } from "../src/database/read-replica";
import {
  JobEntity,
  JobStatus,
  migrateSchema,
  newId,
  openDataSource,
  platformModule,
  readFromReplica,
  RequestContext,
  systemClock,
} from "../src";

/** A request's context, as the gateway makes one per request. */
const requestContext = (dataSource: DataSource) =>
  new RequestContext(dataSource, { kind: "system", name: "replica-test" }, systemClock);

const serverId = async (ctx: RequestContext) =>
  Number(((await ctx.manager.query("SELECT @@server_id AS id")) as { id: number }[])[0]!.id);

function jobRow(id: string): JobEntity {
  const now = new Date();
  return Object.assign(new JobEntity(), {
    id,
    name: "replica.marker",
    payload: {},
    status: JobStatus.DONE,
    attempts: 1,
    maxAttempts: 1,
    runAt: now,
    lockedBy: null,
    heartbeatAt: null,
    lastError: null,
    uniqueKey: null,
    createdAt: now,
    finishedAt: now,
  });
}

/**
 * DATABASE_REPLICA_URLS on a real MariaDB replica (GTID replication between two servers this test
 * starts; server id 1 is the primary, 2 the replica).
 */
(mariadbReplicaTestsRun() ? describe : describe.skip)("read replicas (DATABASE_REPLICA_URLS)", () => {
  let pair: TestReplicatedMariadb;
  let dataSource: DataSource;

  beforeAll(async () => {
    pair = await startReplicatedMariadb();
    ({ dataSource } = await openDataSource(
      { kind: "mysql", url: pair.primaryUrl, replicaUrls: [pair.replicaUrl] },
      { entities: platformModule.entities, migrations: platformModule.migrations },
    ));
    await migrateSchema(dataSource);
    await pair.caughtUp();
  }, 120_000);
  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await pair?.stop();
  });

  it("reads the primary by default, and the replica only through readFromReplica", async () => {
    expect(hasReadReplicas(dataSource)).toBe(true);
    const ctx = requestContext(dataSource);
    expect(await serverId(ctx)).toBe(1);
    expect(await dataSource.manager.findOneBy(JobEntity, { id: newId() })).toBeNull(); // find(): primary too
    expect(await readFromReplica(ctx, serverId)).toBe(2);
  });

  it("serves readFromReplica's entity reads from the replica: a marker row only the replica has is found", async () => {
    const marker = newId();
    const replica = await pair.connect("replica");
    try {
      // Written on the replica alone (root may write despite read_only): the primary never has it.
      await replica.query(
        "INSERT INTO honour_replica_test.job (id, name, payload, status, attempts, maxAttempts, runAt, createdAt) VALUES (?, 'replica.marker', '{}', 'DONE', 1, 1, NOW(3), NOW(3))",
        [marker],
      );
    } finally {
      await replica.end();
    }
    const ctx = requestContext(dataSource);
    expect(await readFromReplica(ctx, (r) => r.manager.findOneBy(JobEntity, { id: marker }))).toMatchObject({
      id: marker,
    });
    expect(await ctx.manager.findOneBy(JobEntity, { id: marker })).toBeNull();
  });

  it("reads the primary inside a transaction", async () => {
    const ctx = requestContext(dataSource);
    expect(await ctx.transaction((tx) => readFromReplica(tx, serverId))).toBe(1);
  });

  it("reads the primary after the same request's write (read-your-writes), while other requests read the lagging replica", async () => {
    await pair.pauseReplication();
    try {
      const writer = requestContext(dataSource);
      const id = newId();
      await writer.transaction(async (tx) => void (await tx.manager.save(jobRow(id))));
      // The same request, even through a context derived from it, sees its write.
      expect(await readFromReplica(writer.withActor({ kind: "system", name: "same-request" }), serverId)).toBe(1);
      expect(await readFromReplica(writer, (r) => r.manager.findOneBy(JobEntity, { id }))).toMatchObject({ id });
      // Another request reads the replica, which has not got the row yet: the lag this allows.
      const other = requestContext(dataSource);
      expect(await readFromReplica(other, serverId)).toBe(2);
      expect(await readFromReplica(other, (r) => r.manager.findOneBy(JobEntity, { id }))).toBeNull();
      await pair.resumeReplication();
      await pair.caughtUp();
      expect(await readFromReplica(other, (r) => r.manager.findOneBy(JobEntity, { id }))).toMatchObject({ id });
    } finally {
      await pair.resumeReplication().catch(() => undefined);
    }
  });

  it("writes from a transaction opened in a replica context go to the primary", async () => {
    const id = newId();
    await readFromReplica(requestContext(dataSource), (r) =>
      r.transaction(async (tx) => {
        expect(await serverId(tx)).toBe(1);
        await tx.manager.save(jobRow(id));
      }),
    );
    expect(await dataSource.manager.findOneBy(JobEntity, { id })).toMatchObject({ id });
  });
});
