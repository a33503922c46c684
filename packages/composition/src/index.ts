import "reflect-metadata";
import { consentJobs, consentModule, createConsentServices, type ConsentServices } from "@honour/consent";
import { createOrdersServices, ordersJobs, ordersModule, type OrdersServices } from "@honour/orders";
import {
  platformJobs,
  platformModule,
  type Actor,
  type DomainModuleDefinition,
  type JobDefinition,
  type Platform,
  type RequestContext,
  type ScheduleDefinition,
} from "@honour/platform";
import { createPrivacyServices, privacyJobs, privacyModule, type PrivacyServices } from "@honour/privacy";
import { createStatsServices, statsJobs, statsModule, type StatsServices } from "@honour/stats";
import { createUsersServices, usersJobs, usersModule, type UsersServices } from "@honour/users";

/**
 * The one composition of Honour's domains. The gateway, the worker, `npm run migrate` and the bench
 * all take it from here, so a new domain is added in this file (its module, its services, its
 * jobs) and in `./graphql.ts` (its resolvers), besides its own package.
 */

/** Every module with tables, in dependency order: the entities and migrations of the database. */
export const moduleDefinitions: readonly DomainModuleDefinition[] = [
  platformModule,
  usersModule,
  ordersModule,
  consentModule,
  statsModule,
  privacyModule,
];

/** Each domain's services, built once per process on one platform. */
export interface AppServices {
  users: UsersServices;
  orders: OrdersServices;
  consent: ConsentServices;
  stats: StatsServices;
  privacy: PrivacyServices;
  /** Turns a partner API key (`Authorization: Bearer hpk_…`) into a partner actor, or throws UNAUTHENTICATED. */
  partnerKeys?: {
    resolveApiKey(
      ctx: RequestContext,
      key: string,
      options?: { recordRejection?: boolean | (() => Promise<boolean>) },
    ): Promise<Actor>;
  };
}

/** Builds every domain's services in dependency order. */
export function createAppServices(platform: Platform): AppServices {
  const users = createUsersServices(platform);
  // Partners' suppression checks ask consent, built after orders (orders may not import it).
  const orders = createOrdersServices(platform, users, { contactSuppression: () => consent.suppressions });
  const consent: ConsentServices = createConsentServices(platform, users, {
    smtpUrl: platform.config.smtpUrl,
    mailFrom: platform.config.mailFrom,
    sender: { concurrency: platform.config.campaignMaxInFlight },
  });
  const stats = createStatsServices(platform);
  // Last: privacy builds on users and consent, and its personal data contributor erases first.
  const privacy = createPrivacyServices(platform, users, consent);
  return { users, orders, consent, stats, privacy, partnerKeys: orders.partners };
}

/** What the worker runs: the jobs and schedules of the platform and of every domain. */
export function createAppJobs(
  platform: Platform,
  services: AppServices,
): { jobs: JobDefinition[]; schedules: ScheduleDefinition[] }[] {
  return [
    platformJobs(platform),
    usersJobs(services.users),
    ordersJobs(services.orders),
    consentJobs(services.consent),
    statsJobs(services.stats),
    privacyJobs(services.privacy),
  ];
}
