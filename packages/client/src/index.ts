// The front door of @honour/client: the typed documents (usable with any GraphQL client that takes
// a TypedDocumentNode: Apollo Client, urql, graphql-request) and the small built-in fetch client.
export * from "./generated/graphql";
export {
  createHonourClient,
  type ErasureNotice,
  type HonourClient,
  type HonourClientOptions,
  type MyOrder,
  type Page,
  type PageOptions,
  type PartnerOrder,
  type PartnerOrdersOptions,
  type VariablesOf,
} from "./honour-client";
export {
  HONOUR_ERROR_CODES,
  HonourError,
  isHonourError,
  type FieldError,
  type GraphQLErrorPayload,
  type HonourErrorCode,
} from "./honour-error";
export { SessionCookies } from "./session-cookies";
