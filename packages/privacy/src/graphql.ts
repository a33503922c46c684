import "reflect-metadata";
import { AuditLogResolver } from "./audit/audit-log.resolver";
import type { PrivacyServices } from "./privacy.module";
import { PrivacyRequestResolver } from "./request/privacy-request.resolver";

// The privacy domain's GraphQL types and resolvers, for the gateway's buildSchema. Importing this
// module registers the privacy enums and AuditAction with type-graphql (in the *.object.ts files).

export { AuditLogResolver, PrivacyRequestResolver };
export { AuditEntryConnection, AuditEntryObject } from "./audit/audit-entry.object";
export { AuditLogArgs } from "./audit/audit-log.args";
export { PrivacyRequestConnection, PrivacyRequestObject } from "./request/privacy-request.object";
export { RecordPrivacyRequestInput } from "./request/privacy-request.input";
export {
  ExtendPrivacyRequestArgs,
  PrivacyRequestIdArgs,
  PrivacyRequestsArgs,
  RejectPrivacyRequestArgs,
} from "./request/privacy-request.args";

/**
 * The privacy domain's resolver instances. Pass their classes to `buildSchema({ resolvers })`
 * with a container that returns these instances.
 */
export function createPrivacyResolvers(services: PrivacyServices): object[] {
  return [new PrivacyRequestResolver(services), new AuditLogResolver(services)];
}
