import { openTestDataSource, testDatabaseKinds, type TestDataSource } from "@honour/testing";
import {
  AuditAction,
  AuditEntryEntity,
  JobEntity,
  JobStatus,
  ManualClock,
  PersonalDataRegistry,
  platformModule,
  RequestContext,
  Role,
  SqlJobQueue,
  TRANSACTIONAL_MAIL_JOB,
  type PersonalDataContributor,
} from "../src";
import { SqlAuditLog } from "../src/audit/audit-log";
import { MailPersonalData } from "../src/jobs/mail-personal-data.service";
import { purgeJobHistory } from "../src/retention/platform-jobs";

const START = "2026-03-01T10:00:00.000Z";
const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(testDatabaseKinds())("audit log, personal data registry and job history on %s", (kind) => {
  let db: TestDataSource;
  let clock: ManualClock;
  const audit = new SqlAuditLog();

  beforeAll(async () => {
    db = await openTestDataSource(kind, [platformModule]);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.dataSource.getRepository(JobEntity).clear();
    await db.dataSource.getRepository(AuditEntryEntity).clear();
    clock = new ManualClock(START);
  });

  const asUser = (userId: string, role = Role.ADMIN) =>
    new RequestContext(db.dataSource, { kind: "user", userId, role, sessionId: "s" }, clock);
  const asSystem = () => new RequestContext(db.dataSource, { kind: "system", name: "test" }, clock);

  describe("SqlAuditLog", () => {
    it("records actor, action, subject and time, and lists newest first filtered by subject or actor", async () => {
      await audit.record(asUser("staff-1"), { action: AuditAction.PERSON_VIEWED, subjectId: "user-a" });
      clock.advance(1000);
      await audit.record(asUser("staff-2"), { action: AuditAction.ORDERS_VIEWED, subjectId: "user-a" });
      clock.advance(1000);
      await audit.record(asUser("staff-1"), {
        action: AuditAction.ROLE_CHANGED,
        subjectId: "user-b",
        detail: "MARKETING",
      });
      clock.advance(1000);
      await audit.record(asSystem(), { action: AuditAction.DATA_EXPORTED, subjectId: "user-b" });

      const all = await audit.list(asSystem(), {});
      expect(all.nodes.map((e) => [e.actorId, e.actorKind, e.action, e.subjectId])).toEqual([
        ["system:test", "system", "DATA_EXPORTED", "user-b"],
        ["staff-1", "user", "ROLE_CHANGED", "user-b"],
        ["staff-2", "user", "ORDERS_VIEWED", "user-a"],
        ["staff-1", "user", "PERSON_VIEWED", "user-a"],
      ]);
      expect(all.nodes[3]!.at.toISOString()).toBe(START);
      expect(all.nodes[1]!.detail).toBe("MARKETING");

      const aboutA = await audit.list(asSystem(), { subjectId: "user-a" });
      expect(aboutA.nodes.map((e) => e.action)).toEqual(["ORDERS_VIEWED", "PERSON_VIEWED"]);
      const byStaff1 = await audit.list(asSystem(), { actorId: "staff-1", first: 1 });
      expect(byStaff1.nodes.map((e) => e.action)).toEqual(["ROLE_CHANGED"]);
      expect(byStaff1.pageInfo.hasNextPage).toBe(true);
      const next = await audit.list(asSystem(), { actorId: "staff-1", after: byStaff1.pageInfo.endCursor });
      expect(next.nodes.map((e) => e.action)).toEqual(["PERSON_VIEWED"]);
    });

    it("records a list of entries with one statement, each with the actor and time, and nothing for none", async () => {
      const ctx = asUser("staff-1");
      const queries: string[] = [];
      const logger = db.dataSource.logger;
      const originalLogQuery = logger.logQuery.bind(logger);
      const spy = jest.spyOn(logger, "logQuery").mockImplementation((query, ...rest) => {
        if (/insert/i.test(query)) queries.push(query);
        return originalLogQuery(query, ...rest);
      });
      try {
        await audit.recordMany(ctx, []);
        expect(await db.dataSource.manager.count(AuditEntryEntity)).toBe(0);
        await audit.recordMany(ctx, [
          { action: AuditAction.PERSON_VIEWED, subjectId: "user-a" },
          { action: AuditAction.PERSON_VIEWED, subjectId: "user-b", detail: "x".repeat(300) },
        ]);
      } finally {
        spy.mockRestore();
      }
      expect(queries).toHaveLength(1);
      const rows = await db.dataSource.manager.find(AuditEntryEntity, { order: { subjectId: "ASC" } });
      expect(rows.map((e) => [e.actorId, e.actorKind, e.action, e.subjectId, e.at.toISOString()])).toEqual([
        ["staff-1", "user", "PERSON_VIEWED", "user-a", START],
        ["staff-1", "user", "PERSON_VIEWED", "user-b", START],
      ]);
      expect(rows[0]!.detail).toBeNull();
      expect(rows[1]!.detail).toHaveLength(200);
      expect(new Set(rows.map((e) => e.id)).size).toBe(2);
    });

    it("commits and rolls back with the caller's transaction", async () => {
      await expect(
        asUser("staff-1").transaction(async (tx) => {
          await audit.record(tx, { action: AuditAction.PERSON_VIEWED, subjectId: "user-a" });
          throw new Error("the read failed");
        }),
      ).rejects.toThrow("the read failed");
      expect(await db.dataSource.manager.count(AuditEntryEntity)).toBe(0);
    });

    it("purges only entries older than the cut-off", async () => {
      await audit.record(asSystem(), { action: AuditAction.PERSON_VIEWED, subjectId: "old" });
      clock.advance(10 * DAY_MS);
      await audit.record(asSystem(), { action: AuditAction.PERSON_VIEWED, subjectId: "new" });
      expect(await audit.purgeOlderThan(asSystem(), new Date(clock.now().getTime() - DAY_MS))).toBe(1);
      expect((await audit.list(asSystem(), {})).nodes.map((e) => e.subjectId)).toEqual(["new"]);
    });
  });

  describe("PersonalDataRegistry", () => {
    const subject = { userId: "u1", email: "ada@example.com", phone: null };
    const calls: string[] = [];
    const contributor = (name: string): PersonalDataContributor => ({
      name,
      export: async (_ctx, s) => ({ who: s.userId, from: name }),
      erase: async () => {
        calls.push(name);
      },
    });

    it("exports one section per contributor and erases dependants first", async () => {
      const registry = new PersonalDataRegistry();
      registry.register(contributor("users"));
      registry.register(contributor("orders"));
      registry.register(contributor("consent"));
      expect(registry.names).toEqual(["users", "orders", "consent"]);
      expect(await registry.exportAll(asSystem(), subject)).toEqual({
        users: { who: "u1", from: "users" },
        orders: { who: "u1", from: "orders" },
        consent: { who: "u1", from: "consent" },
      });
      calls.length = 0;
      await registry.eraseAll(asSystem(), subject);
      expect(calls).toEqual(["consent", "orders", "users"]);
    });

    it("refuses a second contributor with the same name", () => {
      const registry = new PersonalDataRegistry();
      registry.register(contributor("orders"));
      expect(() => registry.register(contributor("orders"))).toThrow(/already registered/);
    });
  });

  describe("job history", () => {
    it("purges finished and dead jobs past the cut-off, never pending or running ones", async () => {
      const queue = new SqlJobQueue(db.dataSource, clock);
      const done = (await queue.enqueue(asSystem(), "done", {}))!;
      const dead = (await queue.enqueue(asSystem(), "dead", {}))!;
      const recent = (await queue.enqueue(asSystem(), "recent", {}))!;
      const pending = (await queue.enqueue(asSystem(), "pending", {}))!;
      const repo = db.dataSource.getRepository(JobEntity);
      await repo.update(done, { status: JobStatus.DONE, finishedAt: new Date(clock.now().getTime() - 8 * DAY_MS) });
      await repo.update(dead, { status: JobStatus.DEAD, finishedAt: new Date(clock.now().getTime() - 30 * DAY_MS) });
      await repo.update(recent, { status: JobStatus.DONE, finishedAt: new Date(clock.now().getTime() - DAY_MS) });
      const cutOff = new Date(clock.now().getTime() - 7 * DAY_MS);
      expect(await purgeJobHistory(asSystem(), cutOff)).toBe(2);
      expect((await repo.find()).map((j) => j.id).sort()).toEqual([recent, pending].sort());
    });

    it("exports the mail about a person's account as they read it, and erases every job naming their address or account", async () => {
      const queue = new SqlJobQueue(db.dataSource, clock);
      const mail = (address: string, extra: Record<string, unknown> = {}) => ({
        kind: "PASSWORD_CHANGED",
        to: { name: "Ada", address },
        subject: "Your password was changed",
        text: "Hello Ada",
        ...extra,
      });
      const queuedAt = clock.now();
      const sent = (await queue.enqueue(
        asSystem(),
        TRANSACTIONAL_MAIL_JOB,
        mail("ada_1%@example.com", { accountId: "u1" }),
        {
          uniqueKey: "mail:password-changed:u1:1",
        },
      ))!;
      await db.dataSource.getRepository(JobEntity).update(sent, {
        status: JobStatus.DONE,
        finishedAt: new Date(queuedAt.getTime() + 1000),
        attempts: 2,
        lastError: "421 try again later",
      });
      clock.advance(1); // the export lists messages oldest first
      // About her account, sent to the address it had before: hers, and erased with it.
      await queue.enqueue(asSystem(), TRANSACTIONAL_MAIL_JOB, mail("old@example.com", { accountId: "u1" }));
      // To her address but about no account (a guest order placed with it): not provably hers.
      await queue.enqueue(asSystem(), TRANSACTIONAL_MAIL_JOB, {
        ...mail("ada_1%@example.com"),
        kind: "ORDER_CONFIRMATION",
      });
      // Someone else's account, someone else's addresses (ones that contain Ada's, or start with it).
      await queue.enqueue(asSystem(), TRANSACTIONAL_MAIL_JOB, mail("bob@example.com", { accountId: "u10" }));
      await queue.enqueue(asSystem(), TRANSACTIONAL_MAIL_JOB, mail("sada_1%@example.com"));
      await queue.enqueue(asSystem(), TRANSACTIONAL_MAIL_JOB, mail("ada_1%@example.com.au"));
      const subject = { userId: "u1", email: "ada_1%@example.com", phone: null };

      const mailData = new MailPersonalData();
      const exported = await mailData.export(asSystem(), subject);
      expect(mailData.name).toBe("mail");
      expect(exported).toEqual({
        messages: [
          {
            kind: "PASSWORD_CHANGED",
            to: { name: "Ada", address: "ada_1%@example.com" },
            subject: "Your password was changed",
            text: "Hello Ada",
            status: "SENT",
            queuedAt: queuedAt.toISOString(),
            sentAt: new Date(queuedAt.getTime() + 1000).toISOString(),
          },
          expect.objectContaining({ to: { name: "Ada", address: "old@example.com" }, status: "QUEUED", sentAt: null }),
        ],
      });

      await mailData.erase(asSystem(), subject);
      const left = await db.dataSource.getRepository(JobEntity).find();
      expect(left.map((j) => (j.payload["to"] as { address: string }).address).sort()).toEqual([
        "ada_1%@example.com.au",
        "bob@example.com",
        "sada_1%@example.com",
      ]);
    });
  });
});
