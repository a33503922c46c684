import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { loadConfig, type HonourConfig } from "@honour/platform";
import { GraphQLTestClient, createTestDatabase, type TestDatabase, type TestDatabaseKind } from "@honour/testing";
import { startGateway, type Gateway, type HttpTimeouts } from "../../src/gateway";
import { createLogger } from "../../src/observability/logger";
import type { QueryLimits } from "../../src/graphql/query-limits";

export const TEST_SECRET = "test-secret-0123456789-abcdefghijklmnop";
export const ADMIN = { email: "admin@honour.test", password: "admin-password-123" };

export interface TestGateway {
  gateway: Gateway;
  url: string;
  config: HonourConfig;
  database: TestDatabase;
  /** Every log line the gateway wrote, as text. */
  logs: string[];
  client(headers?: Record<string, string>): GraphQLTestClient;
  close(): Promise<void>;
}

/**
 * A real gateway on a random port over a throwaway database, with an ADMIN account and its log
 * captured, as the end-to-end tests need it.
 */
export async function startTestGateway(
  kind: TestDatabaseKind,
  env: Record<string, string> = {},
  queryLimits?: QueryLimits,
  httpTimeouts?: HttpTimeouts,
): Promise<TestGateway> {
  const database = await createTestDatabase(kind);
  const dataDir = mkdtempSync(join(tmpdir(), "honour-gw-"));
  const config: HonourConfig = {
    ...loadConfig({
      NODE_ENV: "test",
      HONOUR_DATA_DIR: dataDir,
      PORT: "0",
      HONOUR_SECRET: TEST_SECRET,
      HONOUR_ADMIN_EMAIL: ADMIN.email,
      HONOUR_ADMIN_PASSWORD: ADMIN.password,
      HONOUR_DEMO_DATA: "false",
      LOG_LEVEL: "trace",
      // The tests call as partners with their own documents and send more than a client IP may:
      // the integrations' tests turn these back on.
      PARTNER_TRUSTED_DOCUMENTS_ONLY: "false",
      RATE_LIMIT_SITE_OPERATIONS: "0",
      RATE_LIMIT_SITE_COST: "0",
      RATE_LIMIT_PARTNER_OPERATIONS: "0",
      RATE_LIMIT_PARTNER_COST: "0",
      PARTNER_KEY_REJECTIONS_PER_IP: "0",
      ...env,
    }),
    database: database.config,
  };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  try {
    const gateway = await startGateway(config, {
      logger: createLogger(config.logLevel, sink),
      queryLimits,
      httpTimeouts,
    });
    return {
      gateway,
      url: gateway.url,
      config,
      database,
      logs,
      client: (headers) => new GraphQLTestClient(gateway.url, headers),
      close: async () => {
        await gateway.close();
        await database.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

export const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      user {
        id
        email
        name
        role
      }
    }
  }
`;

export const LOGIN = /* GraphQL */ `
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      user {
        id
        email
        role
      }
    }
  }
`;

export const ME = /* GraphQL */ `
  query Me {
    me {
      id
      email
      name
      role
    }
  }
`;

let counter = 0;
/** A unique, valid registration input. */
export function newRegistration(overrides: Record<string, unknown> = {}) {
  counter += 1;
  return {
    email: `person${counter}.${Date.now()}@example.test`,
    password: "correct horse battery",
    name: `Person ${counter}`,
    ...overrides,
  };
}

/** A client signed in as a new customer. */
export async function signedInCustomer(t: TestGateway) {
  const client = t.client();
  const input = newRegistration();
  const data = await client.ok<{ register: { user: { id: string } } }>(REGISTER, { input });
  return { client, input, userId: data.register.user.id };
}

/** A client signed in as the ADMIN account the config creates. */
export async function signedInAdmin(t: TestGateway) {
  const client = t.client();
  await client.ok(LOGIN, { input: ADMIN });
  return client;
}
