import {
  createPlatform,
  loadConfig,
  silentLogger,
  SqlJobQueue,
  type Clock,
  type Logger,
  type Platform,
  type SecurityLog,
  type SqlJobQueueOptions,
} from "@honour/platform";
import type { DataSource } from "typeorm";

/** `HONOUR_SECRET` of the test beds: long enough for the configuration's check. */
export const TEST_SECRET = "a-test-secret-that-is-long-enough-0123456789";

export interface TestPlatformOptions {
  clock: Clock;
  /** Settings on top of `NODE_ENV=test` and {@link TEST_SECRET} (`PUBLIC_URL`, `HONOUR_DATA_DIR`, …). */
  env?: Record<string, string>;
  /** Default: silent. */
  logger?: Logger;
  /** Default: the platform's (no security log). */
  securityLog?: SecurityLog;
  /** Options of the SQL job queue (a test bed shortens `backoffBaseMs`). */
  jobQueue?: SqlJobQueueOptions;
}

/**
 * The platform a package's test bed builds its services on, as production builds it: test
 * configuration, the SQL job queue on the bed's data source, and its clock.
 */
export function createTestPlatform(dataSource: DataSource, options: TestPlatformOptions): Platform {
  const config = loadConfig({ NODE_ENV: "test", HONOUR_SECRET: TEST_SECRET, ...options.env });
  return createPlatform(config, dataSource, {
    clock: options.clock,
    jobs: new SqlJobQueue(dataSource, options.clock, options.jobQueue),
    logger: options.logger ?? silentLogger,
    securityLog: options.securityLog,
  });
}
