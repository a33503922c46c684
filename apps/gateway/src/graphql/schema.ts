import type { GraphQLSchema } from "graphql";
import { buildSchema, type AuthCheckerFn } from "type-graphql";
import type { GraphQLContext } from "@honour/platform/graphql";
import { keepArgumentsUnvalidated, validateArgument } from "./argument-validation";
import { authChecker } from "./auth-checker";
import { callFieldResolversDirectly } from "./direct-field-resolvers";

/**
 * Composes every domain's resolvers into the one schema. The container hands type-graphql the
 * resolver instances the domains built with their services.
 */
export async function buildGatewaySchema(
  resolvers: readonly object[],
  checker: AuthCheckerFn<GraphQLContext> = authChecker,
): Promise<GraphQLSchema> {
  const instances = new Map<unknown, object>(resolvers.map((r) => [r.constructor, r]));
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  const classes = [...instances.keys()] as [Function, ...Function[]];
  keepArgumentsUnvalidated();
  const schema = await buildSchema({
    resolvers: classes,
    container: {
      get: (someClass: unknown) => {
        const instance = instances.get(someClass);
        if (!instance) throw new Error(`No instance registered for ${String((someClass as { name?: string }).name)}`);
        return instance;
      },
    },
    authChecker: checker,
    // Arguments are validated with class-validator imported once (see argument-validation.ts).
    validateFn: validateArgument,
    emitSchemaFile: false,
  });
  callFieldResolversDirectly(schema, instances);
  return schema;
}
