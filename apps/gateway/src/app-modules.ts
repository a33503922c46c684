import { consentJobs, consentModule, createConsentServices, type ConsentServices } from "@honour/consent";
import { createConsentResolvers } from "@honour/consent/graphql";
import { createOrdersServices, ordersJobs, ordersModule, type OrdersServices } from "@honour/orders";
import { createOrdersResolvers } from "@honour/orders/graphql";
import { createPrivacyServices, privacyJobs, privacyModule, type PrivacyServices } from "@honour/privacy";
import { createPrivacyResolvers } from "@honour/privacy/graphql";
import { createStatsServices, statsJobs, statsModule, type StatsServices } from "@honour/stats";
import { createStatsResolvers } from "@honour/stats/graphql";
import { createUsersServices, usersJobs, usersModule, type UsersServices } from "@honour/users";
import { createUsersResolvers } from "@honour/users/graphql";
import {
  platformModule,
  type Actor,
  type DomainModuleDefinition,
  type Platform,
  type RequestContext,
} from "@honour/platform";

/**
 * The one list of domain packages the gateway serves. A new domain adds its module definition
 * (entities, migrations), its services and its resolvers here.
 */
export const moduleDefinitions: readonly DomainModuleDefinition[] = [
  platformModule,
  usersModule,
  ordersModule,
  consentModule,
  statsModule,
  privacyModule,
];

export interface AppServices {
  users: UsersServices;
  orders: OrdersServices;
  stats: StatsServices;
  consent: ConsentServices;
  privacy: PrivacyServices;
  /** Turns a partner API key (`Authorization: Bearer hpk_…`) into a partner actor, or throws UNAUTHENTICATED. */
  partnerKeys?: { resolveApiKey(ctx: RequestContext, key: string): Promise<Actor> };
}

export function createAppServices(platform: Platform): AppServices {
  const users = createUsersServices(platform);
  const orders = createOrdersServices(platform, users);
  const consent = createConsentServices(platform, users, {
    smtpUrl: platform.config.smtpUrl,
    mailFrom: platform.config.mailFrom,
  });
  const stats = createStatsServices(platform);
  // Last: privacy builds on users and consent, and its personal data contributor erases first.
  const privacy = createPrivacyServices(platform, users, consent);
  return { users, orders, consent, stats, privacy, partnerKeys: orders.partners };
}

/** Resolver instances of every domain, for buildSchema's container. */
export function createAppResolvers(services: AppServices): object[] {
  return [
    ...createUsersResolvers(services.users),
    ...createOrdersResolvers(services.orders),
    ...createConsentResolvers(services.consent),
    ...createStatsResolvers(services.stats),
    ...createPrivacyResolvers(services.privacy),
  ];
}

export { consentJobs, ordersJobs, privacyJobs, statsJobs, usersJobs };
