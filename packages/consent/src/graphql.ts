import "reflect-metadata";
import "@honour/platform/graphql"; // registers the Topic and Channel enums
import { CampaignResolver } from "./campaign/campaign.resolver";
import type { ConsentServices } from "./consent.module";
import { ContactListResolver } from "./contact-list/contact-list.resolver";
import { PolicyResolver } from "./policy/policy.resolver";
import { PreferenceResolver } from "./preference/preference.resolver";
import { SuppressionResolver } from "./suppression/suppression.resolver";
import { UnsubscribeResolver } from "./unsubscribe/unsubscribe.resolver";

// The consent domain's GraphQL types and resolvers, for the gateway's buildSchema. Importing this
// module registers the consent enums with type-graphql (in the *.object.ts files).

export { CampaignResolver, ContactListResolver, PolicyResolver, PreferenceResolver, SuppressionResolver };
export { UnsubscribeResolver };
export { CampaignObject } from "./campaign/campaign.object";
export { CreateCampaignInput } from "./campaign/campaign.input";
export { ContactListExportObject, ContactListRowObject } from "./contact-list/contact-list.object";
export { ContactListArgs } from "./contact-list/contact-list.args";
export { PolicyVersionObject } from "./policy/policy-version.object";
export { PublishPolicyVersionInput } from "./policy/policy.input";
export { ConsentEventConnection, ConsentEventObject, PreferenceObject } from "./preference/preference.object";
export { PreferenceInput } from "./preference/preference.input";
export { SetPreferencesArgs } from "./preference/preference.args";
export { SuppressedHashObject, SuppressionObject } from "./suppression/suppression.object";
export { RemovalRequestInput } from "./suppression/suppression.input";
export { PartnerSuppressionsArgs } from "./suppression/suppression.args";
export { UnsubscribeResultObject } from "./unsubscribe/unsubscribe.object";
export { UnsubscribeArgs } from "./unsubscribe/unsubscribe.args";

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
