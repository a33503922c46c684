import type { JobDefinition } from "@honour/platform";
import { DELIVER_WEBHOOK_JOB, type WebhookService } from "./webhook.service";

/**
 * The worker's webhook job: one attempt at one delivery. The job completes whatever the HTTP
 * outcome (the service schedules the next attempt itself, on the webhook back-off of up to 3 days);
 * it fails, and the queue retries it, only when the attempt could not be recorded.
 */
export function webhookJobs(webhooks: WebhookService): JobDefinition[] {
  return [
    {
      name: DELIVER_WEBHOOK_JOB,
      maxAttempts: 5,
      handle: async (ctx, payload) => {
        const deliveryId = payload.deliveryId;
        if (typeof deliveryId !== "string") throw new Error("a webhook job without a deliveryId");
        await webhooks.attempt(ctx, deliveryId);
      },
    },
  ];
}
