import { Role } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { ArticleEntity, seedDemoData, UserEntity } from "../src";
import { DEMO_PASSWORD } from "../src/demo/demo-data";
import { openUsersTestBed, type UsersTestBed } from "./users-test-bed";

describe.each(testDatabaseKinds())("demo data on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  it("seeds a customer, one account per staff role and public and premium articles into an empty database", async () => {
    const credentials = await seedDemoData(bed.ctx(), bed.services);

    expect(credentials?.map((c) => c.role).sort()).toEqual(
      [Role.ADMIN, Role.CUSTOMER, Role.MARKETING, Role.SECURITY, Role.SUPPORT].sort(),
    );
    expect(credentials?.every((c) => c.password === DEMO_PASSWORD)).toBe(true);
    for (const { email, password, role } of credentials!) {
      const { user } = await bed.services.users.signIn(bed.ctx(), email, password);
      expect(user.role).toBe(role);
    }
    const articles = await bed.ctx().manager.find(ArticleEntity);
    expect(articles.some((a) => a.premium)).toBe(true);
    expect(articles.some((a) => !a.premium)).toBe(true);
  });

  it("seeds only once", async () => {
    await seedDemoData(bed.ctx(), bed.services);
    const users = await bed.ctx().manager.count(UserEntity);
    const articles = await bed.ctx().manager.count(ArticleEntity);

    expect(await seedDemoData(bed.ctx(), bed.services)).toBeNull();

    expect(await bed.ctx().manager.count(UserEntity)).toBe(users);
    expect(await bed.ctx().manager.count(ArticleEntity)).toBe(articles);
  });

  it("does nothing when the database already has an account", async () => {
    await bed.services.users.ensureAdmin(bed.ctx(), "root@example.com", "the admin passphrase");

    expect(await seedDemoData(bed.ctx(), bed.services)).toBeNull();

    expect(await bed.ctx().manager.count(UserEntity)).toBe(1);
    expect(await bed.ctx().manager.count(ArticleEntity)).toBe(0);
  });
});
