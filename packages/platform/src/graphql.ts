import "reflect-metadata";
export * from "./graphql/pagination.object";
export * from "./graphql/graphql-context";
// Registers the GraphQL enums of the shared Topic and Channel (exported by "@honour/platform").
import "./graphql/communication-enums";
