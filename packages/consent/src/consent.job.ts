import type { JobDefinition, ScheduleDefinition } from "@honour/platform";
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
      {
        name: CONSENT_JOBS.resumeCampaigns,
        handle: async (ctx) => {
          await services.sender.resume(ctx);
        },
      },
    ],
    schedules: [{ job: CONSENT_JOBS.resumeCampaigns, everyMs: 5 * 60_000 }],
  };
}
