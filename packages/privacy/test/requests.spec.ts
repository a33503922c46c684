import {
  AuditAction,
  AuditEntryEntity,
  Channel,
  enqueueTransactionalMail,
  ErrorCode,
  JobEntity,
  JobStatus,
  Role,
  Topic,
  TRANSACTIONAL_MAIL_JOB,
} from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { SessionEntity, UserEntity } from "@honour/users";
import {
  DataExportEntity,
  PRIVACY_JOBS,
  PrivacyErrorCode,
  PrivacyRequestChannel,
  PrivacyRequestStatus,
  PrivacyRequestType,
} from "../src";
import { DataExportPartEntity } from "../src/export/data-export.entity";
import { EXPORT_FORMAT } from "../src/export/data-export.service";
import { PrivacyRequestEntity, PrivacyRequestOrder } from "../src/request/privacy-request.entity";
import { failure, openPrivacyTestBed, PASSWORD, START, type PrivacyTestBed } from "./privacy-test-bed";

const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(testDatabaseKinds())("privacy requests on %s", (kind) => {
  let bed: PrivacyTestBed;
  beforeAll(async () => {
    bed = await openPrivacyTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.clock.set(START));

  async function auditEntries(subjectId: string): Promise<AuditEntryEntity[]> {
    return bed.dataSource.manager.find(AuditEntryEntity, { where: { subjectId }, order: { id: "ASC" } });
  }

  describe("data export", () => {
    it("queues the export job with the request, and a second ask returns the open request", async () => {
      const { user, ctx } = await bed.signUp();
      const first = await bed.services.ownRequests.requestDataExport(ctx);
      expect(first).toMatchObject({
        type: PrivacyRequestType.ACCESS,
        status: PrivacyRequestStatus.IN_PROGRESS,
        channel: PrivacyRequestChannel.ONLINE,
        subjectId: user.id,
        downloadUrl: null,
      });
      // 31 January 2027 -> 28 February 2027, same wall-clock time.
      expect(first.dueAt.toISOString()).toBe("2027-02-28T10:00:00.000Z");
      expect(first.daysLeft).toBe(28);
      const again = await bed.services.ownRequests.requestDataExport(ctx);
      expect(again.id).toBe(first.id);
      const jobs = await bed.dataSource.manager.findBy(JobEntity, { name: PRIVACY_JOBS.buildDataExport });
      expect(jobs.filter((j) => j.payload.requestId === first.id)).toHaveLength(1);
      // The payload names the request only: nothing personal waits in the queue.
      expect(JSON.stringify(jobs.map((j) => j.payload))).not.toContain(user.email);
    });

    it("builds one JSON document from every contributor, completes the request and audits it", async () => {
      const { user, ctx } = await bed.signUp({ name: "Ada Exported" });
      const other = await bed.signUp({ name: "Bob Bystander" });
      await bed.services.ownRequests.requestDataExport(other.ctx);
      const request = await bed.services.ownRequests.requestDataExport(ctx);
      expect(await bed.runJobs()).toBeGreaterThanOrEqual(1);

      const [mine] = await bed.services.ownRequests.mine(ctx);
      expect(mine).toMatchObject({ id: request.id, status: PrivacyRequestStatus.COMPLETED, daysLeft: null });
      expect(mine!.downloadUrl).toMatch(
        new RegExp(`^https://www\\.honour\\.example/privacy/exports/${request.id}/[0-9a-f]{64}$`),
      );
      const [, sig] = mine!.downloadUrl!.split(`/privacy/exports/${request.id}/`);

      const download = await bed.services.exports.download(ctx, request.id, sig!);
      expect(download.fileName).toMatch(/^personal-data-2027-01-31-[0-9a-f]{8}\.json$/);
      const document = JSON.parse(download.body) as {
        format: string;
        requestId: string;
        data: Record<string, unknown>;
      };
      expect(document.format).toBe(EXPORT_FORMAT);
      expect(document.requestId).toBe(request.id);
      expect(Object.keys(document.data)).toEqual(bed.platform.personalData.names);
      expect(Object.keys(document.data)).toEqual(expect.arrayContaining(["account", "consent", "privacy"]));
      expect(download.body).toContain("Ada Exported");
      expect(download.body).toContain(user.email);
      expect(download.body).not.toContain("Bob Bystander");
      expect(download.body).not.toContain(other.user.email);
      const privacy = document.data.privacy as { requests: { id: string; type: string }[] };
      expect(privacy.requests.map((r) => r.id)).toEqual([request.id]);

      const actions = (await auditEntries(user.id)).map((e) => e.action);
      expect(actions).toEqual(
        expect.arrayContaining([
          AuditAction.PRIVACY_REQUEST_RECORDED,
          AuditAction.DATA_EXPORTED,
          AuditAction.DATA_EXPORT_DOWNLOADED,
        ]),
      );
      // Stored in the database, in parts, never on disk.
      const parts = await bed.dataSource.manager.findBy(DataExportPartEntity, { exportId: request.id });
      expect(parts.map((p) => p.content).join("")).toBe(download.body);
    });

    it("copies the mail about the account as the person reads it, not job internals or mail to their address about no account", async () => {
      const { user, ctx } = await bed.signUp({ name: "Ada Mailed" });
      await bed.users.users.changePassword(ctx, { currentPassword: PASSWORD, newPassword: "a new long password" });
      // Mail to her address about no account (as a guest order's confirmation is): an account does
      // not prove its holder owns the address, so it is not hers to read.
      await enqueueTransactionalMail(
        bed.ctx(),
        bed.platform.jobs,
        {
          kind: "ORDER_CONFIRMATION",
          to: { name: "A guest", address: user.email },
          subject: "Your order",
          text: "1 × Thing",
        },
        `order-confirmation:guest-${user.id}`,
      );
      const request = await bed.services.ownRequests.requestDataExport(ctx);
      expect(await bed.runJobs()).toBeGreaterThanOrEqual(1);
      const [mine] = await bed.services.ownRequests.mine(ctx);
      const [, sig] = mine!.downloadUrl!.split(`/privacy/exports/${request.id}/`);
      const { body } = await bed.services.exports.download(ctx, request.id, sig!);
      const document = JSON.parse(body) as { data: Record<string, unknown> };

      expect(document.data).not.toHaveProperty("jobs");
      expect(document.data.mail).toEqual({
        messages: [
          {
            kind: "PASSWORD_CHANGED",
            to: { name: "Ada Mailed", address: user.email },
            subject: "Your password was changed",
            text: expect.stringContaining("Hello Ada Mailed"),
            status: "QUEUED",
            queuedAt: new Date(START).toISOString(),
            sentAt: null,
          },
        ],
      });
      expect(body).not.toContain("A guest");
      expect(body).not.toContain("1 × Thing");
      const jobs = await bed.dataSource.manager.findBy(JobEntity, { name: TRANSACTIONAL_MAIL_JOB });
      expect(jobs.length).toBeGreaterThanOrEqual(2);
      for (const internal of [TRANSACTIONAL_MAIL_JOB, ...jobs.flatMap((j) => [j.id, j.uniqueKey!])]) {
        expect(body).not.toContain(internal);
      }
    });

    it("splits a large document into parts and joins it back exactly", async () => {
      // A long organisation name in many sessions is not enough; many privacy requests are.
      const { ctx, user } = await bed.signUp({ organisation: "Ω".repeat(150) });
      const staff = await bed.staff(Role.SUPPORT);
      for (let i = 0; i < 25; i += 1) {
        await bed.services.requests.record(bed.ctx(staff), {
          type: PrivacyRequestType.RECTIFICATION,
          channel: PrivacyRequestChannel.LETTER,
          subjectId: user.id,
          notes: `Letter ${i}: ${"é".repeat(1900)}`,
        });
      }
      const request = await bed.services.ownRequests.requestDataExport(ctx);
      await bed.runJobs();
      const sig = bed.services.exports.links.signature(request.id);
      const download = await bed.services.exports.download(ctx, request.id, sig);
      const parts = await bed.dataSource.manager.findBy(DataExportPartEntity, { exportId: request.id });
      expect(parts.length).toBeGreaterThan(2);
      const stored = await bed.dataSource.manager.findOneByOrFail(DataExportEntity, { id: request.id });
      expect(stored.sizeBytes).toBe(Buffer.byteLength(download.body, "utf8"));
      expect(JSON.parse(download.body).data.privacy.requests).toHaveLength(26);
    });

    it("refuses the link to anyone but its subject, anonymous callers, bad signatures and after expiry", async () => {
      const { ctx } = await bed.signUp();
      const other = await bed.signUp();
      const request = await bed.services.ownRequests.requestDataExport(ctx);
      const sig = bed.services.exports.links.signature(request.id);
      expect(await failure(bed.services.exports.download(ctx, request.id, sig))).toMatchObject({
        extra: { reason: PrivacyErrorCode.EXPORT_NOT_READY },
      });
      await bed.runJobs();

      expect(await failure(bed.services.exports.download(bed.ctx(), request.id, sig))).toMatchObject({
        code: ErrorCode.UNAUTHENTICATED,
      });
      expect(await failure(bed.services.exports.download(other.ctx, request.id, sig))).toMatchObject({
        code: ErrorCode.NOT_FOUND,
        extra: { reason: PrivacyErrorCode.EXPORT_NOT_FOUND },
      });
      expect(await failure(bed.services.exports.download(ctx, request.id, "0".repeat(64)))).toMatchObject({
        extra: { reason: PrivacyErrorCode.EXPORT_NOT_FOUND },
      });
      // Someone else's signature for their own id does not open this one either.
      const theirs = await bed.services.ownRequests.requestDataExport(other.ctx);
      expect(
        await failure(bed.services.exports.download(ctx, theirs.id, bed.services.exports.links.signature(theirs.id))),
      ).toMatchObject({ extra: { reason: PrivacyErrorCode.EXPORT_NOT_FOUND } });

      await bed.services.exports.download(ctx, request.id, sig);
      bed.clock.advance(5 * DAY_MS);
      expect(await failure(bed.services.exports.download(ctx, request.id, sig))).toMatchObject({
        extra: { reason: PrivacyErrorCode.EXPORT_EXPIRED },
      });
      const [mine] = await bed.services.ownRequests.mine(ctx);
      expect(mine!.downloadUrl).toBeNull();

      // The retention job deletes it; the link still says "expired", not "unknown".
      expect(await bed.services.exports.purgeExpired(bed.ctx())).toBeGreaterThanOrEqual(1);
      expect(await bed.dataSource.manager.countBy(DataExportEntity, { id: request.id })).toBe(0);
      expect(await bed.dataSource.manager.countBy(DataExportPartEntity, { exportId: request.id })).toBe(0);
      expect(await failure(bed.services.exports.download(ctx, request.id, sig))).toMatchObject({
        extra: { reason: PrivacyErrorCode.EXPORT_EXPIRED },
      });
    });

    it("tries again when the export job died: asking again queues a new build, once", async () => {
      const { ctx, user } = await bed.signUp();
      const request = await bed.services.ownRequests.requestDataExport(ctx);
      const jobs = () => bed.dataSource.manager.findBy(JobEntity, { name: PRIVACY_JOBS.buildDataExport });
      const mine = async () => (await jobs()).filter((j) => j.payload.requestId === request.id);
      expect((await mine())[0]!.payload).toEqual({ requestId: request.id, userId: user.id });
      // Every attempt failed (a contributor threw, the database was away): the job is dead.
      await bed.dataSource.manager.update(JobEntity, { id: (await mine())[0]!.id }, { status: JobStatus.DEAD });

      const again = await bed.services.ownRequests.requestDataExport(ctx);
      expect(again.id).toBe(request.id);
      expect((await mine()).map((j) => j.status).sort()).toEqual(["DEAD", "PENDING"]);
      // Asking once more while that one waits queues nothing.
      await bed.services.ownRequests.requestDataExport(ctx);
      expect(await mine()).toHaveLength(2);

      expect(await bed.runJobs()).toBeGreaterThanOrEqual(1);
      const [done] = await bed.services.ownRequests.mine(ctx);
      expect(done).toMatchObject({ id: request.id, status: PrivacyRequestStatus.COMPLETED });
      expect(done!.downloadUrl).toBeTruthy();
    });

    // SQLite transactions take turns; only MySQL/MariaDB can run a closure and a build at once.
    (kind === "mysql" ? it : it.skip)(
      "does not store a copy while the account is being closed: the build waits, then finds it closed",
      async () => {
        const { ctx, user } = await bed.signUp({ name: "Cleo Concurrent" });
        const request = await bed.services.ownRequests.requestDataExport(ctx);
        let erased!: () => void;
        const closedButNotCommitted = new Promise<void>((resolve) => (erased = resolve));
        let commit!: () => void;
        const held = new Promise<void>((resolve) => (commit = resolve));
        const closing = bed.ctx().transaction(async (tx) => {
          await bed.users.users.close(tx, user.id);
          erased();
          await held;
        });
        await closedButNotCommitted;
        const building = bed.runJobs();
        await new Promise((resolve) => setTimeout(resolve, 300)); // the build is waiting for the account
        commit();
        await closing;
        await building;

        const stored = await bed.dataSource.manager.findOneByOrFail(PrivacyRequestEntity, { id: request.id });
        expect(stored.status).toBe(PrivacyRequestStatus.REJECTED);
        expect(await bed.dataSource.manager.countBy(DataExportEntity, { subjectUserId: user.id })).toBe(0);
        const parts = await bed.dataSource.manager.find(DataExportPartEntity);
        expect(JSON.stringify(parts)).not.toContain("Cleo");
      },
    );

    it("rejects the request when the account closes before the copy is made", async () => {
      const { ctx, user } = await bed.signUp();
      const request = await bed.services.ownRequests.requestDataExport(ctx);
      await bed.services.ownRequests.closeAccount(ctx, PASSWORD);
      await bed.runJobs();
      const stored = await bed.dataSource.manager.findOneByOrFail(PrivacyRequestEntity, { id: request.id });
      expect(stored.status).toBe(PrivacyRequestStatus.REJECTED);
      expect(await bed.dataSource.manager.countBy(DataExportEntity, { subjectUserId: user.id })).toBe(0);
    });
  });

  describe("staff", () => {
    it("records a letter with its receipt date; the month runs from there, clamped to February's end", async () => {
      const staff = await bed.staff(Role.SUPPORT);
      const { user } = await bed.signUp();
      bed.clock.set("2028-02-03T09:00:00Z");
      const request = await bed.services.requests.record(bed.ctx(staff), {
        type: PrivacyRequestType.RECTIFICATION,
        channel: PrivacyRequestChannel.LETTER,
        subjectId: user.id,
        receivedAt: new Date("2028-01-31T12:00:00Z"),
        notes: "Asks to correct the postcode.",
      });
      expect(request).toMatchObject({
        status: PrivacyRequestStatus.RECEIVED,
        daysLeft: 26,
        notes: "Asks to correct the postcode.",
      });
      expect(request.dueAt.toISOString()).toBe("2028-02-29T12:00:00.000Z");
      bed.clock.set("2028-03-02T09:00:00Z");
      const [listed] = (await bed.services.requests.list(bed.ctx(staff), { first: 1 })).nodes;
      expect(listed).toMatchObject({ id: request.id, daysLeft: -2 });
    });

    it("refuses bad input with every field named", async () => {
      const staff = await bed.staff(Role.SUPPORT);
      const error = await failure(
        bed.services.requests.record(bed.ctx(staff), {
          type: "NOPE" as PrivacyRequestType,
          channel: PrivacyRequestChannel.ONLINE,
          subjectId: "00000000-0000-7000-8000-000000000000",
          notes: "x".repeat(2001),
          receivedAt: new Date(bed.clock.now().getTime() + DAY_MS),
        }),
      );
      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.fields!.map((f) => f.field).sort()).toEqual([
        "input.channel",
        "input.notes",
        "input.receivedAt",
        "input.subjectId",
        "input.type",
      ]);
      const noOne = await failure(
        bed.services.requests.record(bed.ctx(staff), {
          type: PrivacyRequestType.OBJECTION,
          channel: PrivacyRequestChannel.TELEPHONE,
        }),
      );
      expect(noOne.fields).toEqual([expect.objectContaining({ field: "input.requesterContact" })]);
    });

    it("extends by at most two further months in all, from the receipt, with the reasons kept", async () => {
      const staff = await bed.staff(Role.ADMIN);
      const request = await bed.services.requests.record(bed.ctx(staff), {
        type: PrivacyRequestType.ACCESS,
        channel: PrivacyRequestChannel.EMAIL,
        requesterContact: "someone@elsewhere.example",
      });
      expect(request.dueAt.toISOString()).toBe("2027-02-28T10:00:00.000Z");
      const once = await bed.services.requests.extend(bed.ctx(staff), request.id, "Many systems to search.");
      expect(once).toMatchObject({ extendedByMonths: 1, extensionReason: "Many systems to search." });
      expect(once.dueAt.toISOString()).toBe("2027-03-31T09:00:00.000Z"); // BST from 28 March
      const twice = await bed.services.requests.extend(bed.ctx(staff), request.id, "Archive recall.");
      expect(twice.extendedByMonths).toBe(2);
      expect(twice.dueAt.toISOString()).toBe("2027-04-30T09:00:00.000Z"); // not 28 April
      expect(twice.extensionReason).toBe("Many systems to search.\nArchive recall.");
      expect(twice.daysLeft).toBe(89);

      const beyond = await failure(bed.services.requests.extend(bed.ctx(staff), request.id, "More."));
      expect(beyond).toMatchObject({
        code: ErrorCode.BAD_USER_INPUT,
        extra: { reason: PrivacyErrorCode.EXTENSION_LIMIT_EXCEEDED },
      });
      const fresh = await bed.services.requests.record(bed.ctx(staff), {
        type: PrivacyRequestType.OBJECTION,
        channel: PrivacyRequestChannel.LETTER,
        requesterContact: "PO Box 1",
      });
      await bed.services.requests.extend(bed.ctx(staff), fresh.id, "Complex.", 2);
      expect(await failure(bed.services.requests.extend(bed.ctx(staff), fresh.id, "Complex.", 1))).toMatchObject({
        extra: { reason: PrivacyErrorCode.EXTENSION_LIMIT_EXCEEDED },
      });
      expect((await failure(bed.services.requests.extend(bed.ctx(staff), fresh.id, "  "))).fields).toEqual([
        expect.objectContaining({ field: "reason" }),
      ]);
      expect((await failure(bed.services.requests.extend(bed.ctx(staff), request.id, "x", 3))).fields).toEqual([
        expect.objectContaining({ field: "months" }),
      ]);
    });

    it("rejects with a reason, and nothing changes a closed request", async () => {
      const staff = await bed.staff(Role.SUPPORT);
      const request = await bed.services.requests.record(bed.ctx(staff), {
        type: PrivacyRequestType.ERASURE,
        channel: PrivacyRequestChannel.TELEPHONE,
        requesterContact: "+44 20 7946 0999",
      });
      expect(await failure(bed.services.requests.complete(bed.ctx(staff), request.id))).toMatchObject({
        extra: { reason: PrivacyErrorCode.SUBJECT_REQUIRED },
      });
      const rejected = await bed.services.requests.reject(
        bed.ctx(staff),
        request.id,
        "Identity could not be confirmed.",
      );
      expect(rejected).toMatchObject({
        status: PrivacyRequestStatus.REJECTED,
        rejectionReason: "Identity could not be confirmed.",
      });
      expect(rejected.completedAt?.toISOString()).toBe(START);
      for (const attempt of [
        bed.services.requests.reject(bed.ctx(staff), request.id, "again"),
        bed.services.requests.complete(bed.ctx(staff), request.id),
        bed.services.requests.extend(bed.ctx(staff), request.id, "late"),
      ]) {
        expect(await failure(attempt)).toMatchObject({
          code: ErrorCode.CONFLICT,
          extra: { reason: PrivacyErrorCode.REQUEST_CLOSED },
        });
      }
      expect(await failure(bed.services.requests.complete(bed.ctx(staff), "nope"))).toMatchObject({
        code: ErrorCode.NOT_FOUND,
      });
    });

    it("completes an objection by withdrawing every consent, and a rectification as recorded", async () => {
      const staff = await bed.staff(Role.SUPPORT);
      const { user } = await bed.signUp({ communications: [{ topic: Topic.NEWSLETTER, channel: Channel.EMAIL }] });
      expect(await bed.consent.consent.isGranted(bed.ctx(), user.id, Topic.NEWSLETTER, Channel.EMAIL)).toBe(true);
      const objection = await bed.services.requests.record(bed.ctx(staff), {
        type: PrivacyRequestType.OBJECTION,
        channel: PrivacyRequestChannel.LETTER,
        subjectId: user.id,
      });
      const done = await bed.services.requests.complete(bed.ctx(staff), objection.id);
      expect(done).toMatchObject({ status: PrivacyRequestStatus.COMPLETED, daysLeft: null });
      expect(await bed.consent.consent.isGranted(bed.ctx(), user.id, Topic.NEWSLETTER, Channel.EMAIL)).toBe(false);

      const rectification = await bed.services.requests.record(bed.ctx(staff), {
        type: PrivacyRequestType.RECTIFICATION,
        channel: PrivacyRequestChannel.EMAIL,
        subjectId: user.id,
      });
      expect((await bed.services.requests.complete(bed.ctx(staff), rectification.id)).status).toBe(
        PrivacyRequestStatus.COMPLETED,
      );
      const details = (await auditEntries(user.id)).filter((e) => e.action === AuditAction.PRIVACY_REQUEST_UPDATED);
      expect(details.map((e) => e.detail).sort()).toEqual([
        `COMPLETED OBJECTION ${objection.id}`,
        `COMPLETED RECTIFICATION ${rectification.id}`,
      ]);
    });

    it("completes an access request through the export job, and one open access request per account", async () => {
      const staff = await bed.staff(Role.SUPPORT);
      const { user, ctx } = await bed.signUp();
      const request = await bed.services.requests.record(bed.ctx(staff), {
        type: PrivacyRequestType.ACCESS,
        channel: PrivacyRequestChannel.LETTER,
        subjectId: user.id,
      });
      expect(
        await failure(
          bed.services.requests.record(bed.ctx(staff), {
            type: PrivacyRequestType.ACCESS,
            channel: PrivacyRequestChannel.EMAIL,
            subjectId: user.id,
          }),
        ),
      ).toMatchObject({ code: ErrorCode.CONFLICT, extra: { reason: PrivacyErrorCode.REQUEST_ALREADY_OPEN } });
      // The person asking online meanwhile gets the same open request.
      expect((await bed.services.ownRequests.requestDataExport(ctx)).id).toBe(request.id);

      const started = await bed.services.requests.complete(bed.ctx(staff), request.id);
      expect(started.status).toBe(PrivacyRequestStatus.IN_PROGRESS);
      await bed.runJobs();
      const [mine] = await bed.services.ownRequests.mine(ctx);
      expect(mine).toMatchObject({ id: request.id, status: PrivacyRequestStatus.COMPLETED });
      expect(mine!.downloadUrl).not.toBeNull();
      // Staff never see the person's link.
      const listed = (await bed.services.requests.list(bed.ctx(staff), { first: 100 })).nodes.find(
        (r) => r.id === request.id,
      );
      expect(listed!.downloadUrl).toBeNull();
      // Once answered, a new access request can be made.
      expect((await bed.services.ownRequests.requestDataExport(ctx)).id).not.toBe(request.id);
    });

    it("completes an erasure by closing the account; only an admin closes a staff account", async () => {
      const support = await bed.staff(Role.SUPPORT);
      const admin = await bed.staff(Role.ADMIN);
      const { user } = await bed.signUp({ name: "Erin Erased" });
      const request = await bed.services.requests.record(bed.ctx(support), {
        type: PrivacyRequestType.ERASURE,
        channel: PrivacyRequestChannel.LETTER,
        subjectId: user.id,
        requesterContact: `Erin Erased, ${user.email}`,
        notes: "Signed letter from Erin Erased.",
      });
      const done = await bed.services.requests.complete(bed.ctx(support), request.id);
      expect(done.status).toBe(PrivacyRequestStatus.COMPLETED);
      const account = await bed.dataSource.manager.findOneByOrFail(UserEntity, { id: user.id });
      expect(account.closedAt).not.toBeNull();
      expect(account.email).not.toBe(user.email);
      // The request stays as the record of the answer, without the personal free text.
      const stored = await bed.dataSource.manager.findOneByOrFail(PrivacyRequestEntity, { id: request.id });
      expect(stored).toMatchObject({ status: PrivacyRequestStatus.COMPLETED, requesterContact: null, notes: null });

      const marketing = await bed.staff(Role.MARKETING);
      const staffErasure = await bed.services.requests.record(bed.ctx(support), {
        type: PrivacyRequestType.ERASURE,
        channel: PrivacyRequestChannel.EMAIL,
        subjectId: marketing.kind === "user" ? marketing.userId : "",
      });
      expect(await failure(bed.services.requests.complete(bed.ctx(support), staffErasure.id))).toMatchObject({
        code: ErrorCode.FORBIDDEN,
      });
      expect((await bed.services.requests.complete(bed.ctx(admin), staffErasure.id)).status).toBe(
        PrivacyRequestStatus.COMPLETED,
      );
    });

    it("audits each request about a person that staff read", async () => {
      const staff = await bed.staff(Role.SUPPORT);
      const { user } = await bed.signUp();
      const request = await bed.services.requests.record(bed.ctx(staff), {
        type: PrivacyRequestType.RECTIFICATION,
        channel: PrivacyRequestChannel.TELEPHONE,
        subjectId: user.id,
      });
      const before = (await auditEntries(user.id)).filter((e) => e.action === AuditAction.PERSON_VIEWED).length;
      const page = await bed.services.requests.list(bed.ctx(staff), {
        status: PrivacyRequestStatus.RECEIVED,
        first: 100,
      });
      expect(page.nodes.map((r) => r.id)).toContain(request.id);
      expect(page.nodes.every((r) => r.status === PrivacyRequestStatus.RECEIVED)).toBe(true);
      const viewed = (await auditEntries(user.id)).filter((e) => e.action === AuditAction.PERSON_VIEWED);
      expect(viewed).toHaveLength(before + 1);
      expect(viewed.at(-1)).toMatchObject({
        actorId: staff.kind === "user" ? staff.userId : "",
        detail: `privacy request ${request.id}`,
      });
    });
  });

  describe("the queue by due date", () => {
    it("pages every request soonest due first across pages, overdue first, ties by id", async () => {
      const staff = await bed.staff(Role.SUPPORT);
      bed.clock.set("2029-06-15T09:00:00Z");
      // Received out of order, two on the same instant; the first two are overdue by now.
      const received = [
        "2029-05-20T10:00:00Z",
        "2029-04-01T08:00:00Z",
        "2029-06-10T12:00:00Z",
        "2029-06-01T09:30:00Z",
        "2029-06-01T09:30:00Z",
        "2029-06-14T16:00:00Z",
        "2029-05-31T23:59:00Z",
      ];
      const recorded: Awaited<ReturnType<typeof bed.services.requests.record>>[] = [];
      for (const [i, at] of received.entries()) {
        recorded.push(
          await bed.services.requests.record(bed.ctx(staff), {
            type: PrivacyRequestType.OBJECTION,
            channel: PrivacyRequestChannel.LETTER,
            requesterContact: `queue-${i}@example.test`,
            receivedAt: new Date(at),
          }),
        );
      }
      // Every RECEIVED request in the database (other tests' too), as the queue must list them.
      const expected = (
        await bed.dataSource.manager.findBy(PrivacyRequestEntity, { status: PrivacyRequestStatus.RECEIVED })
      )
        .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((r) => r.id);
      expect(expected.length).toBeGreaterThan(3);

      const listed: { id: string; daysLeft: number | null }[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const page = await bed.services.requests.list(bed.ctx(staff), {
          status: PrivacyRequestStatus.RECEIVED,
          orderBy: PrivacyRequestOrder.DUE_FIRST,
          first: 3,
          after,
        });
        expect(page.nodes.length).toBeLessThanOrEqual(3);
        listed.push(...page.nodes);
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
        pages++;
      } while (after);
      expect(pages).toBe(Math.ceil(expected.length / 3));
      expect(listed.map((r) => r.id)).toEqual(expected);
      // Overdue ones lead: days left never fall as the list goes on.
      const days = listed.map((r) => r.daysLeft!);
      expect(days).toEqual([...days].sort((a, b) => a - b));
      const mine = listed.filter((r) => recorded.some((m) => m.id === r.id));
      expect(mine.map((r) => r.id)).toEqual(
        [...recorded].sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || (a.id < b.id ? -1 : 1)).map((r) => r.id),
      );
      expect(mine[0]).toMatchObject({ id: recorded[1]!.id, daysLeft: expect.any(Number) });
      expect(mine[0]!.daysLeft).toBeLessThan(0);

      // Without orderBy the list is newest first, as before.
      const newest = await bed.services.requests.list(bed.ctx(staff), { first: 1 });
      expect(newest.nodes[0]!.id).toBe(recorded.at(-1)!.id);
    });

    it("refuses a cursor of the other order, and an unknown order, as BAD_USER_INPUT", async () => {
      const staff = await bed.staff(Role.SUPPORT);
      const byId = await bed.services.requests.list(bed.ctx(staff), { first: 1 });
      const wrong = await failure(
        bed.services.requests.list(bed.ctx(staff), {
          orderBy: PrivacyRequestOrder.DUE_FIRST,
          after: byId.pageInfo.endCursor,
        }),
      );
      expect(wrong.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(wrong.fields).toEqual([expect.objectContaining({ field: "after" })]);
      const unknown = await failure(
        bed.services.requests.list(bed.ctx(staff), { orderBy: "OLDEST" as PrivacyRequestOrder }),
      );
      expect(unknown.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(unknown.fields).toEqual([expect.objectContaining({ field: "orderBy" })]);
    });
  });

  describe("closing an account", () => {
    it("finds requests staff entered by the person's email or number as typed, and no one else's", async () => {
      const { user, ctx } = await bed.signUp({ email: "ada@lovelace.example" });
      await bed.users.users.updateProfile(ctx, { phone: "+44 20 7946 0999" });
      const staff = await bed.staff(Role.SUPPORT);
      const record = (requesterContact: string) =>
        bed.services.requests.record(bed.ctx(staff), {
          type: PrivacyRequestType.ACCESS,
          channel: PrivacyRequestChannel.TELEPHONE,
          requesterContact,
          notes: `Call from ${requesterContact}`,
        });
      const byPhone = await record("Ada, 020 7946 0999");
      const byEmail = await record("ADA@lovelace.example");
      const sada = await record("sada@lovelace.example");
      const longer = await record("ada@lovelace.example.org");

      const exported = await bed.platform.personalData.exportAll(
        bed.ctx(),
        await bed.users.users.personalDataSubject(bed.ctx(), user.id),
      );
      const ids = (exported.privacy as { requests: { id: string }[] }).requests.map((r) => r.id);
      expect(ids).toEqual(expect.arrayContaining([byPhone.id, byEmail.id]));
      expect(ids).not.toContain(sada.id);
      expect(ids).not.toContain(longer.id);

      await bed.services.ownRequests.closeAccount(ctx, PASSWORD);
      const contact = async (id: string) =>
        (await bed.dataSource.manager.findOneByOrFail(PrivacyRequestEntity, { id })).requesterContact;
      expect(await contact(byPhone.id)).toBeNull();
      expect(await contact(byEmail.id)).toBeNull();
      expect(await contact(sada.id)).toBe("sada@lovelace.example");
      expect(await contact(longer.id)).toBe("ada@lovelace.example.org");
    });

    it("needs the current password, then erases, signs out and records a completed erasure", async () => {
      const { user, ctx } = await bed.signUp({ name: "Cora Closing" });
      expect(await failure(bed.services.ownRequests.closeAccount(ctx, "not the password"))).toMatchObject({
        code: ErrorCode.UNAUTHENTICATED,
      });
      expect((await bed.dataSource.manager.findOneByOrFail(UserEntity, { id: user.id })).closedAt).toBeNull();

      const request = await bed.services.ownRequests.closeAccount(ctx, PASSWORD);
      expect(request).toMatchObject({ type: PrivacyRequestType.ERASURE, status: PrivacyRequestStatus.COMPLETED });
      const account = await bed.dataSource.manager.findOneByOrFail(UserEntity, { id: user.id });
      expect(account.closedAt?.toISOString()).toBe(START);
      expect(account.name).not.toContain("Cora");
      expect(await bed.dataSource.manager.countBy(SessionEntity, { userId: user.id })).toBe(0);
      const actions = (await auditEntries(user.id)).map((e) => e.action);
      expect(actions).toEqual(
        expect.arrayContaining([AuditAction.ACCOUNT_CLOSED, AuditAction.PRIVACY_REQUEST_RECORDED]),
      );
    });
  });

  describe("retention", () => {
    it("purges the requests of accounts closed longer ago than the period, and old answered ones without an account", async () => {
      const staff = await bed.staff(Role.SUPPORT);
      const closing = await bed.signUp();
      const staying = await bed.signUp();
      await bed.services.ownRequests.closeAccount(closing.ctx, PASSWORD);
      const kept = await bed.services.ownRequests.requestDataExport(staying.ctx);
      const anonymous = await bed.services.requests.record(bed.ctx(staff), {
        type: PrivacyRequestType.OBJECTION,
        channel: PrivacyRequestChannel.LETTER,
        requesterContact: "A. Nonymous, 1 High Street",
      });
      await bed.services.requests.reject(bed.ctx(staff), anonymous.id, "No data held.");
      const period = bed.platform.config.retention.closedAccountsDays;

      bed.clock.advance((period - 1) * DAY_MS);
      await bed.services.requestRetention.purgeClosedAccounts(bed.ctx());
      expect(await bed.dataSource.manager.countBy(PrivacyRequestEntity, { subjectUserId: closing.user.id })).toBe(1);
      expect(await bed.dataSource.manager.countBy(PrivacyRequestEntity, { id: anonymous.id })).toBe(1);

      bed.clock.advance(2 * DAY_MS);
      expect(await bed.services.requestRetention.purgeClosedAccounts(bed.ctx())).toBeGreaterThanOrEqual(2);
      expect(await bed.dataSource.manager.countBy(PrivacyRequestEntity, { subjectUserId: closing.user.id })).toBe(0);
      expect(await bed.dataSource.manager.countBy(PrivacyRequestEntity, { id: anonymous.id })).toBe(0);
      expect(await bed.dataSource.manager.countBy(PrivacyRequestEntity, { id: kept.id })).toBe(1);
    });
  });
});
