import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import { PLACE_ORDER, addProducts, countRows, orderInput, outcome } from "./support/orders-fixtures";
import {
  TEST_SECRET,
  signedInAdmin,
  signedInCustomer,
  startTestGateway,
  type TestGateway,
} from "./support/test-gateway";

const WORKER_MAIN = join(__dirname, "..", "..", "worker", "dist", "main.js");

/**
 * The built worker on the gateway's database, as `npm start` runs the two: on SQLite it writes
 * the same file (claiming and finishing the orders' confirmation mails) while orders are placed.
 */
function startWorker(t: TestGateway): { child: ChildProcess; output: () => string } {
  if (!existsSync(WORKER_MAIN)) throw new Error(`${WORKER_MAIN} is missing: build the worker first (npm run build)`);
  const database = t.config.database;
  let dataDir = t.config.dataDir;
  if (database.kind === "sqlite") {
    // The worker opens HONOUR_DATA_DIR/honour.sqlite: the gateway's file under that name.
    dataDir = dirname(database.path);
    const name = join(dataDir, "honour.sqlite");
    if (!existsSync(name)) symlinkSync(database.path, name);
  }
  let output = "";
  const child = spawn(process.execPath, [WORKER_MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "test",
      HONOUR_SECRET: TEST_SECRET,
      HONOUR_DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      WORKER_POLL_MS: "5",
      WORKER_SCHEMA_POLL_MS: "50",
      ...(database.kind === "mysql" ? { DATABASE_URL: database.url } : {}),
    },
    stdio: "pipe",
  });
  child.stdout!.on("data", (d) => (output += String(d)));
  child.stderr!.on("data", (d) => (output += String(d)));
  return { child, output: () => output };
}

describe.each(testDatabaseKinds())("orders under concurrency over HTTP on %s", (kind) => {
  let t: TestGateway;
  let admin: GraphQLTestClient;
  let sku: string;
  let worker: { child: ChildProcess; output: () => string };

  beforeAll(async () => {
    t = await startTestGateway(kind);
    admin = await signedInAdmin(t);
    [sku] = await addProducts(admin, [{ kind: "SERVICE", priceMinor: 1500 }]);
    worker = startWorker(t);
  });
  afterAll(async () => {
    if (worker && worker.child.exitCode === null) {
      const exited = new Promise((resolve) => worker.child.once("exit", resolve));
      worker.child.kill("SIGTERM");
      await exited;
    }
    await t?.close();
  });

  // Tried as a new user would (the embedded SQLite default, gateway and worker), 2 in about 40
  // answered INTERNAL_SERVER_ERROR: a saved-card upsert done as INSERT + re-read (MariaDB), and a
  // transaction that read before it wrote while the worker wrote the file (SQLITE_BUSY).
  it("places every one of 8 parallel orders of one customer, saving the same card, round after round", async () => {
    const { client, userId } = await signedInCustomer(t);
    const outcomes: string[] = [];
    for (let round = 0; round < 6; round += 1) {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          client.query(PLACE_ORDER, { input: orderInput([sku], { saveBillingDetails: i % 2 === 0 }) }),
        ),
      );
      outcomes.push(...results.map(outcome));
    }
    const errors = t.logs.filter((line) => /"level":50/.test(line)).map((line) => line.slice(0, 1000));
    expect({ failed: outcomes.filter((o) => o !== "OK"), errors }).toEqual({ failed: [], errors: [] });
    const orders = await t.gateway.dataSource.query(
      `SELECT COUNT(*) AS n FROM ${t.gateway.dataSource.driver.escape("customer_order")} WHERE userId = ?`,
      [userId],
    );
    expect(Number(orders[0].n)).toBe(48);
    // One card, saved by 24 of the orders, many at the same moment.
    expect(await countRows(t.gateway.dataSource, "saved_payment_method")).toBe(1);
    expect(worker.output()).not.toMatch(/"level":(50|60)/);
  });
});
