import {
  createPlatform,
  loadConfig,
  ManualClock,
  silentLogger,
  SqlJobQueue,
  type PersonalDataContributor,
} from "@honour/platform";
import { openTestDataSource, type TestDataSource } from "@honour/testing";
import { createAppJobs, createAppServices, moduleDefinitions } from "../src";
import { createAppResolvers } from "../src/graphql";

describe("the one composition", () => {
  let db: TestDataSource;
  beforeAll(async () => {
    db = await openTestDataSource("sqlite", moduleDefinitions);
  });
  afterAll(() => db?.close());

  const compose = () => {
    const config = loadConfig({ NODE_ENV: "test", HONOUR_SECRET: "a-composition-test-secret-0123456789" });
    const clock = new ManualClock();
    const platform = createPlatform(config, db.dataSource, {
      clock,
      logger: silentLogger,
      jobs: new SqlJobQueue(db.dataSource, clock),
    });
    const services = createAppServices(platform);
    return { platform, services };
  };

  it("lists every module once, the platform first, and gives the database all their tables", () => {
    const names = moduleDefinitions.map((m) => m.name);
    expect(names[0]).toBe("platform");
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(["users", "orders", "consent", "stats", "privacy"]));
    const tables = new Set(db.dataSource.entityMetadatas.map((e) => e.tableName));
    for (const module of moduleDefinitions) {
      for (const entity of module.entities) {
        expect(tables.has(db.dataSource.getMetadata(entity).tableName)).toBe(true);
      }
    }
  });

  it("gives the worker every domain's jobs, each name once, and schedules only jobs that exist", () => {
    const { platform, services } = compose();
    const contributions = createAppJobs(platform, services);
    const jobs = contributions.flatMap((c) => c.jobs.map((j) => j.name));
    expect(new Set(jobs).size).toBe(jobs.length);
    for (const prefix of ["users.", "orders.", "consent.", "stats.", "privacy."]) {
      expect(jobs.some((name) => name.startsWith(prefix))).toBe(true);
    }
    for (const schedule of contributions.flatMap((c) => c.schedules)) expect(jobs).toContain(schedule.job);
  });

  it("registers a personal data contributor for every domain that holds personal data", () => {
    const { platform, services } = compose();
    expect(services.partnerKeys).toBe(services.orders.partners);
    expect(platform.personalData.names).toEqual(
      expect.arrayContaining(["account", "orders", "consent", "security", "privacy"]),
    );
  });

  it("registers every module's personal data contributor, in the order that erases dependants first", () => {
    const { platform, services } = compose();
    // The platform's own first (it erases last), then each domain as createAppServices builds it.
    expect(platform.personalData.names).toEqual([
      "mail",
      "account",
      "accountEmail",
      "orders",
      "consent",
      "pendingConsent",
      "security",
      "privacy",
    ]);
    for (const module of moduleDefinitions.filter((m) => m.name !== "platform")) {
      const domain = (services as unknown as Record<string, { personalData?: PersonalDataContributor }>)[module.name];
      expect({
        module: module.name,
        registered: !!domain?.personalData && platform.personalData.has(domain.personalData),
      }).toEqual({
        module: module.name,
        registered: true,
      });
    }
  });

  it("gives the gateway the resolvers of every domain", () => {
    const { services } = compose();
    const resolvers = createAppResolvers(services);
    expect(resolvers.length).toBeGreaterThanOrEqual(5);
    expect(new Set(resolvers.map((r) => r.constructor)).size).toBe(resolvers.length);
  });
});
