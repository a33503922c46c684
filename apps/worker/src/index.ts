import "reflect-metadata";

// The worker's front door, for tools and tests that run it in-process. `main.ts` is the process.
export { startWorker, type StartWorkerOptions, type Worker } from "./worker";
export { loadWorkerSettings, DEFAULT_WORKER_SETTINGS, type WorkerSettings } from "./worker-config";
