import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection } from "mysql2/promise";
import { describeServer, probeDatabaseServer } from "@honour/platform";
import { GraphQLTestClient } from "@honour/testing";
import { addProducts, partnerWithKey } from "./support/orders-fixtures";
import { MY_REQUESTS, PASSWORD, personWithData } from "./support/privacy-fixtures";
import { ADMIN, LOGIN, TEST_SECRET, type TestGateway } from "./support/test-gateway";

const GATEWAY_MAIN = join(__dirname, "..", "dist", "main.js");
const WORKER_MAIN = join(__dirname, "..", "..", "worker", "dist", "main.js");

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(main: string, env: Record<string, string>): Proc {
  let output = "";
  const child = spawn(process.execPath, [main], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: "pipe" });
  child.stdout!.on("data", (d) => (output += String(d)));
  child.stderr!.on("data", (d) => (output += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const serverUrl = process.env.TEST_DATABASE_URL;
const onMysql = serverUrl ? describe : describe.skip;

/**
 * The path a new user takes: `DATABASE_URL=mysql://…` exactly as the README writes it, on whatever
 * server answers there (MariaDB on these machines), through the built gateway and worker. Before
 * the server decided the dialect, placeOrder answered INTERNAL_SERVER_ERROR here (`FOR SHARE`).
 */
onMysql("a user's mysql:// DATABASE_URL, through the built gateway and worker", () => {
  const name = `honour_url_${randomBytes(5).toString("hex")}`;
  const base = new URL(serverUrl ?? "mysql://root@127.0.0.1:3306/test");
  const databaseUrl = `mysql://${base.username}${base.password ? `:${base.password}` : ""}@${base.host}/${name}`;
  const admin = () =>
    createConnection({
      host: base.hostname,
      port: Number(base.port || 3306),
      user: decodeURIComponent(base.username),
      password: decodeURIComponent(base.password),
    });
  let dataDir: string;
  let gateway: Proc;
  let worker: Proc;
  let url: string;

  beforeAll(async () => {
    const conn = await admin();
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await conn.end();
    dataDir = mkdtempSync(join(tmpdir(), "honour-url-"));
    const env = { DATABASE_URL: databaseUrl, HONOUR_SECRET: TEST_SECRET, HONOUR_DATA_DIR: dataDir, LOG_LEVEL: "info" };
    gateway = start(GATEWAY_MAIN, {
      ...env,
      PORT: "0",
      HONOUR_ADMIN_EMAIL: ADMIN.email,
      HONOUR_ADMIN_PASSWORD: ADMIN.password,
      HONOUR_DEMO_DATA: "false",
      // The partner fixture reads the contact with a document sent as text; partners on
      // @honour/client send manifest ids (trusted-documents.e2e-spec covers that default).
      PARTNER_TRUSTED_DOCUMENTS_ONLY: "false",
    });
    url = await until(
      "the gateway's banner",
      () => /GraphQL at (http:\/\/[^/\s]+)\/graphql/.exec(gateway.output())?.[1],
    );
    worker = start(WORKER_MAIN, { ...env, WORKER_POLL_MS: "50" });
    await until("the worker", () => (worker.output().includes("worker started") ? true : undefined));
  }, 60_000);

  afterAll(async () => {
    for (const proc of [worker, gateway]) {
      if (proc && proc.child.exitCode === null) {
        proc.child.kill("SIGTERM");
        await proc.exited;
      }
    }
    const conn = await admin();
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await conn.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("tells which server it found, and speaks its dialect", async () => {
    const server = await probeDatabaseServer(serverUrl!);
    expect(gateway.output()).toContain(`database: ${describeServer(server)}`);
    expect(worker.output()).toContain(describeServer(server));
    expect(gateway.output()).toContain(`on ${describeServer(server)}`);
  });

  it("takes an order, builds its buyer's data export, and closes the account", async () => {
    const t = { client: (headers?: Record<string, string>) => new GraphQLTestClient(url, headers) } as TestGateway;
    const staff = t.client();
    await staff.ok(LOGIN, { input: ADMIN });
    const partner = await partnerWithKey(t, staff);
    const skus = await addProducts(staff, [{ kind: "LICENCE", priceMinor: 9_900 }]);
    // Registers, orders with saved billing, the partner reads the contact (a disclosure).
    const person = await personWithData(t, staff, partner, skus, "Url");

    const asked = await person.client.ok<{ requestDataExport: { id: string } }>(
      `mutation { requestDataExport { id } }`,
    );
    const link = await until("the export built by the worker", async () => {
      const { myPrivacyRequests } = await person.client.ok<{
        myPrivacyRequests: { id: string; downloadUrl: string | null }[];
      }>(MY_REQUESTS);
      return myPrivacyRequests.find((r) => r.id === asked.requestDataExport.id)?.downloadUrl ?? undefined;
    });
    const download = await person.client.fetch(new URL(link).pathname);
    expect(download.status).toBe(200);
    const copy = JSON.stringify(await download.json());
    expect(copy).toContain(person.order.number);
    expect(copy).toContain(person.email);

    await person.client.ok(`mutation ($p: String!) { closeAccount(password: $p) }`, { p: PASSWORD });
    const { partnerErasureNotices } = await partner.client.ok<{ partnerErasureNotices: { orderNumbers: string[] }[] }>(
      `{ partnerErasureNotices { orderNumbers } }`,
    );
    expect(partnerErasureNotices.flatMap((n) => n.orderNumbers)).toContain(person.order.number);
    expect(gateway.output()).not.toMatch(/INTERNAL_SERVER_ERROR|syntax to use near/);
    expect(worker.output()).not.toMatch(/syntax to use near/);
  }, 60_000);
});
