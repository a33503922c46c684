import "reflect-metadata";
export * from "./graphql/pagination.object";
export * from "./graphql/graphql-context";
