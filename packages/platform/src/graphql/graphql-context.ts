import DataLoader from "dataloader";
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

/**
 * A request-scoped DataLoader named `name`: created with `batch` (and `options`) on first use
 * within one GraphQL request, then the same loader for the rest of it, so the keys every resolver
 * of the response asks for are fetched in one call and each at most once. `batch` answers one
 * value per key, in the order of the keys. Names are `<domain>.<what>` (`users.user`).
 */
export function requestLoader<K, V, C = K>(
  context: GraphQLContext,
  name: string,
  batch: DataLoader.BatchLoadFn<K, V>,
  options?: DataLoader.Options<K, V, C>,
): DataLoader<K, V, C> {
  return loader(context, name, () => new DataLoader<K, V, C>(batch, options));
}
