import { GraphQLObjectType, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { getMetadataStorage } from "type-graphql";

type Resolve = GraphQLFieldResolver<unknown, unknown>;
type Argument = (root: unknown, context: unknown, info: unknown) => unknown;
/** What is read of type-graphql's parameter metadata (its type is not exported). */
type Param = { kind: string; index: number; propertyName?: string; getType?: unknown };

/**
 * Field resolvers (`@FieldResolver` methods of a resolver class) that take only `@Root()`,
 * `@Ctx()` and `@Info()` and have no middlewares and no roles are called directly. type-graphql's
 * own wrapper does the same call, but on every call sorts the method's parameter list, maps it to
 * a new array and builds a resolver-data object: a fifth of the bytes a `myOrders` page allocates,
 * run for every field of every order. Anything else (arguments, which type-graphql converts and
 * validates; a typed `@Root(() => T)`, which it converts; roles; middlewares) keeps type-graphql's
 * resolver. `instances` are the resolver instances the schema was built with.
 */
export function callFieldResolversDirectly(schema: GraphQLSchema, instances: ReadonlyMap<unknown, object>): number {
  const storage = getMetadataStorage();
  let replaced = 0;
  for (const resolver of storage.fieldResolvers) {
    if (resolver.kind !== "external" || !resolver.getObjectType) continue;
    if ((resolver.middlewares?.length ?? 0) > 0 || resolver.roles !== undefined) continue;
    const instance = instances.get(resolver.target) as Record<string, unknown> | undefined;
    const method = instance?.[resolver.methodName];
    if (!instance || typeof method !== "function") continue;
    const objectClass = resolver.getObjectType();
    const typeName = storage.objectTypes.find((type) => type.target === objectClass)?.name;
    const type = typeName ? schema.getType(typeName) : undefined;
    const field = type instanceof GraphQLObjectType ? type.getFields()[resolver.schemaName] : undefined;
    if (!field) continue;
    const argumentsInOrder = [...((resolver.params ?? []) as Param[])]
      .sort((a, b) => a.index - b.index)
      .map(argumentOf);
    if (argumentsInOrder.some((argument) => argument === undefined)) continue;
    field.resolve = directly(instance, method as (...args: unknown[]) => unknown, argumentsInOrder as Argument[]);
    replaced += 1;
  }
  return replaced;
}

/** How a direct call gets one parameter, or undefined for a parameter it leaves to type-graphql. */
function argumentOf(p: Param): Argument | undefined {
  switch (p.kind) {
    case "root":
      if (p.getType) return undefined;
      return p.propertyName ? (root) => (root as Record<string, unknown>)[p.propertyName!] : (root) => root;
    case "context":
      return p.propertyName ? (_root, context) => (context as Record<string, unknown>)[p.propertyName!] : (_r, c) => c;
    case "info":
      return (_root, _context, info) => info;
    default:
      return undefined;
  }
}

function directly(instance: object, method: (...args: unknown[]) => unknown, args: Argument[]): Resolve {
  const [a, b, c] = args;
  switch (args.length) {
    case 0:
      return () => method.call(instance);
    case 1:
      return (root, _args, context, info) => method.call(instance, a!(root, context, info));
    case 2:
      return (root, _args, context, info) => method.call(instance, a!(root, context, info), b!(root, context, info));
    case 3:
      return (root, _args, context, info) =>
        method.call(instance, a!(root, context, info), b!(root, context, info), c!(root, context, info));
    default:
      return (root, _args, context, info) =>
        method.apply(
          instance,
          args.map((get) => get(root, context, info)),
        );
  }
}
