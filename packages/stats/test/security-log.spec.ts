import { ErrorCode, RequestContext, Role, SecurityEventKind, type Actor } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { SecurityEventEntity } from "../src/security/security-event.entity";
import { fullIpv6, startDnsServer, type DnsServer } from "./dns-server";
import { openStatsTestBed, system, userActor, type StatsTestBed } from "./stats-test-bed";

const USER_ID = "0196f0a0-0000-7000-8000-000000000001";
const PARTNER_ID = "0196f0a0-0000-7000-8000-000000000002";

describe.each(testDatabaseKinds())("the security log on %s", (kind) => {
  let bed: StatsTestBed;
  let dns: DnsServer;
  const LOOKUP_LIMIT_MS = 300;

  beforeAll(async () => {
    // node's own resolver (c-ares) asks a DNS server on this machine that the tests fill.
    dns = await startDnsServer();
    bed = await openStatsTestBed(kind, {
      dnsServers: [dns.address],
      hostResolver: undefined,
      hostnameLookupTimeoutMs: LOOKUP_LIMIT_MS,
    });
  });
  afterAll(async () => {
    await bed?.close();
    await dns?.close();
  });
  beforeEach(async () => {
    dns.zone = {};
    dns.questions.length = 0;
    await bed.reset();
  });

  /** A request from `ip`, as the gateway builds it. */
  const from = (ip: string, actor: Actor = { kind: "anonymous" }) =>
    new RequestContext(bed.db.dataSource, actor, bed.clock, bed.db.dataSource.manager, ip, "req-1");
  const security = () => bed.ctx(userActor(Role.SECURITY));
  const events = () => bed.db.dataSource.manager.find(SecurityEventEntity, { order: { id: "ASC" } });

  it("records a failed sign-in and a partner key's use through the platform's SecurityLog, with the request's IP", async () => {
    await bed.platform.securityLog.record(from("::ffff:203.0.113.9"), {
      kind: SecurityEventKind.LOGIN_FAILED,
      detail: "wrong password",
    });
    bed.clock.advance(1000);
    await bed.platform.securityLog.record(from("2001:db8::7"), {
      kind: SecurityEventKind.PARTNER_KEY_USED,
      partnerId: PARTNER_ID,
      detail: "key hpk_…abcd",
    });
    bed.clock.advance(1000);
    await bed.platform.securityLog.record(from("203.0.113.10"), {
      kind: SecurityEventKind.LOGIN_SUCCEEDED,
      ip: "198.51.100.1",
      userId: USER_ID,
    });

    expect((await events()).map(({ id: _id, ...e }) => e)).toEqual([
      {
        at: new Date("2026-11-25T12:00:00.000Z"),
        kind: "LOGIN_FAILED",
        ip: "203.0.113.9",
        hostname: null,
        userId: null,
        partnerId: null,
        detail: "wrong password",
      },
      {
        at: new Date("2026-11-25T12:00:01.000Z"),
        kind: "PARTNER_KEY_USED",
        ip: "2001:db8::7",
        hostname: null,
        userId: null,
        partnerId: PARTNER_ID,
        detail: "key hpk_…abcd",
      },
      {
        at: new Date("2026-11-25T12:00:02.000Z"),
        kind: "LOGIN_SUCCEEDED",
        ip: "198.51.100.1",
        hostname: null,
        userId: USER_ID,
        partnerId: null,
        detail: null,
      },
    ]);
  });

  it("rolls back with the caller's transaction, and commits with it", async () => {
    await expect(
      bed.ctx().transaction(async (tx) => {
        await bed.platform.securityLog.record(tx, { kind: SecurityEventKind.STAFF_ACTION, detail: "undone" });
        throw new Error("the staff action failed");
      }),
    ).rejects.toThrow("the staff action failed");
    await bed
      .ctx()
      .transaction((tx) =>
        bed.platform.securityLog.record(tx, { kind: SecurityEventKind.STAFF_ACTION, detail: "done" }),
      );

    expect((await events()).map((e) => e.detail)).toEqual(["done"]);
  });

  it("refuses a kind it does not know and ids that cannot be ids", async () => {
    await expect(
      bed.platform.securityLog.record(bed.ctx(), { kind: "NOT_A_KIND" as SecurityEventKind }),
    ).rejects.toThrow();
    await expect(
      bed.platform.securityLog.record(bed.ctx(), { kind: SecurityEventKind.STAFF_ACTION, userId: "x".repeat(37) }),
    ).rejects.toThrow("userId");
  });

  it("cuts a long detail", async () => {
    await bed.platform.securityLog.record(bed.ctx(), {
      kind: SecurityEventKind.STAFF_ACTION,
      detail: "d".repeat(5000),
    });

    expect((await events())[0]!.detail).toHaveLength(1000);
  });

  it("keeps only forward-confirmed host names, the IP standing in otherwise, each within the time limit", async () => {
    dns.zone = {
      ptr: {
        "203.0.113.9": ["Host-9.Example.NET"], // resolves back: kept
        "203.0.113.11": ["mail.google.com"], // a PTR anyone could publish, resolving elsewhere
        "203.0.113.12": ["liar.example", "<script>", "real-12.example.org"], // the first that resolves back
        "203.0.113.13": ["slow-forward.example"], // its A question is never answered
        [fullIpv6("2001:db8::7")]: ["v6.example.net"],
        [fullIpv6("2001:db8::8")]: ["v4-only.example.net"], // has an A record, no AAAA
      },
      a: {
        "host-9.example.net": ["203.0.113.9"],
        "mail.google.com": ["142.250.0.1"],
        "liar.example": ["198.51.100.1"],
        "real-12.example.org": ["192.0.2.50", "203.0.113.12"],
        "v4-only.example.net": ["203.0.113.8"],
      },
      aaaa: { "v6.example.net": ["2001:0db8:0000:0000:0000:0000:0000:0007"] },
      silent: ["203.0.113.10", "slow-forward.example"], // 203.0.113.10: its PTR question never answered
    };
    const ips = [
      "203.0.113.9",
      "203.0.113.9",
      "203.0.113.10",
      "203.0.113.11",
      "203.0.113.12",
      "203.0.113.13",
      "203.0.113.14", // no PTR record at all: NXDOMAIN
      "2001:db8::7",
      "2001:db8::8",
    ];
    for (const ip of ips) {
      await bed.platform.securityLog.record(from(ip), { kind: SecurityEventKind.LOGIN_FAILED });
      bed.clock.advance(1); // ids are time-ordered: keep the order of the list
    }
    await bed.platform.securityLog.record(bed.ctx(), { kind: SecurityEventKind.STAFF_ACTION }); // no IP

    const started = Date.now();
    expect(await bed.services.securityEvents.resolveHostnames(system(bed))).toBe(8);

    // Eight lookups, eight at a time: the two that never answer cost one time limit, not two.
    expect(Date.now() - started).toBeLessThan(LOOKUP_LIMIT_MS * 2 + 500);
    expect((await events()).map((e) => [e.ip, e.hostname])).toEqual([
      ["203.0.113.9", "host-9.example.net"],
      ["203.0.113.9", "host-9.example.net"],
      ["203.0.113.10", "203.0.113.10"],
      ["203.0.113.11", "203.0.113.11"],
      ["203.0.113.12", "real-12.example.org"],
      ["203.0.113.13", "203.0.113.13"],
      ["203.0.113.14", "203.0.113.14"],
      ["2001:db8::7", "v6.example.net"],
      ["2001:db8::8", "2001:db8::8"],
      [null, null],
    ]);
    // The questions really went through DNS, forwards too; the name that is no host name was not asked.
    expect(dns.questions).toEqual(
      expect.arrayContaining([
        "PTR 9.113.0.203.in-addr.arpa",
        "A host-9.example.net",
        "A mail.google.com",
        "A liar.example",
        "A real-12.example.org",
        "AAAA v6.example.net",
        "AAAA v4-only.example.net",
      ]),
    );
    expect(dns.questions.filter((q) => q.includes("script"))).toEqual([]);
    // Nothing left to resolve.
    expect(await bed.services.securityEvents.resolveHostnames(system(bed))).toBe(0);
  });

  it("works through a backlog larger than one batch in one run", async () => {
    for (let i = 0; i < 25; i++) {
      await bed.platform.securityLog.record(from(`198.51.100.${i}`), { kind: SecurityEventKind.RATE_LIMITED });
    }

    expect(await bed.services.securityEvents.resolveHostnames(system(bed), { batch: 10 })).toBe(25);

    expect((await events()).filter((e) => e.hostname === null)).toEqual([]);
  });

  it("lists events newest first for SECURITY and ADMIN, by kind and time, a page at a time", async () => {
    for (let i = 0; i < 5; i++) {
      await bed.platform.securityLog.record(from(`192.0.2.${i}`), {
        kind: i % 2 === 0 ? SecurityEventKind.LOGIN_FAILED : SecurityEventKind.RATE_LIMITED,
      });
      bed.clock.advance(60_000);
    }

    const failed = await bed.services.securityEvents.list(security(), { kind: SecurityEventKind.LOGIN_FAILED });
    expect(failed.nodes.map((e) => e.ip)).toEqual(["192.0.2.4", "192.0.2.2", "192.0.2.0"]);

    const window = await bed.services.securityEvents.list(bed.ctx(userActor(Role.ADMIN)), {
      from: new Date("2026-11-25T12:01:00.000Z"),
      to: new Date("2026-11-25T12:03:00.000Z"),
    });
    expect(window.nodes.map((e) => e.ip)).toEqual(["192.0.2.2", "192.0.2.1"]);

    const first = await bed.services.securityEvents.list(security(), { first: 2 });
    const second = await bed.services.securityEvents.list(security(), { first: 2, after: first.pageInfo.endCursor });
    expect(first.nodes.map((e) => e.ip)).toEqual(["192.0.2.4", "192.0.2.3"]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(second.nodes.map((e) => e.ip)).toEqual(["192.0.2.2", "192.0.2.1"]);
  });

  it.each([
    ["MARKETING", userActor(Role.MARKETING), ErrorCode.FORBIDDEN],
    ["a customer", userActor(Role.CUSTOMER), ErrorCode.FORBIDDEN],
    ["SUPPORT", userActor(Role.SUPPORT), ErrorCode.FORBIDDEN],
    ["a partner", { kind: "partner", partnerId: PARTNER_ID, apiKeyId: "k" } as Actor, ErrorCode.FORBIDDEN],
    ["nobody", { kind: "anonymous" } as Actor, ErrorCode.UNAUTHENTICATED],
  ])("refuses the log to %s, in the service too", async (_name, actor, code) => {
    await expect(bed.services.securityEvents.list(bed.ctx(actor), {})).rejects.toMatchObject({ code });
  });

  it("deletes events older than the retention period (90 days by default)", async () => {
    bed.clock.set("2026-08-01T12:00:00.000Z");
    await bed.platform.securityLog.record(from("192.0.2.1"), { kind: SecurityEventKind.LOGIN_FAILED });
    bed.clock.set("2026-08-28T12:00:00.000Z");
    await bed.platform.securityLog.record(from("192.0.2.2"), { kind: SecurityEventKind.LOGIN_FAILED });
    bed.clock.set("2026-10-30T12:00:00.001Z"); // 90 days and a millisecond after the first

    expect(await bed.services.securityEvents.purge(system(bed))).toBe(1);

    expect((await events()).map((e) => e.ip)).toEqual(["192.0.2.2"]);
  });
});
