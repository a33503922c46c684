import { ConfigException } from "@honour/platform";
import { DEFAULT_WORKER_SETTINGS, loadWorkerSettings } from "./worker-config";

function problemsOf(env: NodeJS.ProcessEnv, nodeEnv: "development" | "production" | "test" = "test"): string[] {
  try {
    loadWorkerSettings(env, nodeEnv);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigException);
    return (error as ConfigException).problems;
  }
  throw new Error("expected a ConfigException");
}

describe("loadWorkerSettings", () => {
  it("uses production defaults when nothing is set", () => {
    expect(loadWorkerSettings({}, "production")).toEqual(DEFAULT_WORKER_SETTINGS);
    expect(DEFAULT_WORKER_SETTINGS.testJobs).toBe(false);
  });

  it("reads every period", () => {
    expect(
      loadWorkerSettings(
        {
          WORKER_POLL_MS: "20",
          WORKER_HEARTBEAT_MS: "50",
          WORKER_STALE_AFTER_MS: "400",
          WORKER_SHUTDOWN_GRACE_MS: "0",
          WORKER_BACKOFF_BASE_MS: "10",
          WORKER_SCHEMA_POLL_MS: "100",
        },
        "production",
      ),
    ).toEqual({
      pollMs: 20,
      heartbeatMs: 50,
      staleAfterMs: 400,
      shutdownGraceMs: 0,
      backoffBaseMs: 10,
      schemaPollMs: 100,
      testJobs: false,
    });
  });

  it.each([
    ["WORKER_POLL_MS", "0"],
    ["WORKER_POLL_MS", "1.5"],
    ["WORKER_HEARTBEAT_MS", "-5"],
    ["WORKER_STALE_AFTER_MS", "1e3"],
    ["WORKER_SHUTDOWN_GRACE_MS", "forever"],
    ["WORKER_BACKOFF_BASE_MS", "999999999999"],
    ["WORKER_SCHEMA_POLL_MS", " 100"],
    ["HONOUR_WORKER_TEST_JOBS", "yes"],
  ])("rejects %s=%p naming the variable", (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.startsWith(`${name} `)).toBe(true);
  });

  it("requires the stale period to outlast two heartbeats", () => {
    expect(problemsOf({ WORKER_HEARTBEAT_MS: "5000", WORKER_STALE_AFTER_MS: "10000" })[0]).toMatch(
      /^WORKER_STALE_AFTER_MS /,
    );
    expect(
      loadWorkerSettings({ WORKER_HEARTBEAT_MS: "5000", WORKER_STALE_AFTER_MS: "10001" }, "test").staleAfterMs,
    ).toBe(10_001);
  });

  it("registers the test jobs only when NODE_ENV=test", () => {
    expect(loadWorkerSettings({ HONOUR_WORKER_TEST_JOBS: "true" }, "test").testJobs).toBe(true);
    expect(loadWorkerSettings({ HONOUR_WORKER_TEST_JOBS: "1" }, "test").testJobs).toBe(true);
    expect(loadWorkerSettings({ HONOUR_WORKER_TEST_JOBS: "false" }, "production").testJobs).toBe(false);
    for (const nodeEnv of ["development", "production"] as const) {
      expect(problemsOf({ HONOUR_WORKER_TEST_JOBS: "true" }, nodeEnv)[0]).toMatch(/^HONOUR_WORKER_TEST_JOBS /);
    }
  });
});
