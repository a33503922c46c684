import { ConsentAction, ConsentActorKind, ConsentMethod } from "@honour/consent";
import { ORDERS_JOBS } from "@honour/orders";
import { Channel, JobEntity, JobStatus, newId, Role, Topic } from "@honour/platform";
import { PRIVACY_JOBS } from "@honour/privacy";
import { USERS_JOBS } from "@honour/users";
import { randomBytes } from "node:crypto";
import { waitFor, WorkerTestDatabase, type WorkerProcess } from "../worker-process";
import { FAULT_WORKER_ENV, insertRows, printFigures, useMysqlUrl } from "./fault-bed";

useMysqlUrl();

/** Orders of the person asking for a copy: enough that building it takes a while. */
const OWN_ORDERS = 2000;
/** Orders whose contact was erased more than CLOSED_ACCOUNT_RETENTION_DAYS ago: purged in batches of 500. */
const ERASED_ORDERS = 40_000;
/** Accounts closed more than CLOSED_ACCOUNT_RETENTION_DAYS ago, each with sessions: deleted in batches of 500. */
const CLOSED_ACCOUNTS = 20_000;
const LINES_PER_ORDER = 2;
const TEN_YEARS_AGO = new Date(Date.now() - 10 * 365 * 24 * 3600 * 1000);

const count = async (db: WorkerTestDatabase, sql: string): Promise<number> =>
  Number(((await db.dataSource.query(sql)) as { n: string | number }[])[0]!.n);

describe("worker killed mid-export and mid-erasure (SIGKILL) on MariaDB through mysql://", () => {
  let db: WorkerTestDatabase;

  beforeAll(async () => {
    db = await WorkerTestDatabase.create("mysql");
    await db.migrate();
  });
  afterAll(() => db?.close());

  async function seed(): Promise<{ requestId: string; personId: string }> {
    const ds = db.dataSource;
    const now = new Date();
    const productId = newId();
    await ds.query(
      "INSERT INTO product (id, sku, name, description, priceMinor, currency, kind, active, createdAt, updatedAt) VALUES (?, 'SKU-1', 'Licence', 'A licence', 1000, 'GBP', 'LICENCE', 1, ?, ?)",
      [productId, now, now],
    );
    const userColumns = ["id", "email", "passwordHash", "name", "role", "createdAt", "updatedAt", "closedAt"];
    const personId = newId();
    const users: unknown[][] = [[personId, "asks@example.com", "x", "Asks For A Copy", Role.CUSTOMER, now, now, null]];
    const sessions: unknown[][] = [];
    for (let i = 0; i < CLOSED_ACCOUNTS; i++) {
      const id = newId();
      users.push([id, `closed${i}@erased.invalid`, "x", "Closed account", Role.CUSTOMER, now, now, now]);
      for (let s = 0; s < 2; s++) sessions.push([newId(), randomBytes(32).toString("hex"), id, now, now, now]);
    }
    // Open accounts keep their consent, each preference with its ledger entry.
    const events: unknown[][] = [];
    const preferences: unknown[][] = [];
    for (let i = 0; i < 200; i++) {
      const id = i === 0 ? personId : newId();
      if (i > 0) users.push([id, `open${i}@example.com`, "x", `Open ${i}`, Role.CUSTOMER, now, now, null]);
      for (const topic of [Topic.NEWSLETTER, Topic.PRODUCT_UPDATES]) {
        const eventId = newId();
        const hash = randomBytes(32).toString("hex");
        events.push([
          eventId,
          hash,
          topic,
          Channel.EMAIL,
          ConsentAction.GRANTED,
          ConsentMethod.PREFERENCE_CENTRE,
          ConsentActorKind.PERSON,
          1,
          now,
        ]);
        preferences.push([id, topic, Channel.EMAIL, 1, ConsentMethod.PREFERENCE_CENTRE, 1, eventId, now]);
      }
    }
    await insertRows(ds, "user", userColumns, users);
    await insertRows(ds, "session", ["id", "tokenHash", "userId", "createdAt", "expiresAt", "lastSeenAt"], sessions);
    await insertRows(
      ds,
      "consent_event",
      ["id", "subjectHash", "topic", "channel", "action", "method", "actorKind", "policyVersion", "occurredAt"],
      events,
    );
    await insertRows(
      ds,
      "consent_preference",
      ["userId", "topic", "channel", "granted", "method", "policyVersion", "eventId", "updatedAt"],
      preferences,
    );

    const orders: unknown[][] = [];
    const lines: unknown[][] = [];
    for (let i = 0; i < OWN_ORDERS + ERASED_ORDERS; i++) {
      const id = newId();
      const own = i < OWN_ORDERS;
      orders.push([
        id,
        i + 1,
        "PAID",
        own ? personId : null,
        "GBP",
        1000 * LINES_PER_ORDER,
        own ? "Asks For A Copy" : "Erased",
        own ? "asks@example.com" : "erased@erased.invalid",
        own ? "1 High Street" : "Erased",
        own ? "London" : "Erased",
        own ? "SW1A 1AA" : "Erased",
        "GB",
        now,
        now,
        own ? null : now,
      ]);
      for (let p = 1; p <= LINES_PER_ORDER; p++) {
        lines.push([newId(), id, p, productId, "SKU-1", "Licence", "LICENCE", 1, 1000, 1000]);
      }
    }
    await insertRows(
      ds,
      "customer_order",
      [
        "id",
        "number",
        "status",
        "userId",
        "currency",
        "totalMinor",
        "contactName",
        "contactEmail",
        "addressLine1",
        "addressCity",
        "addressPostcode",
        "addressCountry",
        "placedAt",
        "updatedAt",
        "contactErasedAt",
      ],
      orders,
    );
    await insertRows(
      ds,
      "order_line",
      ["id", "orderId", "position", "productId", "sku", "name", "kind", "quantity", "unitPriceMinor", "totalMinor"],
      lines,
    );

    // The ACCESS request as requestDataExport records it, with its job.
    const requestId = newId();
    await ds.query(
      "INSERT INTO privacy_request (id, type, status, subjectUserId, channel, receivedAt, dueAt, updatedAt) VALUES (?, 'ACCESS', 'RECEIVED', ?, 'ONLINE', ?, ?, ?)",
      [requestId, personId, now, new Date(now.getTime() + 30 * 24 * 3600 * 1000), now],
    );
    await db.enqueue(
      PRIVACY_JOBS.buildDataExport,
      { requestId, userId: personId },
      { uniqueKey: `${PRIVACY_JOBS.buildDataExport}:${requestId}`, maxAttempts: 5 },
    );
    return { requestId, personId };
  }

  /**
   * A transaction of the test's own that holds row locks the worker's job will need, so the job is
   * stopped at a known point inside its work (waiting for the lock) when the worker is killed, on
   * any machine, however fast: no poll has to land inside a statement by luck.
   */
  async function holdLocks(sql: string, parameters: unknown[]): Promise<{ release(): Promise<void> }> {
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query(sql, parameters);
    return {
      async release() {
        await runner.rollbackTransaction();
        await runner.release();
      },
    };
  }

  /** The rows changed so far by the worker's transaction that waits for one of our locks, if one does. */
  const waitingWorkerRows = async (): Promise<number | null> => {
    const rows = (await db.dataSource.query(
      `SELECT t.trx_rows_modified AS n FROM information_schema.innodb_trx t
       JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id
       WHERE p.db = DATABASE() AND t.trx_state = 'LOCK WAIT'`,
    )) as { n: string | number }[];
    return rows.length === 0 ? null : Number(rows[0]!.n);
  };

  const jobById = async (id: string): Promise<JobEntity> => db.dataSource.manager.findOneByOrFail(JobEntity, { id });

  /** Makes sure a job `name` waits to run: the one the schedule queued, or one queued now. */
  async function ensurePending(name: string): Promise<void> {
    const pending = await db.dataSource.manager.countBy(JobEntity, { name, status: JobStatus.PENDING });
    if (pending === 0) await db.enqueue(name);
  }

  /**
   * Waits until a job `name` is RUNNING and the worker's transaction waits for the test's lock,
   * kills the worker, and checks the job was left RUNNING after its first attempt (so it really
   * died mid-job). Returns the job's id and the rows its open transaction had changed.
   */
  async function killMidJob(worker: WorkerProcess, name: string): Promise<{ id: string; uncommittedRows: number }> {
    let running: JobEntity | null = null;
    let uncommittedRows: number | null = null;
    await waitFor(
      async () => {
        running = await db.dataSource.manager.findOneBy(JobEntity, { name, status: JobStatus.RUNNING });
        uncommittedRows = running ? await waitingWorkerRows() : null;
        return uncommittedRows !== null;
      },
      300_000,
      // MariaDB refreshes information_schema.innodb_trx only when it was last read more than
      // 100 ms ago: polled every 20 ms it never did, and the worker's LOCK WAIT never showed.
      250,
    );
    worker.kill("SIGKILL");
    expect(await worker.exited).toEqual({ code: null, signal: "SIGKILL" });
    const id = running!.id;
    expect(await jobById(id)).toMatchObject({ status: JobStatus.RUNNING, attempts: 1 });
    return { id, uncommittedRows: uncommittedRows! };
  }

  /** The id at `offset` among `where`'s rows of `table` in the order the job takes them. */
  const idAt = async (table: string, where: string, order: string, offset: number): Promise<string> =>
    (
      (await db.dataSource.query(
        `SELECT id FROM \`${table}\` WHERE ${where} ORDER BY ${order} LIMIT 1 OFFSET ${offset}`,
      )) as {
        id: string;
      }[]
    )[0]!.id;

  it("takes each killed job again after the stale period and finishes it, leaving nothing half-erased", async () => {
    const { requestId, personId } = await seed();
    const erasedLeft = () => count(db, "SELECT COUNT(*) AS n FROM customer_order WHERE contactErasedAt IS NOT NULL");
    const closedLeft = () => count(db, "SELECT COUNT(*) AS n FROM user WHERE closedAt IS NOT NULL");
    const startedAt = Date.now();
    const killed: { id: string; uncommittedRows: number }[] = [];

    // 1. Mid-export: the copy is built and stored in one transaction. A gap lock on the audit log
    //    past every entry stops the job at its last statement, the DATA_EXPORTED entry, after it
    //    has written the whole copy and marked the request: the kill must leave none of it.
    let holder = await holdLocks("SELECT id FROM audit_entry WHERE id >= ? FOR UPDATE", [newId()]);
    let worker = db.startWorker(FAULT_WORKER_ENV);
    killed.push(await killMidJob(worker, PRIVACY_JOBS.buildDataExport));
    await holder.release();
    expect(await count(db, "SELECT COUNT(*) AS n FROM privacy_data_export")).toBe(0);
    expect(await count(db, "SELECT COUNT(*) AS n FROM privacy_data_export_part")).toBe(0);
    expect(
      await count(db, `SELECT COUNT(*) AS n FROM privacy_request WHERE id = '${requestId}' AND status = 'RECEIVED'`),
    ).toBe(1);

    // 2. Mid-deletion of the closed accounts (batches of 500, each one statement). They were
    //    seeded as recent, so the first worker's start-up schedules found nothing to do; now they
    //    fall due, and the job is stopped inside the DELETE of the batch holding the 2 751st.
    await db.dataSource.query("UPDATE `user` SET closedAt = ? WHERE closedAt IS NOT NULL", [TEN_YEARS_AGO]);
    const lockedAccount = await idAt("user", "closedAt IS NOT NULL", "closedAt, id", 2_750);
    holder = await holdLocks("SELECT id FROM `user` WHERE id = ? FOR UPDATE", [lockedAccount]);
    await ensurePending(USERS_JOBS.deleteClosedAccounts);
    worker = db.startWorker(FAULT_WORKER_ENV);
    killed.push(await killMidJob(worker, USERS_JOBS.deleteClosedAccounts));
    await holder.release();
    const closedAtKill = await closedLeft();

    // 3. Mid-purge of the erased orders (batches of 500, each one transaction), stopped inside the
    //    transaction of the batch holding the 5 251st.
    await db.dataSource.query("UPDATE customer_order SET contactErasedAt = ? WHERE contactErasedAt IS NOT NULL", [
      TEN_YEARS_AGO,
    ]);
    const lockedOrder = await idAt("customer_order", "contactErasedAt IS NOT NULL", "id", 5_250);
    holder = await holdLocks("SELECT id FROM customer_order WHERE id = ? FOR UPDATE", [lockedOrder]);
    await ensurePending(ORDERS_JOBS.purgeErasedOrders);
    worker = db.startWorker(FAULT_WORKER_ENV);
    killed.push(await killMidJob(worker, ORDERS_JOBS.purgeErasedOrders));
    await holder.release();
    const erasedAtKill = await erasedLeft();

    // 4. A worker that is left alone finishes every one of them, and whatever else is queued.
    worker = db.startWorker(FAULT_WORKER_ENV);
    await waitFor(
      async () => (await Promise.all(killed.map((k) => jobById(k.id)))).every((j) => j.status === JobStatus.DONE),
      300_000,
      200,
    );
    const seconds = (Date.now() - startedAt) / 1000;
    const jobs = await Promise.all(killed.map((k) => jobById(k.id)));
    const buildMs = worker.logs.find((l) => l.msg === "job done" && l.job === PRIVACY_JOBS.buildDataExport)?.ms;

    const ordersWithoutAllLines = await count(
      db,
      `SELECT COUNT(*) AS n FROM customer_order o
       WHERE (SELECT COUNT(*) FROM order_line l WHERE l.orderId = o.id) <> ${LINES_PER_ORDER}`,
    );
    const linesWithoutOrder = await count(
      db,
      "SELECT COUNT(*) AS n FROM order_line l LEFT JOIN customer_order o ON o.id = l.orderId WHERE o.id IS NULL",
    );
    const consentWithoutLedger = await count(
      db,
      "SELECT COUNT(*) AS n FROM consent_preference p LEFT JOIN consent_event e ON e.id = p.eventId WHERE e.id IS NULL",
    );
    const sessionsWithoutAccount = await count(
      db,
      "SELECT COUNT(*) AS n FROM session s LEFT JOIN user u ON u.id = s.userId WHERE u.id IS NULL",
    );
    const [exported] = (await db.dataSource.query(
      `SELECT e.sizeBytes AS size, (SELECT SUM(OCTET_LENGTH(p.content)) FROM privacy_data_export_part p WHERE p.exportId = e.id) AS stored,
              r.status AS status
       FROM privacy_data_export e JOIN privacy_request r ON r.id = e.id WHERE e.id = ?`,
      [requestId],
    )) as { size: number; stored: string | number; status: string }[];
    const ownOrders = await count(db, `SELECT COUNT(*) AS n FROM customer_order WHERE userId = '${personId}'`);

    printFigures("SIGKILL mid-export and mid-erasure", {
      kills: killed.length,
      uncommittedRowsAtKills: killed.map((k) => k.uncommittedRows).join("/"),
      attempts: jobs.map((j) => j.attempts).join("/"),
      exportBuildMs: String(buildMs),
      exportWhole: Boolean(exported) && Number(exported!.stored) === Number(exported!.size),
      closedAccountsAtKill: `${closedAtKill}/${CLOSED_ACCOUNTS}`,
      erasedOrdersAtKill: `${erasedAtKill}/${ERASED_ORDERS}`,
      closedAccountsLeft: await closedLeft(),
      erasedOrdersLeft: await erasedLeft(),
      ordersWithoutAllLines,
      linesWithoutOrder,
      consentWithoutLedger,
      seconds: seconds.toFixed(1),
    });

    // Each job was taken again after its worker died, and finished on that second attempt.
    expect(jobs.map((j) => j.attempts)).toEqual([2, 2, 2]);
    expect(exported).toMatchObject({ status: "COMPLETED" });
    expect(Number(exported!.stored)).toBe(Number(exported!.size));
    expect(await count(db, "SELECT COUNT(*) AS n FROM privacy_data_export")).toBe(1);
    expect(await closedLeft()).toBe(0);
    expect(await erasedLeft()).toBe(0);
    // Each kill landed inside a batch after earlier batches had committed.
    expect(closedAtKill).toBe(CLOSED_ACCOUNTS - 2_500);
    expect(erasedAtKill).toBe(ERASED_ORDERS - 5_000);
    // The export's transaction had written the copy before it died, and the DELETEs had started.
    expect(killed.every((k) => k.uncommittedRows > 0)).toBe(true);
    expect(ownOrders).toBe(OWN_ORDERS);
    expect(ordersWithoutAllLines).toBe(0);
    expect(linesWithoutOrder).toBe(0);
    expect(consentWithoutLedger).toBe(0);
    expect(sessionsWithoutAccount).toBe(0);
    expect(await count(db, "SELECT COUNT(*) AS n FROM consent_preference")).toBe(400);
    // Seeding 60 000 rows and four worker start-ups take minutes on a loaded 2-core machine.
  }, 900_000);
});
