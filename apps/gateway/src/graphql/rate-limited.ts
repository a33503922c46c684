import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from "@apollo/server";

/** Said when the service that refused did not say how long to wait. */
export const DEFAULT_RETRY_AFTER_SECONDS = 60;

/**
 * The `Retry-After` of an answer holding `RATE_LIMITED` errors: the longest wait they name
 * (`extensions.retryAfterSeconds`), or {@link DEFAULT_RETRY_AFTER_SECONDS}. Undefined when none is
 * rate limited.
 */
export function retryAfterOf(errors: readonly { extensions?: Record<string, unknown> }[]): number | undefined {
  let seconds: number | undefined;
  for (const error of errors) {
    if (error.extensions?.code !== "RATE_LIMITED") continue;
    const named = error.extensions.retryAfterSeconds;
    const wait = typeof named === "number" && named > 0 ? Math.ceil(named) : DEFAULT_RETRY_AFTER_SECONDS;
    seconds = Math.max(seconds ?? 0, wait);
  }
  return seconds;
}

/**
 * A GraphQL answer holding `RATE_LIMITED` carries HTTP `Retry-After`, as the HTTP routes' 429 do,
 * so clients and proxies that know HTTP back off without reading the body.
 */
export function rateLimitedPlugin(): ApolloServerPlugin {
  // Holds no state of a request: one listener serves them all (nothing allocated per request).
  const listener: GraphQLRequestListener<BaseContext> = {
    async willSendResponse({ response }) {
      if (response.body.kind !== "single") return;
      const seconds = retryAfterOf(response.body.singleResult.errors ?? []);
      if (seconds !== undefined) response.http.headers.set("retry-after", String(seconds));
    },
  };
  return { requestDidStart: async () => listener };
}
