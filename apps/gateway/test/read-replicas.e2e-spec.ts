import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { loadConfig } from "@honour/platform";
import {
  GraphQLTestClient,
  mariadbReplicaTestsRun,
  startReplicatedMariadb,
  type TestReplicatedMariadb,
} from "@honour/testing";
import { startGateway, type Gateway } from "../src/gateway";
import { createLogger } from "../src/observability/logger";
import { ADMIN, LOGIN, ME, TEST_SECRET } from "./support/test-gateway";

const USERS = /* GraphQL */ `
  query Users {
    users(first: 50) {
      nodes {
        email
        name
      }
    }
  }
`;

/**
 * A gateway with DATABASE_REPLICA_URLS on a real GTID replica (a primary and a replica mariadbd of
 * the test's own): the staff list is read from the replica, `me` and sign-in from the primary.
 */
(mariadbReplicaTestsRun() ? describe : describe.skip)("gateway with DATABASE_REPLICA_URLS", () => {
  let pair: TestReplicatedMariadb;
  let gateway: Gateway & { url: string };
  let dataDir: string;

  beforeAll(async () => {
    pair = await startReplicatedMariadb("honour_gateway_replica");
    dataDir = mkdtempSync(join(tmpdir(), "honour-gw-replica-"));
    const config = loadConfig({
      NODE_ENV: "test",
      HONOUR_DATA_DIR: dataDir,
      PORT: "0",
      HONOUR_SECRET: TEST_SECRET,
      HONOUR_ADMIN_EMAIL: ADMIN.email,
      HONOUR_ADMIN_PASSWORD: ADMIN.password,
      HONOUR_DEMO_DATA: "false",
      DATABASE_URL: pair.primaryUrl,
      DATABASE_REPLICA_URLS: pair.replicaUrl,
    });
    const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
    gateway = await startGateway(config, { logger: createLogger("silent", discard) });
    await pair.caughtUp();
  }, 180_000);
  afterAll(async () => {
    await gateway?.close();
    await pair?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("reads the staff list from the replica, and sign-in and `me` from the primary", async () => {
    // The admin's name differs on the replica alone: whoever shows it read the replica.
    const replica = await pair.connect("replica");
    try {
      await replica.query("UPDATE honour_gateway_replica.user SET name = 'Seen on the replica' WHERE email = ?", [
        ADMIN.email,
      ]);
    } finally {
      await replica.end();
    }
    const client = new GraphQLTestClient(gateway.url);
    await client.ok(LOGIN, { input: { email: ADMIN.email, password: ADMIN.password } });
    const me = await client.ok<{ me: { name: string | null } }>(ME);
    expect(me.me.name).not.toBe("Seen on the replica");

    // A new request (this client's sign-in was an earlier one): the list comes from the replica.
    const list = await client.ok<{ users: { nodes: { email: string; name: string | null }[] } }>(USERS);
    expect(list.users.nodes.find((u) => u.email === ADMIN.email)?.name).toBe("Seen on the replica");
    // The gateway's own queries (outside readFromReplica) still go to the primary.
    expect(await gateway.dataSource.query("SELECT @@server_id AS id")).toEqual([{ id: "1" }]);
  });
});
