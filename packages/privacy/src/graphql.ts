import "reflect-metadata";
import { AuditLogResolver } from "./audit/audit-log.resolver";
import type { PrivacyServices } from "./privacy.module";
import { PrivacyRequestResolver } from "./request/privacy-request.resolver";

// The privacy domain's GraphQL resolvers, for the gateway's buildSchema. Importing this module
// registers the privacy enums and AuditAction with type-graphql (in the *.object.ts files).

/**
 * The privacy domain's resolver instances. Pass their classes to `buildSchema({ resolvers })`
 * with a container that returns these instances.
 */
export function createPrivacyResolvers(services: PrivacyServices): object[] {
  return [new PrivacyRequestResolver(services), new AuditLogResolver(services)];
}
