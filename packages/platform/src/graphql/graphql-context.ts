import type { RequestContext } from "../context/request-context";

export interface CookieOptions {
  expires?: Date;
}

/** The GraphQL context every resolver receives. */
export interface GraphQLContext {
  /** The request context to pass to services. */
  ctx: RequestContext;
  /** HTTP effects for resolvers; the gateway applies HttpOnly, SameSite, Path and Secure. */
  http: {
    setCookie(name: string, value: string, options?: CookieOptions): void;
    clearCookie(name: string): void;
    userAgent?: string;
  };
  /** Request-scoped cache for DataLoaders, keyed by loader name. */
  loaders: Map<string, unknown>;
}

/** A request-scoped loader, created on first use within one request. */
export function loader<T>(context: GraphQLContext, name: string, create: () => T): T {
  let existing = context.loaders.get(name) as T | undefined;
  if (!existing) {
    existing = create();
    context.loaders.set(name, existing);
  }
  return existing;
}
