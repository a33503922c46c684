import type { ApolloServerOptionsWithGateway, BaseContext } from "@apollo/server";
import {
  execute,
  getNamedType,
  GraphQLError,
  isInputObjectType,
  isInputType,
  Kind,
  typeFromAST,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import type { CompiledQuery } from "graphql-jit";
import { loadGraphqlJit } from "./graphql-jit-module";

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>["gateway"];
type GatewayExecutor = Awaited<ReturnType<GatewayInterface["load"]>>["executor"];

/** What {@link jitExecution} compiled and how often it fell back, for tests and the bench. */
export interface JitStats {
  compiled: number;
  /** Executions of a compiled document. */
  jit: number;
  /** Executions by graphql-js: documents graphql-jit cannot compile, introspection, refused variables. */
  fallback: number;
}

/** Documents compiled per operation name ("" for the only one); `null` = run by graphql-js. */
type Compiled = Map<string, CompiledQuery | null>;

/**
 * Executes every operation through a function compiled once per document by graphql-jit (what
 * Mercurius does), instead of graphql-js walking the document on every request. Apollo Server 5
 * has no executor option of its own but asks a "gateway" for one; this gateway serves the local
 * schema, so Apollo's parse, validation (cached per query text), plugins and error formatting are
 * unchanged and only the execution differs.
 *
 * Compiled functions are kept per parsed document, which Apollo's document store hands back for the
 * same query text, so they live as long as Apollo keeps the document. graphql-js still runs:
 * - a document graphql-jit cannot compile;
 * - introspection (`__schema`, `__type` at the root: rare, and graphql-js is the reference);
 * - an operation whose variables hold an input object with a default value anywhere inside
 *   (graphql-jit 0.8 refuses a missing non-null field that has a default instead of using it);
 * - a request whose variables do not fit their types (nothing has run yet), so the client gets
 *   graphql-js's exact messages.
 * Errors come back as graphql-js `GraphQLError`s with the resolver's error as `originalError`,
 * which Apollo and the gateway's error formatter read.
 */
export function jitExecution(schema: GraphQLSchema): { gateway: GatewayInterface; stats: JitStats } {
  // Loaded here, at start-up, not by the first request.
  loadGraphqlJit();
  const stats: JitStats = { compiled: 0, jit: 0, fallback: 0 };
  const compiledByDocument = new WeakMap<DocumentNode, Compiled>();

  const compiledFor = (document: DocumentNode, operationName: string | null | undefined): CompiledQuery | null => {
    let byName = compiledByDocument.get(document);
    if (!byName) compiledByDocument.set(document, (byName = new Map()));
    const key = operationName ?? "";
    let compiled = byName.get(key);
    if (compiled === undefined) {
      compiled = compile(schema, document, operationName ?? undefined);
      if (compiled) stats.compiled++;
      byName.set(key, compiled);
    }
    return compiled;
  };

  const executor: GatewayExecutor = async (requestContext) => {
    const { document, request, context } = requestContext;
    const variables = request.variables ?? {};
    const compiled = compiledFor(document, request.operationName);
    if (compiled) {
      const result = await compiled.query(undefined, context, variables);
      // No data at all: the variables were refused before anything ran; graphql-js words it.
      if (result.data !== undefined) {
        stats.jit++;
        return result.errors ? { ...result, errors: result.errors.map(asGraphQLJsError) } : result;
      }
    }
    stats.fallback++;
    return (await execute({
      schema,
      document,
      contextValue: context,
      variableValues: variables,
      operationName: request.operationName,
    })) as ExecutionResult;
  };

  const gateway: GatewayInterface = {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: "" });
      return () => {};
    },
    load: async () => ({ executor }),
    stop: async () => {},
  };
  return { gateway, stats };
}

/** Compiles the operation, or null when graphql-js must run it (introspection, or not compilable). */
function compile(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined) {
  const operation = operationOf(document, operationName);
  if (!operation || introspects(operation) || hasInputDefaults(schema, operation)) return null;
  const { compileQuery, isCompiledQuery } = loadGraphqlJit();
  try {
    const compiled = compileQuery(schema, document, operationName, {
      // Errors keep the resolver's own stack (as originalError); no second capture per error.
      disablingCapturingStackErrors: true,
      // @skip/@include on fragment spreads evaluated per path, as graphql-js does.
      useExperimentalPathBasedSkipInclude: true,
    });
    return isCompiledQuery(compiled) ? compiled : null;
  } catch {
    return null;
  }
}

function operationOf(document: DocumentNode, operationName: string | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  return operationName === undefined
    ? operations.length === 1
      ? operations[0]
      : undefined
    : operations.find((o) => o.name?.value === operationName);
}

/** Whether the operation asks for the schema itself at its root (directly or through fragments). */
function introspects(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.some(
    (s) => s.kind !== Kind.FIELD || (s.name.value.startsWith("__") && s.name.value !== "__typename"),
  );
}

/** Whether a variable's type holds, at any depth, an input field with a default value. */
function hasInputDefaults(schema: GraphQLSchema, operation: OperationDefinitionNode): boolean {
  const seen = new Set<GraphQLInputObjectType>();
  const visit = (type: GraphQLInputType): boolean => {
    const named = getNamedType(type);
    if (!isInputObjectType(named) || seen.has(named)) return false;
    seen.add(named);
    return Object.values(named.getFields()).some((field) => field.defaultValue !== undefined || visit(field.type));
  };
  return (operation.variableDefinitions ?? []).some((definition) => {
    const type = typeFromAST(schema, definition.type);
    return type !== undefined && isInputType(type) && visit(type);
  });
}

/**
 * graphql-jit's errors are its own `GraphQLError` (a subclass, with `extensions` undefined when the
 * original has none, which Apollo does not expect): made graphql-js's again, same message, path,
 * locations and original error.
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  const copy = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions ?? undefined,
  });
  if (error.locations) (copy as { locations?: GraphQLError["locations"] }).locations = error.locations;
  return copy;
}
