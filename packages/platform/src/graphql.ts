import "reflect-metadata";

// The platform's GraphQL helpers, for the domain packages' resolvers and the gateway.
// PageInfoObject is named in the emitted declarations of every ConnectionType(…) class.
export { ConnectionArgs, ConnectionType, PageInfoObject } from "./graphql/pagination.object";
export { type CookieOptions, type GraphQLContext, loader, requestLoader } from "./graphql/graphql-context";
// Registers the GraphQL enums of the shared Topic and Channel (exported by "@honour/platform").
import "./graphql/communication-enums";
