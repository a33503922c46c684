import type { FastifyInstance, FastifyReply } from "fastify";
import { DomainException, ErrorCode, RequestContext, type Clock } from "@honour/platform";
import { EXPORT_DOWNLOAD_PATH, PrivacyErrorCode, PrivacyException, type PrivacyServices } from "@honour/privacy";
import { SESSION_COOKIE, type UsersServices } from "@honour/users";
import { DEFAULT_RETRY_AFTER_SECONDS } from "../graphql/rate-limited";
import type { DataSource } from "typeorm";

/** The HTTP status of each refusal of a download; anything else unexpected is a 500. */
function statusOf(error: DomainException): number {
  if (error instanceof PrivacyException) {
    switch (error.reason) {
      case PrivacyErrorCode.EXPORT_EXPIRED:
        return 410;
      case PrivacyErrorCode.EXPORT_NOT_READY:
        return 409;
      default:
        break;
    }
  }
  switch (error.code) {
    case ErrorCode.UNAUTHENTICATED:
      return 401;
    case ErrorCode.FORBIDDEN:
      return 403;
    case ErrorCode.NOT_FOUND:
      return 404;
    case ErrorCode.RATE_LIMITED:
      return 429;
    case ErrorCode.CONFLICT:
      return 409;
    default:
      return 400;
  }
}

function refuse(reply: FastifyReply, error: DomainException) {
  const code = error instanceof PrivacyException ? error.reason : error.code;
  if (error.code === ErrorCode.RATE_LIMITED) {
    const seconds = error.extra.retryAfterSeconds;
    reply.header(
      "retry-after",
      String(typeof seconds === "number" && seconds > 0 ? Math.ceil(seconds) : DEFAULT_RETRY_AFTER_SECONDS),
    );
  }
  return reply
    .code(statusOf(error))
    .header("cache-control", "no-store")
    .header("referrer-policy", "no-referrer")
    .send({ code, message: error.message });
}

/**
 * `GET /privacy/exports/:id/:sig`: a person's copy of their data, for that person's own session
 * only. The path is a capability (with the session): it is kept out of caches and Referer headers.
 */
export async function registerPrivacyRoutes(
  app: FastifyInstance,
  privacy: PrivacyServices,
  users: UsersServices,
  dataSource: DataSource,
  clock: Clock,
): Promise<void> {
  app.get<{ Params: { id: string; sig: string } }>(`${EXPORT_DOWNLOAD_PATH}/:id/:sig`, async (request, reply) => {
    const base = new RequestContext(
      dataSource,
      { kind: "anonymous" },
      clock,
      dataSource.manager,
      request.ip,
      request.id,
    );
    try {
      const actor = await users.sessions.resolveActor(base, request.cookies[SESSION_COOKIE]);
      const download = await privacy.exports.download(base.withActor(actor), request.params.id, request.params.sig);
      return reply
        .code(200)
        .header("content-type", "application/json; charset=utf-8")
        .header("content-disposition", `attachment; filename="${download.fileName}"`)
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .header("x-content-type-options", "nosniff")
        .send(download.body);
    } catch (error) {
      if (error instanceof DomainException) return refuse(reply, error);
      throw error;
    }
  });
}
