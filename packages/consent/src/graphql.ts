import "reflect-metadata";
import "@honour/platform/graphql"; // registers the Topic and Channel enums
import { CampaignResolver } from "./campaign/campaign.resolver";
import type { ConsentServices } from "./consent.module";
import { ContactListResolver } from "./contact-list/contact-list.resolver";
import { PolicyResolver } from "./policy/policy.resolver";
import { PreferenceResolver } from "./preference/preference.resolver";
import { SuppressionResolver } from "./suppression/suppression.resolver";
import { UnsubscribeResolver } from "./unsubscribe/unsubscribe.resolver";

// The consent domain's GraphQL resolvers, for the gateway's buildSchema. Importing this module
// registers the consent enums with type-graphql (in the *.object.ts files the resolvers use); the
// object, input and args types themselves are private to the package.

/**
 * The consent domain's resolver instances. Pass their classes to `buildSchema({ resolvers })`
 * with a container that returns these instances.
 */
export function createConsentResolvers(services: ConsentServices): object[] {
  return [
    new PolicyResolver(services),
    new PreferenceResolver(services),
    new UnsubscribeResolver(services),
    new SuppressionResolver(services),
    new ContactListResolver(services),
    new CampaignResolver(services),
  ];
}
