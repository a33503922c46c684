import type { JobDefinition, ScheduleDefinition } from "@honour/platform";
import type { OrdersServices } from "./orders.module";

/** Names of the orders domain's jobs. */
export const ORDERS_JOBS = Object.freeze({
  deleteExpiredPaymentMethods: "orders.deleteExpiredPaymentMethods",
});

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The orders domain's background work, for the worker: a daily removal of saved cards whose
 * expiry has passed. They can never be charged again, so keeping them would keep data no promise
 * needs.
 */
export function ordersJobs(services: OrdersServices): { jobs: JobDefinition[]; schedules: ScheduleDefinition[] } {
  return {
    jobs: [
      {
        name: ORDERS_JOBS.deleteExpiredPaymentMethods,
        handle: async (ctx) => {
          await services.billing.deleteExpired(ctx);
        },
      },
    ],
    schedules: [{ job: ORDERS_JOBS.deleteExpiredPaymentMethods, everyMs: DAY_MS }],
  };
}
