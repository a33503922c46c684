import type { FastifyReply, FastifyRequest } from "fastify";
import { GraphQLError } from "graphql";
import type { DataSource } from "typeorm";
import type { AppServices } from "@honour/composition";
import {
  DomainException,
  RateLimitedException,
  RequestContext,
  UnauthenticatedException,
  type Actor,
  type Clock,
} from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { SESSION_COOKIE, type UserEntity } from "@honour/users";
import { userLoader } from "@honour/users/graphql";
import type { BucketPolicy, BucketState, RateLimitStore } from "./rate-limit-store";
import { rateLimitHeaders } from "./rate-limits";
import { unavailableContextError } from "./service-unavailable";
import type { TrustedDocuments } from "./trusted-documents";

export interface GraphQLContextDeps {
  dataSource: DataSource;
  clock: Clock;
  services: AppServices;
  cookieSecure: boolean;
  /** Which requests run a trusted document; without it, every request counts as trusted. */
  trustedDocuments?: TrustedDocuments;
  /** Refuse ad-hoc documents from partner keys (`PARTNER_TRUSTED_DOCUMENTS_ONLY`), and from everyone else. */
  trustedOnly?: { partners: boolean; site: boolean };
  /** Where refused partner keys are counted per IP, and how many are logged in 15 minutes; none without it. */
  rejections?: { store: RateLimitStore; perIp: number };
}

/**
 * Refused partner keys logged per client IP, refilled over 15 minutes (the quota is
 * `PARTNER_KEY_REJECTIONS_PER_IP`, 10). Past them the IP's refusals answer 429 `RATE_LIMITED` and
 * are not logged, so the security log cannot be flooded with `PARTNER_KEY_REJECTED`; a valid key
 * from the same IP (a shared NAT) still works.
 */
export const PARTNER_KEY_REJECTIONS: BucketPolicy = { name: "partner-key-rejections", quota: 10, windowSeconds: 900 };

/** `Authorization: Bearer <session token>`: 43 base64url characters, never a partner key (`hpk_…`). */
const SESSION_BEARER = /^Bearer ((?!hpk_)[A-Za-z0-9_-]{43})$/;

function invalidBearerSession(): GraphQLError {
  const error = new UnauthenticatedException("The session token is not valid, or the session has ended.");
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { code: error.code, http: { status: 401, headers: new Map([["www-authenticate", "Bearer"]]) } },
  });
}

function persistedQueryRequired(): GraphQLError {
  return new GraphQLError(
    "Only trusted documents are accepted here: send the documentId of an operation from @honour/client's manifest.",
    { extensions: { code: "PERSISTED_QUERY_REQUIRED", http: { status: 400 } } },
  );
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
    const rejections = deps.rejections;
    const throttle =
      ctx.ip && rejections && rejections.perIp > 0
        ? {
            store: rejections.store,
            key: `ip:${ctx.ip}`,
            policy: { ...PARTNER_KEY_REJECTIONS, quota: rejections.perIp },
          }
        : undefined;
    // Past its allowance an IP's refusals are answered 429 and not logged; a valid key still works.
    // The IP's bucket is read only once a key is refused: a working key costs no round trip to it.
    let read: Promise<BucketState | undefined> | undefined;
    const readThrottle = () =>
      (read ??= throttle ? throttle.store.take(throttle.key, throttle.policy, 0) : Promise.resolve(undefined));
    const isThrottled = (s: BucketState | undefined) => s !== undefined && s.remaining < 1;
    try {
      const key = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header)?.[1];
      if (!services.partnerKeys) throw new UnauthenticatedException("The API key is not valid.");
      // A header that is no key at all is refused (and logged) like a wrong key.
      return await services.partnerKeys.resolveApiKey(ctx, key ?? "", {
        recordRejection: async () => !isThrottled(await readThrottle()),
      });
    } catch (error) {
      if (!(error instanceof DomainException)) throw error;
      let limitHeaders = new Map<string, string>();
      const state = await readThrottle();
      if (throttle && state) {
        if (isThrottled(state)) {
          const wait = Math.max(1, Math.ceil(state.resetSeconds / throttle.policy.quota));
          const refused = new RateLimitedException("Too many refused API keys from this address.", wait);
          throw new GraphQLError(refused.message, {
            originalError: refused,
            extensions: {
              code: refused.code,
              http: { status: 429, headers: rateLimitHeaders(throttle.policy, state, [["retry-after", String(wait)]]) },
            },
          });
        }
        const after = await throttle.store.take(throttle.key, throttle.policy, 1);
        limitHeaders = rateLimitHeaders(throttle.policy, after);
      }
      throw new GraphQLError(error.message, {
        originalError: error,
        extensions: {
          code: error.code,
          http: { status: 401, headers: new Map([...limitHeaders, ["www-authenticate", "Bearer"]]) },
        },
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
    const bearerSession = SESSION_BEARER.exec(authorization ?? "")?.[1];
    if (bearerSession) {
      // A native app's or server-side renderer's session (login's bearerToken): no cookie to slide.
      ({ actor, user } = await services.users.sessions.resolve(base, bearerSession));
      if (actor.kind === "anonymous") throw invalidBearerSession();
    } else if (authorization !== undefined) {
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
    const trusted = deps.trustedDocuments?.isTrusted(request) ?? true;
    if (!trusted && (actor.kind === "partner" ? deps.trustedOnly?.partners : deps.trustedOnly?.site)) {
      throw persistedQueryRequired();
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
