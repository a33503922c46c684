import { DAY_MS, type JobDefinition, type ScheduleDefinition } from "@honour/platform";
import type { OrdersServices } from "./orders.module";

/** Names of the orders domain's jobs. */
export const ORDERS_JOBS = Object.freeze({
  deleteExpiredPaymentMethods: "orders.deleteExpiredPaymentMethods",
  purgeErasedOrders: "orders.purgeErasedOrders",
});


/**
 * The orders domain's background work, for the worker, both daily: removing saved cards whose
 * expiry has passed (they can never be charged again, so keeping them would keep data no promise
 * needs), and deleting orders whose contact was erased once their accounting period
 * (`CLOSED_ACCOUNT_RETENTION_DAYS` after the erasure) is over, with their lines, licences and
 * disclosure records, and the erasure notices as old.
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
      {
        name: ORDERS_JOBS.purgeErasedOrders,
        handle: async (ctx) => {
          const before = new Date(ctx.clock.now().getTime() - services.erasedOrderRetentionDays * DAY_MS);
          await services.retention.purge(ctx, before);
        },
      },
    ],
    schedules: [
      { job: ORDERS_JOBS.deleteExpiredPaymentMethods, everyMs: DAY_MS },
      { job: ORDERS_JOBS.purgeErasedOrders, everyMs: DAY_MS },
    ],
  };
}
