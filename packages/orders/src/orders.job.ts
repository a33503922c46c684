import { DAY_MS, HOUR_MS, type JobDefinition, type ScheduleDefinition } from "@honour/platform";
import type { OrdersServices } from "./orders.module";
import { webhookJobs } from "./webhook/webhook.job";
import { DELIVER_WEBHOOK_JOB } from "./webhook/webhook.service";

/** Names of the orders domain's jobs. */
export const ORDERS_JOBS = Object.freeze({
  deleteExpiredPaymentMethods: "orders.deleteExpiredPaymentMethods",
  purgeErasedOrders: "orders.purgeErasedOrders",
  /** Queues `key.expiring` for partner API keys that expire within 14 days, once per key. */
  noticeExpiringApiKeys: "orders.noticeExpiringApiKeys",
  /** One attempt at one partner webhook delivery (queued by the event, then by each failed attempt). */
  deliverWebhook: DELIVER_WEBHOOK_JOB,
});

/**
 * The orders domain's background work, for the worker: hourly, the `key.expiring` webhook for
 * partner API keys that expire within 14 days; daily, removing saved cards whose
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
      {
        name: ORDERS_JOBS.noticeExpiringApiKeys,
        handle: async (ctx) => {
          await services.partners.noticeExpiringKeys(ctx);
        },
      },
      ...webhookJobs(services.webhooks),
    ],
    schedules: [
      { job: ORDERS_JOBS.deleteExpiredPaymentMethods, everyMs: DAY_MS },
      { job: ORDERS_JOBS.purgeErasedOrders, everyMs: DAY_MS },
      { job: ORDERS_JOBS.noticeExpiringApiKeys, everyMs: HOUR_MS },
    ],
  };
}
