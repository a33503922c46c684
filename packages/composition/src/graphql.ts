import "reflect-metadata";
import { createConsentResolvers } from "@honour/consent/graphql";
import { createOrdersResolvers } from "@honour/orders/graphql";
import { createPrivacyResolvers } from "@honour/privacy/graphql";
import { createStatsResolvers } from "@honour/stats/graphql";
import { createUsersResolvers } from "@honour/users/graphql";
import type { AppServices } from "./index";

/** Resolver instances of every domain, for the gateway's `buildSchema` container. */
export function createAppResolvers(services: AppServices): object[] {
  return [
    ...createUsersResolvers(services.users),
    ...createOrdersResolvers(services.orders),
    ...createConsentResolvers(services.consent),
    ...createStatsResolvers(services.stats),
    ...createPrivacyResolvers(services.privacy),
  ];
}
