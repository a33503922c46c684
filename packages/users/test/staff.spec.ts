import { ErrorCode, Role } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { SessionEntity, UserEntity } from "../src";
import { failure, openUsersTestBed, PASSWORD, type UsersTestBed } from "./users-test-bed";

describe.each(testDatabaseKinds())("staff operations on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  describe("list", () => {
    beforeEach(async () => {
      for (const [email, name] of [
        ["ada@analytical.example", "Ada Lovelace"],
        ["charles@analytical.example", "Charles Babbage"],
        ["grace@navy.example", "Grace Hopper"],
        ["alan@bletchley.example", "Alan Turing"],
        ["percent@odd.example", "100% Sure"],
      ]) {
        bed.clock.advance(1000);
        await bed.signUp({ email, name });
      }
    });

    it("finds accounts by part of the email or the name, ignoring case", async () => {
      const emails = async (search: string) =>
        (await bed.services.users.list(bed.ctx(), { search })).nodes.map((u) => u.email);

      expect(await emails("ANALYTICAL")).toEqual(["charles@analytical.example", "ada@analytical.example"]);
      expect(await emails("hopper")).toEqual(["grace@navy.example"]);
      expect(await emails("  turing ")).toEqual(["alan@bletchley.example"]);
      expect(await emails("nobody")).toEqual([]);
    });

    it("treats % and _ in the search as plain characters", async () => {
      const found = await bed.services.users.list(bed.ctx(), { search: "%" });
      const none = await bed.services.users.list(bed.ctx(), { search: "a_a" });

      expect(found.nodes.map((u) => u.name)).toEqual(["100% Sure"]);
      expect(none.nodes).toEqual([]);
    });

    it("pages through every account once, newest first", async () => {
      const first = await bed.services.users.list(bed.ctx(), { first: 2 });
      const second = await bed.services.users.list(bed.ctx(), { first: 2, after: first.pageInfo.endCursor });
      const third = await bed.services.users.list(bed.ctx(), { first: 2, after: second.pageInfo.endCursor });

      expect([first, second, third].map((p) => p.nodes.map((u) => u.name))).toEqual([
        ["100% Sure", "Alan Turing"],
        ["Grace Hopper", "Charles Babbage"],
        ["Ada Lovelace"],
      ]);
      expect([first, second, third].map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, false]);
      expect(first.nodes[0]).not.toHaveProperty("passwordHash");
    });

    it("pages through search results", async () => {
      const first = await bed.services.users.list(bed.ctx(), { first: 1, search: "analytical" });
      const second = await bed.services.users.list(bed.ctx(), {
        first: 1,
        search: "analytical",
        after: first.pageInfo.endCursor,
      });

      expect(first.nodes.map((u) => u.name)).toEqual(["Charles Babbage"]);
      expect(second.nodes.map((u) => u.name)).toEqual(["Ada Lovelace"]);
      expect(second.pageInfo.hasNextPage).toBe(false);
    });

    it("refuses a search longer than 100 characters with BAD_USER_INPUT", async () => {
      const error = await failure(bed.services.users.list(bed.ctx(), { search: "x".repeat(101) }));

      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    });
  });

  describe("setRole", () => {
    it("gives an account a role", async () => {
      const admin = await bed.signUp();
      const { user } = await bed.signUp();

      const updated = await bed.services.users.setRole(admin.ctx, user.id, Role.MARKETING);

      expect(updated.role).toBe(Role.MARKETING);
      expect((await bed.services.users.findById(bed.ctx(), user.id))?.role).toBe(Role.MARKETING);
    });

    it("refuses an unknown account with NOT_FOUND", async () => {
      const error = await failure(
        bed.services.users.setRole(bed.ctx(), "00000000-0000-7000-8000-000000000000", Role.ADMIN),
      );

      expect(error.code).toBe(ErrorCode.NOT_FOUND);
    });

    it("refuses to change the caller's own role with FORBIDDEN", async () => {
      const { ctx, user } = await bed.signUp();

      const error = await failure(bed.services.users.setRole(ctx, user.id, Role.ADMIN));

      expect(error.code).toBe(ErrorCode.FORBIDDEN);
    });

    it("refuses a value that is not a role with BAD_USER_INPUT", async () => {
      const { user } = await bed.signUp();

      const error = await failure(bed.services.users.setRole(bed.ctx(), user.id, "OWNER" as Role));

      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    });
  });

  describe("ensureAdmin", () => {
    it("creates the admin account, then leaves it alone on every later call", async () => {
      const first = await bed.services.users.ensureAdmin(bed.ctx(), "Root@Example.com", "the admin passphrase");
      const second = await bed.services.users.ensureAdmin(bed.ctx(), "root@example.com", "the admin passphrase");

      expect(first.outcome).toBe("created");
      expect(first.user).toMatchObject({ email: "root@example.com", role: Role.ADMIN });
      expect(second).toMatchObject({ outcome: "unchanged", user: { id: first.user.id } });
      expect(await bed.ctx().manager.count(UserEntity)).toBe(1);
      await expect(
        bed.services.users.signIn(bed.ctx(), "root@example.com", "the admin passphrase"),
      ).resolves.toBeDefined();
    });

    it("keeps the password an existing admin chose", async () => {
      await bed.services.users.ensureAdmin(bed.ctx(), "root@example.com", "the admin passphrase");
      const { session } = await bed.services.users.signIn(bed.ctx(), "root@example.com", "the admin passphrase");
      const ctx = await bed.as(session.token);
      await bed.services.users.changePassword(ctx, {
        currentPassword: "the admin passphrase",
        newPassword: "my own passphrase",
      });

      const again = await bed.services.users.ensureAdmin(bed.ctx(), "root@example.com", "the admin passphrase");

      expect(again.outcome).toBe("unchanged");
      await expect(
        bed.services.users.signIn(bed.ctx(), "root@example.com", "my own passphrase"),
      ).resolves.toBeDefined();
    });

    it("promotes an existing account, replaces its password and ends its sessions", async () => {
      const { user, token } = await bed.signUp({ email: "root@example.com" });

      const result = await bed.services.users.ensureAdmin(bed.ctx(), "root@example.com", "the admin passphrase");

      expect(result).toMatchObject({ outcome: "promoted", user: { id: user.id, role: Role.ADMIN } });
      expect(await bed.ctx().manager.countBy(SessionEntity, { userId: user.id })).toBe(0);
      expect((await bed.services.sessions.resolveActor(bed.ctx(), token)).kind).toBe("anonymous");
      expect((await failure(bed.services.users.signIn(bed.ctx(), "root@example.com", PASSWORD))).code).toBe(
        ErrorCode.UNAUTHENTICATED,
      );
      const signedIn = await bed.services.users.signIn(bed.ctx(), "root@example.com", "the admin passphrase");
      expect(signedIn.user.role).toBe(Role.ADMIN);
    });

    it("creates a new admin account when the old one was closed, since closing erased its email", async () => {
      const { user } = await bed.services.users.ensureAdmin(bed.ctx(), "root@example.com", "the admin passphrase");
      // The last administrator cannot be closed: another one takes over first.
      const deputy = await bed.signUp();
      await bed.ctx().manager.update(UserEntity, { id: deputy.user.id }, { role: Role.ADMIN });
      await bed.services.users.close(bed.ctx(), user.id);

      const result = await bed.services.users.ensureAdmin(bed.ctx(), "root@example.com", "the admin passphrase");

      expect(result.outcome).toBe("created");
      expect(result.user.id).not.toBe(user.id);
      await expect(
        bed.services.users.signIn(bed.ctx(), "root@example.com", "the admin passphrase"),
      ).resolves.toBeDefined();
    });

    it("reopens an admin account marked closed that still has its email", async () => {
      const { user } = await bed.services.users.ensureAdmin(bed.ctx(), "root@example.com", "the admin passphrase");
      await bed.ctx().manager.update(UserEntity, { id: user.id }, { closedAt: bed.clock.now() });

      const result = await bed.services.users.ensureAdmin(bed.ctx(), "root@example.com", "the admin passphrase");

      expect(result).toMatchObject({ outcome: "promoted", user: { id: user.id } });
      await expect(
        bed.services.users.signIn(bed.ctx(), "root@example.com", "the admin passphrase"),
      ).resolves.toBeDefined();
    });

    it("refuses a weak admin password with BAD_USER_INPUT", async () => {
      const error = await failure(bed.services.users.ensureAdmin(bed.ctx(), "root@example.com", "short"));

      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(await bed.ctx().manager.count(UserEntity)).toBe(0);
    });
  });

  describe("close", () => {
    it("closes an account once and refuses an unknown one with NOT_FOUND", async () => {
      const { user } = await bed.signUp();
      const closed = await bed.services.users.close(bed.ctx(), user.id);
      bed.clock.advance(1000);

      const again = await bed.services.users.close(bed.ctx(), user.id);

      expect(again.closedAt?.getTime()).toBe(closed.closedAt?.getTime());
      const error = await failure(bed.services.users.close(bed.ctx(), "00000000-0000-7000-8000-000000000000"));
      expect(error.code).toBe(ErrorCode.NOT_FOUND);
    });

    it("tells other domains once, inside the closing transaction", async () => {
      const { user } = await bed.signUp();
      const seen: unknown[] = [];
      const unsubscribe = bed.platform.events.subscribe("users.accountClosed", async (tx, event) => {
        expect(tx.inTransaction).toBe(true);
        seen.push(event);
      });
      try {
        await bed.services.users.close(bed.ctx(), user.id);
        await bed.services.users.close(bed.ctx(), user.id);
      } finally {
        unsubscribe();
      }
      expect(seen).toEqual([{ userId: user.id }]);
    });
  });
});
