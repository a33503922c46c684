import { ANONYMOUS, AuditAction, Role, type Actor } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { SESSION_COOKIE } from "@honour/users";
import { PrivacyErrorCode } from "../src";
import { openPrivacyTestBed, PASSWORD, START, type PrivacyTestBed } from "./privacy-test-bed";

const REQUEST_FIELDS = "id type status receivedAt dueAt daysLeft downloadUrl";

const REQUEST_EXPORT = `mutation { requestDataExport { ${REQUEST_FIELDS} } }`;
const MY_REQUESTS = `query { myPrivacyRequests { ${REQUEST_FIELDS} notes } }`;
const CLOSE = `mutation Close($password: String!) { closeAccount(password: $password) }`;
const LIST = `query List($status: PrivacyRequestStatus, $first: Int, $after: String) {
  privacyRequests(status: $status, first: $first, after: $after) {
    nodes { ${REQUEST_FIELDS} subjectId requesterContact notes }
    pageInfo { hasNextPage endCursor }
  }
}`;
const RECORD = `mutation Record($input: RecordPrivacyRequestInput!) { recordPrivacyRequest(input: $input) { ${REQUEST_FIELDS} } }`;
const EXTEND = `mutation Extend($id: ID!, $reason: String!, $months: Int) {
  extendPrivacyRequest(id: $id, reason: $reason, months: $months) { ${REQUEST_FIELDS} extendedByMonths }
}`;
const COMPLETE = `mutation Complete($id: ID!) { completePrivacyRequest(id: $id) { ${REQUEST_FIELDS} } }`;
const REJECT = `mutation Reject($id: ID!, $reason: String!) { rejectPrivacyRequest(id: $id, reason: $reason) { ${REQUEST_FIELDS} } }`;
const AUDIT = `query Audit($subjectId: String, $actorId: String, $from: DateTime, $to: DateTime, $first: Int) {
  auditLog(subjectId: $subjectId, actorId: $actorId, from: $from, to: $to, first: $first) {
    nodes { id actorId action subjectId at }
  }
}`;

describe.each(testDatabaseKinds())("privacy GraphQL API on %s", (kind) => {
  let bed: PrivacyTestBed;
  beforeAll(async () => {
    bed = await openPrivacyTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.clock.set(START));

  it("states who may call each operation", async () => {
    const customer = (await bed.signUp()).actor;
    const marketing = await bed.staff(Role.MARKETING);
    const support = await bed.staff(Role.SUPPORT);
    const partner: Actor = { kind: "partner", partnerId: "p1", apiKeyId: "k1" };
    const id = "00000000-0000-7000-8000-000000000000";
    const cases: [string, Record<string, unknown>, Actor, string][] = [
      [REQUEST_EXPORT, {}, ANONYMOUS, "UNAUTHENTICATED"],
      [MY_REQUESTS, {}, ANONYMOUS, "UNAUTHENTICATED"],
      [CLOSE, { password: PASSWORD }, ANONYMOUS, "UNAUTHENTICATED"],
      [REQUEST_EXPORT, {}, partner, "FORBIDDEN"],
      [LIST, {}, customer, "FORBIDDEN"],
      [LIST, {}, marketing, "FORBIDDEN"],
      [RECORD, { input: { type: "ACCESS", channel: "LETTER", requesterContact: "x" } }, customer, "FORBIDDEN"],
      [COMPLETE, { id }, marketing, "FORBIDDEN"],
      [EXTEND, { id, reason: "r" }, customer, "FORBIDDEN"],
      [REJECT, { id, reason: "r" }, customer, "FORBIDDEN"],
      [AUDIT, {}, customer, "FORBIDDEN"],
      [AUDIT, {}, marketing, "FORBIDDEN"],
      [AUDIT, {}, support, "FORBIDDEN"],
      [AUDIT, {}, ANONYMOUS, "UNAUTHENTICATED"],
    ];
    for (const [source, variables, actor, code] of cases) {
      const result = await bed.call(source, variables, actor);
      expect({ source, actor: actor.kind, codes: result.codes }).toEqual({ source, actor: actor.kind, codes: [code] });
    }
  });

  it("serves the contract's PrivacyRequest to its subject, without staff notes", async () => {
    const { actor, user } = await bed.signUp();
    const support = await bed.staff(Role.SUPPORT);
    const recorded = await bed.call(
      RECORD,
      {
        input: { type: "RECTIFICATION", channel: "TELEPHONE", subjectId: user.id, notes: "Called about the address." },
      },
      support,
    );
    expect(recorded.codes).toEqual([]);
    const asked = await bed.call(REQUEST_EXPORT, {}, actor);
    expect(asked.data!.requestDataExport).toEqual({
      id: expect.any(String),
      type: "ACCESS",
      status: "IN_PROGRESS",
      receivedAt: START,
      dueAt: "2027-02-28T10:00:00.000Z",
      daysLeft: 28,
      downloadUrl: null,
    });
    await bed.runJobs();
    const mine = (await bed.call(MY_REQUESTS, {}, actor)).data!.myPrivacyRequests as Record<string, unknown>[];
    expect(mine).toHaveLength(2);
    const access = mine.find((r) => r.type === "ACCESS")!;
    expect(access).toMatchObject({
      status: "COMPLETED",
      daysLeft: null,
      downloadUrl: expect.stringMatching(/\/privacy\/exports\//),
    });
    expect(mine.find((r) => r.type === "RECTIFICATION")).toMatchObject({ notes: null, downloadUrl: null });

    const listed = await bed.call(LIST, { status: "RECEIVED", first: 50 }, support);
    const nodes = (listed.data!.privacyRequests as { nodes: Record<string, unknown>[] }).nodes;
    expect(nodes.find((r) => r.subjectId === user.id)).toMatchObject({
      notes: "Called about the address.",
      downloadUrl: null,
    });
  });

  it("extends, refuses a fourth month with a coded error, completes and rejects", async () => {
    const support = await bed.staff(Role.SUPPORT);
    const recorded = await bed.call(
      RECORD,
      {
        input: {
          type: "OBJECTION",
          channel: "LETTER",
          requesterContact: "J. Smith, 2 Low Road",
          receivedAt: "2027-01-15T09:00:00Z",
        },
      },
      support,
    );
    const id = (recorded.data!.recordPrivacyRequest as { id: string; dueAt: string }).id;
    expect(recorded.data!.recordPrivacyRequest).toMatchObject({ dueAt: "2027-02-15T09:00:00.000Z", daysLeft: 15 });
    const extended = await bed.call(EXTEND, { id, reason: "Complex request.", months: 2 }, support);
    expect(extended.data!.extendPrivacyRequest).toMatchObject({
      extendedByMonths: 2,
      dueAt: "2027-04-15T08:00:00.000Z",
    });
    const beyond = await bed.call(EXTEND, { id, reason: "More time." }, support);
    expect(beyond.codes).toEqual(["BAD_USER_INPUT"]);
    expect(beyond.reasons).toEqual([PrivacyErrorCode.EXTENSION_LIMIT_EXCEEDED]);
    const tooMany = await bed.call(EXTEND, { id, reason: "x", months: 3 }, support);
    expect(tooMany.data).toBeNull();
    expect(tooMany.codes).toHaveLength(1);

    const completed = await bed.call(COMPLETE, { id }, support);
    expect(completed.reasons).toEqual([PrivacyErrorCode.SUBJECT_REQUIRED]);
    const rejected = await bed.call(REJECT, { id, reason: "No data held about the requester." }, support);
    expect(rejected.data!.rejectPrivacyRequest).toMatchObject({ status: "REJECTED", daysLeft: null });
    expect((await bed.call(REJECT, { id, reason: "again" }, support)).codes).toEqual(["CONFLICT"]);
  });

  it("closes the account with the password and clears the session cookie", async () => {
    const { actor, user } = await bed.signUp();
    const wrong = await bed.call(CLOSE, { password: "not it at all" }, actor);
    expect(wrong.codes).toEqual(["UNAUTHENTICATED"]);
    expect(wrong.clearedCookies).toEqual([]);
    const closed = await bed.call(CLOSE, { password: PASSWORD }, actor);
    expect(closed.data).toEqual({ closeAccount: true });
    expect(closed.clearedCookies).toEqual([SESSION_COOKIE]);

    const admin = await bed.staff(Role.ADMIN);
    const log = await bed.call(AUDIT, { subjectId: user.id, first: 100 }, admin);
    const actions = (log.data!.auditLog as { nodes: { action: string; actorId: string }[] }).nodes.map((n) => n.action);
    expect(actions).toEqual(expect.arrayContaining([AuditAction.ACCOUNT_CLOSED, AuditAction.PRIVACY_REQUEST_RECORDED]));
    const byActor = await bed.call(AUDIT, { actorId: user.id, first: 100 }, admin);
    const nodes = (byActor.data!.auditLog as { nodes: { actorId: string }[] }).nodes;
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes.every((n) => n.actorId === user.id)).toBe(true);

    // The security team reads it too, within a time window; support does not.
    const security = await bed.staff(Role.SECURITY);
    const at = (r: { data?: unknown }) => (r.data as { auditLog: { nodes: { at: string }[] } }).auditLog.nodes;
    const all = at(await bed.call(AUDIT, { subjectId: user.id, first: 100 }, security));
    expect(all.length).toBe(actions.length);
    const latest = all[0]!.at;
    const fromLatest = at(await bed.call(AUDIT, { subjectId: user.id, from: latest, first: 100 }, security));
    expect(fromLatest.length).toBeGreaterThan(0);
    expect(fromLatest.every((n) => n.at >= latest)).toBe(true);
    const beforeLatest = at(await bed.call(AUDIT, { subjectId: user.id, to: latest, first: 100 }, security));
    expect(beforeLatest.every((n) => n.at < latest)).toBe(true);
    expect(fromLatest.length + beforeLatest.length).toBe(all.length);
    const support = await bed.staff(Role.SUPPORT);
    expect((await bed.call(AUDIT, { subjectId: user.id }, support)).codes).toEqual(["FORBIDDEN"]);
  });
});
