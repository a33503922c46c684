import type { DataSource } from "typeorm";
import { ManualClock } from "../clock/clock";
import { loadConfig } from "../config/config";
import { ANONYMOUS, RequestContext } from "../context/request-context";
import type { JobQueue } from "../jobs/job-queue";
import { silentLogger } from "../logging/logger";
import { createPlatform } from "../module/domain-module";
import { noopSecurityLog, SecurityEventKind, type SecurityLog } from "./security-log";

describe("the platform's security log", () => {
  const config = loadConfig({ NODE_ENV: "test", HONOUR_SECRET: "a-test-secret-that-is-long-enough-0123456789" });
  const dataSource = { manager: {} } as DataSource;
  const options = { clock: new ManualClock(), logger: silentLogger, jobs: {} as JobQueue };

  it("records nothing until an implementation is given, so domains can always call it", async () => {
    const platform = createPlatform(config, dataSource, options);
    const ctx = new RequestContext(dataSource, ANONYMOUS, options.clock);

    expect(platform.securityLog).toBe(noopSecurityLog);
    await expect(
      platform.securityLog.record(ctx, { kind: SecurityEventKind.LOGIN_FAILED, detail: "x" }),
    ).resolves.toBeUndefined();
  });

  it("uses the implementation given to createPlatform", () => {
    const securityLog: SecurityLog = { record: jest.fn(async () => undefined) };

    expect(createPlatform(config, dataSource, { ...options, securityLog }).securityLog).toBe(securityLog);
  });
});
