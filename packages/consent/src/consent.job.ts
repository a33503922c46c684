import {
  MINUTE_MS,
  TRANSACTIONAL_MAIL_JOB,
  type JobDefinition,
  type ScheduleDefinition,
  type TransactionalMailPayload,
} from "@honour/platform";
import { CONSENT_JOBS } from "./campaign/campaign.service";
import type { ConsentServices } from "./consent.module";

interface CampaignPayload extends Record<string, unknown> {
  campaignId: string;
}

/**
 * The consent domain's background work, for the worker: preparing and sending campaigns (batch
 * after batch), and a sweep every five minutes that restarts a campaign whose jobs died.
 */
export function consentJobs(services: ConsentServices): { jobs: JobDefinition[]; schedules: ScheduleDefinition[] } {
  const prepare: JobDefinition<CampaignPayload> = {
    name: CONSENT_JOBS.prepareCampaign,
    maxAttempts: 10,
    handle: (ctx, payload) => services.sender.prepare(ctx, String(payload.campaignId)),
  };
  const send: JobDefinition<CampaignPayload> = {
    name: CONSENT_JOBS.sendCampaign,
    maxAttempts: 10,
    handle: (ctx, payload, job) => services.sender.sendBatch(ctx, String(payload.campaignId), job),
  };
  return {
    jobs: [
      prepare as unknown as JobDefinition,
      send as unknown as JobDefinition,
      // Password changed, order confirmations: queued by users and orders in their transactions.
      // The job id makes the Message-ID, so a retry after a lost answer is the same message.
      {
        name: TRANSACTIONAL_MAIL_JOB,
        maxAttempts: 8,
        handle: async (_ctx, payload, job) => {
          const mail = payload as TransactionalMailPayload;
          await services.mailer.sendTransactional(job.id, {
            to: mail.to,
            subject: mail.subject,
            text: mail.text,
            html: mail.html ?? null,
          });
        },
      },
      {
        name: CONSENT_JOBS.resumeCampaigns,
        handle: async (ctx) => {
          await services.sender.resume(ctx);
        },
      },
    ],
    schedules: [{ job: CONSENT_JOBS.resumeCampaigns, everyMs: 5 * MINUTE_MS }],
  };
}
