import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestListener,
} from "@apollo/server";
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from "graphql";
import { DEFAULT_PAGE_SIZE } from "@honour/platform";
import { getComplexity, simpleEstimator, type ComplexityEstimator } from "graphql-query-complexity";

export interface QueryLimits {
  /** Deepest selection allowed (introspection fields are not counted). */
  maxDepth: number;
  /** Highest estimated cost allowed; list fields cost their page size times their children. */
  maxComplexity: number;
}

/** A full page of 100 orders with every field a partner may read costs about 2 100. */
export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxComplexity: 5000 };

/** Both limits answer like any other invalid query, with a `reason` and the `limit`. */
function tooExpensive(message: string, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: "GRAPHQL_VALIDATION_FAILED", ...extensions, http: { status: 400 } },
  });
}

/** A validation rule, so it runs once per distinct query text and is cached with the parse. */
export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const depthOf = (selectionSet: SelectionSetNode, depth: number, seen: Set<string>): number => {
      let deepest = depth;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith("__")) continue;
          deepest = Math.max(
            deepest,
            selection.selectionSet ? depthOf(selection.selectionSet, depth + 1, seen) : depth + 1,
          );
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet, depth, seen));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || seen.has(name)) continue; // cycles are reported by the standard rules
          deepest = Math.max(deepest, depthOf(fragment.selectionSet, depth, new Set(seen).add(name)));
        }
        if (deepest > maxDepth) return deepest;
      }
      return deepest;
    };
    return {
      OperationDefinition(node: OperationDefinitionNode) {
        const depth = depthOf(node.selectionSet, 0, new Set());
        if (depth > maxDepth) {
          context.reportError(
            tooExpensive(`The query is nested ${depth} levels deep; the limit is ${maxDepth}.`, {
              reason: "QUERY_TOO_DEEP",
              limit: maxDepth,
            }),
          );
        }
      },
    };
  };
}

/**
 * Refuses an operation whose type the schema has no root for (`subscription { … }`: Honour has no
 * subscriptions). graphql-js 16 only finds that out when it executes, as an error without a code,
 * which would pass for an internal error; this makes it a validation failure like any other.
 */
export function knownOperationTypeRule(context: ValidationContext) {
  return {
    OperationDefinition(node: OperationDefinitionNode) {
      if (context.getSchema().getRootType(node.operation)) return;
      context.reportError(
        new GraphQLError(`This API has no ${node.operation} operations.`, {
          nodes: [node],
          extensions: { reason: "UNSUPPORTED_OPERATION_TYPE" },
        }),
      );
    },
  };
}

/**
 * Deepest JSON allowed in `variables`. The deepest input of the schema is a handful of levels;
 * far deeper JSON would overflow the stack of every recursive walk over it (graphql-js's
 * coercion, JSON.stringify) and end as an internal error instead of an input error.
 */
export const MAX_VARIABLE_DEPTH = 32;

/** How deeply nested a JSON value is (a scalar is 0), walked without recursion; stops past `limit`. */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    const inner = depth + 1;
    deepest = Math.max(deepest, inner);
    if (deepest > limit) return deepest;
    for (const child of Object.values(item as Record<string, unknown>)) stack.push([child, inner]);
  }
  return deepest;
}

/** Distinct variable sets remembered per query; beyond that the cost is computed each time. */
const MAX_CACHED_VARIABLE_SETS = 64;

/** Fields with a `first` argument return up to that many items, each costing its children. */
const pageSizeEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!field.args.some((arg) => arg.name === "first")) return undefined;
  const first = typeof args.first === "number" ? args.first : DEFAULT_PAGE_SIZE;
  return 1 + Math.max(1, first) * childComplexity;
};

/**
 * Rejects a query whose estimated cost is too high before any resolver runs. Needs the
 * variables, so it runs per request in `didResolveOperation`.
 */
export function complexityLimitPlugin<TContext extends BaseContext>(
  maxComplexity: number,
  charge?: (requestContext: GraphQLRequestContextDidResolveOperation<TContext>, cost: number) => Promise<void>,
): ApolloServerPlugin<TContext> {
  // Apollo hands back the same parsed document for the same query text, so the cost of a query
  // and its variables is computed once, not on every request (it walks the whole document).
  const costs = new WeakMap<DocumentNode, Map<string, number>>();
  // Holds no state of a request: one listener serves them all (nothing allocated per request).
  const listener: GraphQLRequestListener<TContext> = {
    async didResolveOperation(requestContext) {
      const { request, document, schema } = requestContext;
      if (jsonDepth(request.variables ?? {}, MAX_VARIABLE_DEPTH + 1) > MAX_VARIABLE_DEPTH + 1) {
        throw new GraphQLError(`The variables are nested too deeply; the limit is ${MAX_VARIABLE_DEPTH} levels.`, {
          extensions: {
            code: "BAD_USER_INPUT",
            reason: "VARIABLES_TOO_DEEP",
            limit: MAX_VARIABLE_DEPTH,
            http: { status: 400 },
          },
        });
      }
      const key = `${request.operationName ?? ""}\u0000${JSON.stringify(request.variables ?? {})}`;
      let byVariables = costs.get(document);
      let complexity = byVariables?.get(key);
      if (complexity === undefined) {
        try {
          complexity = getComplexity({
            schema,
            query: document,
            variables: request.variables ?? {},
            operationName: request.operationName ?? undefined,
            estimators: [pageSizeEstimator, simpleEstimator({ defaultComplexity: 1 })],
          });
        } catch {
          // Variables that do not fit their types: execution rejects them as BAD_USER_INPUT
          // before any resolver runs, so there is nothing to cost here (but it is an operation).
          await charge?.(requestContext, 0);
          return;
        }
        if (!byVariables) costs.set(document, (byVariables = new Map()));
        if (byVariables.size < MAX_CACHED_VARIABLE_SETS) byVariables.set(key, complexity);
      }
      // The rate limits take the operation and its cost (0 when refused as too expensive).
      await charge?.(requestContext, complexity > maxComplexity ? 0 : complexity);
      if (complexity > maxComplexity) {
        throw tooExpensive(`The query costs ${complexity}; the limit is ${maxComplexity}.`, {
          reason: "QUERY_TOO_COMPLEX",
          limit: maxComplexity,
        });
      }
    },
  };
  return { requestDidStart: async () => listener };
}
