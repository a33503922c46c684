import "reflect-metadata";
import { ConfigException, loadConfig, type HonourConfig } from "@honour/platform";
import pino from "pino";
import { testJobs } from "./test-jobs";
import { startWorker, type Worker } from "./worker";
import { loadWorkerSettings, type WorkerSettings } from "./worker-config";

/**
 * The worker process: reads its configuration, runs jobs until SIGTERM or SIGINT, then stops
 * claiming, lets the in-flight job finish (or gives it back after the grace period), closes the
 * pool and exits 0. A second signal exits at once.
 */
async function main(): Promise<void> {
  let config: HonourConfig;
  let settings: WorkerSettings;
  try {
    config = loadConfig();
    settings = loadWorkerSettings(process.env, config.nodeEnv);
  } catch (error) {
    if (error instanceof ConfigException) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const logger = pino({
    level: config.logLevel,
    base: { service: "worker", pid: process.pid },
    // Nothing sensitive is logged on purpose; this is the safety net if a config object ever is.
    redact: { paths: ["secret", "*.secret", "password", "*.password", "admin"], censor: "[redacted]" },
  });
  process.on("unhandledRejection", (reason) => {
    logger.fatal({ err: reason }, "unhandled rejection");
    process.exit(1);
  });

  const shutdown = new AbortController();
  let worker: Worker | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shutdown.signal.aborted) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    logger.info({ signal, graceMs: settings.shutdownGraceMs }, "stopping: no new jobs, finishing the current one");
    shutdown.abort();
    if (worker) void stopAndExit(worker);
  };
  const stopAndExit = async (running: Worker) => {
    try {
      await running.stop();
      process.exit(0);
    } catch (error) {
      logger.fatal({ err: error }, "could not stop cleanly");
      process.exit(1);
    }
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  try {
    worker = await startWorker(config, {
      settings,
      logger,
      extraJobs: settings.testJobs ? () => testJobs() : undefined,
      signal: shutdown.signal,
    });
  } catch (error) {
    if (shutdown.signal.aborted) {
      logger.info({ event: "worker.stopped" }, "stopped before the worker started");
      process.exit(0);
    }
    logger.fatal({ err: error }, "the worker could not start");
    process.exit(1);
  }
  if (shutdown.signal.aborted) await stopAndExit(worker);
}

void main();
