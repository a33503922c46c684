import type { FastifyReply, FastifyRequest } from "fastify";
import { GraphQLError } from "graphql";
import type { DataSource } from "typeorm";
import type { AppServices } from "@honour/composition";
import { DomainException, RequestContext, UnauthenticatedException, type Actor, type Clock } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { SESSION_COOKIE, type UserEntity } from "@honour/users";
import { userLoader } from "@honour/users/graphql";
import { unavailableContextError } from "./service-unavailable";

export interface GraphQLContextDeps {
  dataSource: DataSource;
  clock: Clock;
  services: AppServices;
  cookieSecure: boolean;
}

/**
 * The context of each GraphQL request: who is calling (a partner key in `Authorization`, else the
 * session cookie, else anonymous), the request context services take first, cookie access for the
 * sign-in mutations, and the request's DataLoaders. A database outage while reading the session or
 * key becomes `SERVICE_UNAVAILABLE` (503) rather than Apollo's 500.
 */
export function createGraphQLContext(deps: GraphQLContextDeps) {
  const { dataSource, clock, services } = deps;
  const cookieOptions = { httpOnly: true, sameSite: "lax" as const, path: "/", secure: deps.cookieSecure };

  const authenticatePartner = async (ctx: RequestContext, header: string): Promise<Actor> => {
    try {
      const key = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header)?.[1];
      if (!key || !services.partnerKeys) throw new UnauthenticatedException("The API key is not valid.");
      return await services.partnerKeys.resolveApiKey(ctx, key);
    } catch (error) {
      if (!(error instanceof DomainException)) throw error;
      throw new GraphQLError(error.message, {
        originalError: error,
        extensions: { code: error.code, http: { status: 401, headers: new Map([["www-authenticate", "Bearer"]]) } },
      });
    }
  };

  const createContext = async (request: FastifyRequest, reply: FastifyReply): Promise<GraphQLContext> => {
    const base = new RequestContext(
      dataSource,
      { kind: "anonymous" },
      clock,
      dataSource.manager,
      request.ip,
      request.id,
    );
    const authorization = request.headers.authorization;
    let actor: Actor;
    let user: UserEntity | null = null;
    if (authorization !== undefined) {
      // Partners call with an API key and no cookie; a key that does not work never falls back.
      actor = await authenticatePartner(base, authorization);
    } else {
      const token = request.cookies[SESSION_COOKIE];
      const session = await services.users.sessions.resolve(base, token);
      ({ actor, user } = session);
      // The session slid forward: let the browser's cookie slide with it (at most once a minute).
      if (session.renewedUntil && token) {
        reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions, expires: session.renewedUntil });
      }
    }
    const graphqlContext: GraphQLContext = {
      ctx: base.withActor(actor),
      http: {
        setCookie: (name, value, opts) =>
          void reply.setCookie(name, value, { ...cookieOptions, expires: opts?.expires }),
        clearCookie: (name) => void reply.clearCookie(name, cookieOptions),
        userAgent: request.headers["user-agent"],
      },
      loaders: new Map(),
    };
    if (user) userLoader(graphqlContext, services.users).prime(user.id, user);
    return graphqlContext;
  };

  return async (request: FastifyRequest, reply: FastifyReply): Promise<GraphQLContext> => {
    try {
      return await createContext(request, reply);
    } catch (error) {
      throw unavailableContextError(error);
    }
  };
}
