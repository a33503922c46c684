import { ANONYMOUS, ManualClock, RequestContext, type ClaimedJob } from "@honour/platform";
import type { DataSource } from "typeorm";
import type { OwnSessionService } from "./session/own-session.service";
import type { SessionService } from "./session/session.service";
import type { UserService } from "./user/user.service";
import type { ArticleService } from "./article/article.service";
import type { AccountPersonalData } from "./privacy/account-personal-data.service";
import type { EmailChangeService } from "./email-change/email-change.service";
import type { EmailVerificationService } from "./email-verification/email-verification.service";
import { USERS_JOBS, usersJobs } from "./users.job";
import type { UsersServices } from "./users.module";

describe("usersJobs", () => {
  const deleteExpired = jest.fn(async () => 3);
  const deleteStaleSignInAttempts = jest.fn(async () => 7);
  const deleteClosedAccounts = jest.fn(async () => 1);
  const deleteStalePasswordResets = jest.fn(async () => 2);
  const deleteStaleAddressLinks = jest.fn(async () => 4);
  const services = {
    sessions: { deleteExpired } as unknown as SessionService,
    ownSessions: {} as OwnSessionService,
    users: {
      deleteStaleSignInAttempts,
      deleteClosedAccounts,
      deleteStalePasswordResets,
      deleteStaleAddressLinks,
    } as unknown as UserService,
    articles: {} as ArticleService,
    mfa: {} as UsersServices["mfa"],
    passkeys: {} as UsersServices["passkeys"],
    personalData: {} as AccountPersonalData,
    emailVerifications: {} as EmailVerificationService,
    emailChanges: {} as EmailChangeService,
  };
  const ctx = new RequestContext({ manager: {} } as DataSource, ANONYMOUS, new ManualClock());
  const job = (name: string): ClaimedJob => ({ id: "j", name, payload: {}, attempt: 1, maxAttempts: 3 });

  it("schedules the session, sign-in, password reset and address link clean-ups every hour, closed accounts every day", () => {
    expect(usersJobs(services).schedules).toEqual([
      { job: "users.deleteExpiredSessions", everyMs: 3_600_000 },
      { job: "users.deleteStaleSignInAttempts", everyMs: 3_600_000 },
      { job: "users.deleteClosedAccounts", everyMs: 86_400_000 },
      { job: "users.deleteStalePasswordResets", everyMs: 3_600_000 },
      { job: "users.deleteStaleAddressLinks", everyMs: 3_600_000 },
    ]);
  });

  it("has a handler for every scheduled job, each calling its service", async () => {
    const { jobs, schedules } = usersJobs(services);
    expect(jobs.map((j) => j.name).sort()).toEqual(schedules.map((s) => s.job).sort());

    await jobs.find((j) => j.name === USERS_JOBS.deleteExpiredSessions)!.handle(ctx, {}, job("x"));
    expect(deleteExpired).toHaveBeenCalledWith(ctx);
    expect(deleteStaleSignInAttempts).not.toHaveBeenCalled();

    await jobs.find((j) => j.name === USERS_JOBS.deleteStaleSignInAttempts)!.handle(ctx, {}, job("y"));
    expect(deleteStaleSignInAttempts).toHaveBeenCalledWith(ctx);
    expect(deleteClosedAccounts).not.toHaveBeenCalled();

    await jobs.find((j) => j.name === USERS_JOBS.deleteClosedAccounts)!.handle(ctx, {}, job("z"));
    expect(deleteClosedAccounts).toHaveBeenCalledWith(ctx);
    expect(deleteStalePasswordResets).not.toHaveBeenCalled();

    await jobs.find((j) => j.name === USERS_JOBS.deleteStalePasswordResets)!.handle(ctx, {}, job("w"));
    expect(deleteStalePasswordResets).toHaveBeenCalledWith(ctx);
    expect(deleteStaleAddressLinks).not.toHaveBeenCalled();

    await jobs.find((j) => j.name === USERS_JOBS.deleteStaleAddressLinks)!.handle(ctx, {}, job("v"));
    expect(deleteStaleAddressLinks).toHaveBeenCalledWith(ctx);
  });
});
