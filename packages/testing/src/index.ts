export * from "./test-database";
export * from "./graphql-test-client";
