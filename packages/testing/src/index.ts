export * from "./test-database";
export * from "./graphql-test-client";
export * from "./fault-proxy";
