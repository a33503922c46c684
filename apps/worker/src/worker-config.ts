import { ConfigException, type HonourConfig } from "@honour/platform";

/**
 * The worker's own settings, read from the environment once at start-up next to the shared
 * {@link HonourConfig}. Every variable is optional; the defaults suit production.
 *
 * | variable                   | default | meaning                                                  |
 * |----------------------------|---------|----------------------------------------------------------|
 * | `WORKER_POLL_MS`           | 500     | wait between polls when the queue is empty               |
 * | `WORKER_HEARTBEAT_MS`      | 5000    | how often a running job proves its worker is alive       |
 * | `WORKER_STALE_AFTER_MS`    | 60000   | a running job silent this long is freed for another run  |
 * | `WORKER_SHUTDOWN_GRACE_MS` | 8000    | on SIGTERM, how long the in-flight job may finish        |
 * | `WORKER_BACKOFF_BASE_MS`   | 1000    | first retry delay of a failed job; doubles per attempt   |
 * | `WORKER_SCHEMA_POLL_MS`    | 2000    | how often to check whether the migrations have run       |
 * | `HONOUR_WORKER_TEST_JOBS`  | unset   | `true`: register the test-only jobs; NODE_ENV=test only  |
 */
export interface WorkerSettings {
  readonly pollMs: number;
  readonly heartbeatMs: number;
  readonly staleAfterMs: number;
  readonly shutdownGraceMs: number;
  readonly backoffBaseMs: number;
  readonly schemaPollMs: number;
  /** Register the jobs end-to-end tests drive the worker with (see `test-jobs.ts`). */
  readonly testJobs: boolean;
}

export const DEFAULT_WORKER_SETTINGS: WorkerSettings = {
  pollMs: 500,
  heartbeatMs: 5000,
  staleAfterMs: 60_000,
  // Under the 10 s Docker (and 30 s Kubernetes) give a container between SIGTERM and SIGKILL,
  // leaving time to release an unfinished job and close the pool.
  shutdownGraceMs: 8000,
  backoffBaseMs: 1000,
  schemaPollMs: 2000,
  testJobs: false,
};

const DURATIONS = [
  ["WORKER_POLL_MS", "pollMs", 1, 60_000],
  ["WORKER_HEARTBEAT_MS", "heartbeatMs", 1, 600_000],
  ["WORKER_STALE_AFTER_MS", "staleAfterMs", 1, 86_400_000],
  ["WORKER_SHUTDOWN_GRACE_MS", "shutdownGraceMs", 0, 3_600_000],
  ["WORKER_BACKOFF_BASE_MS", "backoffBaseMs", 1, 86_400_000],
  ["WORKER_SCHEMA_POLL_MS", "schemaPollMs", 1, 600_000],
] as const;

/** Reads and validates the worker's variables; throws {@link ConfigException} naming each bad one. */
export function loadWorkerSettings(
  env: NodeJS.ProcessEnv = process.env,
  nodeEnv: HonourConfig["nodeEnv"],
): WorkerSettings {
  const problems: string[] = [];
  const settings: { -readonly [K in keyof WorkerSettings]: WorkerSettings[K] } = { ...DEFAULT_WORKER_SETTINGS };
  for (const [name, key, min, max] of DURATIONS) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be a whole number of milliseconds from ${min} to ${max} (got "${raw}")`);
    } else {
      settings[key] = value;
    }
  }
  // A job is only freed once it has missed a couple of heartbeats, or a slow database round trip
  // would hand a live job to a second worker.
  if (settings.staleAfterMs <= 2 * settings.heartbeatMs) {
    problems.push("WORKER_STALE_AFTER_MS must be more than twice WORKER_HEARTBEAT_MS");
  }

  const testJobs = env.HONOUR_WORKER_TEST_JOBS;
  if (testJobs !== undefined && testJobs !== "") {
    if (!["true", "false", "1", "0"].includes(testJobs)) {
      problems.push("HONOUR_WORKER_TEST_JOBS must be true or false");
    } else if (testJobs === "true" || testJobs === "1") {
      if (nodeEnv !== "test") problems.push("HONOUR_WORKER_TEST_JOBS may only be set when NODE_ENV=test");
      else settings.testJobs = true;
    }
  }

  if (problems.length > 0) throw new ConfigException(problems);
  return settings;
}
