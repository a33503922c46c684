import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from "@apollo/server";
import { GraphQLError } from "graphql";
import {
  ServiceUnavailableException,
  SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS,
  isDatabaseUnavailable,
} from "@honour/platform";

const CODE = "SERVICE_UNAVAILABLE";
const GRAPHQL_RESPONSE = "application/graphql-response+json";

/**
 * While the database is away a GraphQL answer says so with HTTP, too: every answer holding a
 * `SERVICE_UNAVAILABLE` error carries `Retry-After`, and one with no data is a 503 for clients that
 * accept `application/graphql-response+json` (the GraphQL-over-HTTP media type, whose status
 * codes mean something; `application/json` answers stay 200, as that media type requires).
 */
export function serviceUnavailablePlugin(): ApolloServerPlugin {
  // Holds no state of a request: one listener serves them all (nothing allocated per request).
  const listener: GraphQLRequestListener<BaseContext> = {
    async willSendResponse({ request, response }) {
      if (response.body.kind !== "single") return;
      const { errors, data } = response.body.singleResult;
      if (!errors?.some((error) => error.extensions?.code === CODE)) return;
      response.http.headers.set("retry-after", String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS));
      const accept = request.http?.headers.get("accept") ?? "";
      if (data == null && accept.includes(GRAPHQL_RESPONSE)) response.http.status = 503;
    },
  };
  return { requestDidStart: async () => listener };
}

/**
 * For the context function, which runs before any plugin: a database outage while reading the
 * session or API key becomes a 503 with `Retry-After` (Apollo's default for a failed context is a
 * 500). Other errors are rethrown unchanged.
 */
export function unavailableContextError(error: unknown): unknown {
  if (!isDatabaseUnavailable(error)) return error;
  const unavailable = new ServiceUnavailableException();
  return new GraphQLError(unavailable.message, {
    originalError: unavailable,
    extensions: {
      code: CODE,
      http: {
        status: 503,
        headers: new Map([["retry-after", String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS)]]),
      },
    },
  });
}
