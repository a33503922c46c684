import { ANONYMOUS, ForbiddenException, PARTNER_ROLE, UnauthenticatedException, type Actor } from "@honour/platform";
import type { CookieOptions, GraphQLContext } from "@honour/platform/graphql";
import type { RequestContext } from "@honour/platform";
import { graphql, type GraphQLError, type GraphQLSchema } from "graphql";
import { buildSchema, type AuthCheckerFn, type BuildSchemaOptions } from "type-graphql";

/**
 * The rules of the gateway's auth checker (apps/gateway/src/graphql/auth-checker.ts), for a
 * package's schema built in-process: UNAUTHENTICATED when nobody is signed in, FORBIDDEN when the
 * caller is known but not allowed. A package cannot import the app, so the rules are restated
 * here, once.
 */
export const gatewayAuthChecker: AuthCheckerFn<GraphQLContext> = ({ context }, roles) => {
  const actor = context.ctx.actor;
  if (actor.kind === "user") {
    if (roles.length > 0 && !roles.includes(actor.role)) throw new ForbiddenException();
    return true;
  }
  if (actor.kind === "partner") {
    if (!roles.includes(PARTNER_ROLE)) throw new ForbiddenException();
    return true;
  }
  if (actor.kind === "anonymous") throw new UnauthenticatedException();
  throw new ForbiddenException();
};

export interface GraphQLHarnessOptions {
  /** Resolver instances, built with the services under test. */
  resolvers: readonly object[];
  /** The request context a call acting as `actor` runs in. */
  ctx(actor: Actor): RequestContext;
  /** type-graphql's `validate` (default: the gateway's, `{ forbidUnknownValues: false, stopAtFirstError: false }`). */
  validate?: BuildSchemaOptions["validate"];
}

/** One in-process call, as a client over HTTP would see it. */
export interface GraphQLCall {
  /** Through JSON, as over HTTP (a DateTime is an ISO string here). */
  data: Record<string, unknown> | null;
  /** Each error's code: the domain exception's `code`, else `extensions.code`. */
  codes: (string | undefined)[];
  /** Each error's `extra.reason`, where the exception has one. */
  reasons: (string | undefined)[];
  errors: readonly GraphQLError[];
  /** What the resolvers asked the HTTP layer to do with cookies. */
  cookies: { set: [string, string, CookieOptions?][]; cleared: string[] };
}

export interface GraphQLHarness {
  schema: GraphQLSchema;
  /** Runs `source` against the schema as `actor` (anonymous by default). */
  call(source: string, variables?: Record<string, unknown>, actor?: Actor): Promise<GraphQLCall>;
  /** `name(arg: Type, …): Type` of a root field, as a contract writes it; says so when it is missing. */
  signature(root: "Query" | "Mutation", name: string): string;
}

/**
 * A package's GraphQL schema built in-process with type-graphql's `buildSchema` and
 * {@link gatewayAuthChecker}, called with `graphql()` and a fake HTTP context: the API of one
 * package tested without a gateway.
 */
export async function buildGraphQLHarness(options: GraphQLHarnessOptions): Promise<GraphQLHarness> {
  const { resolvers } = options;
  const schema = await buildSchema({
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
    resolvers: resolvers.map((r) => r.constructor) as [Function, ...Function[]],
    container: { get: (cls) => resolvers.find((r) => r instanceof cls) },
    authChecker: gatewayAuthChecker,
    validate: options.validate ?? { forbidUnknownValues: false, stopAtFirstError: false },
  });
  return {
    schema,
    call: async (source, variables = {}, actor = ANONYMOUS) => {
      const cookies: GraphQLCall["cookies"] = { set: [], cleared: [] };
      const contextValue: GraphQLContext = {
        ctx: options.ctx(actor),
        http: {
          setCookie: (name, value, cookieOptions) => void cookies.set.push([name, value, cookieOptions]),
          clearCookie: (name) => void cookies.cleared.push(name),
        },
        loaders: new Map(),
      };
      const result = await graphql({ schema, source, variableValues: variables, contextValue });
      const errors = result.errors ?? [];
      const originals = errors.map(
        (e) => e.originalError as { code?: string; extra?: { reason?: string } } | undefined,
      );
      return {
        data: JSON.parse(JSON.stringify(result.data ?? null)) as Record<string, unknown> | null,
        codes: errors.map((e, i) => originals[i]?.code ?? (e.extensions?.code as string | undefined)),
        reasons: originals.map((o) => o?.extra?.reason),
        errors,
        cookies,
      };
    },
    signature: (root, name) => {
      const field = (root === "Query" ? schema.getQueryType() : schema.getMutationType())?.getFields()[name];
      if (!field) return `${root}.${name} is missing`;
      const args = field.args.map((a) => `${a.name}: ${a.type.toString()}`).join(", ");
      return `${name}${args ? `(${args})` : ""}: ${field.type.toString()}`;
    },
  };
}
