import type { FastifyInstance, FastifyReply } from "fastify";
import { DomainException, ErrorCode, RequestContext, type Clock } from "@honour/platform";
import { EXPORT_DOWNLOAD_PATH, PrivacyErrorCode, PrivacyException, type PrivacyServices } from "@honour/privacy";
import { SESSION_COOKIE, type UsersServices } from "@honour/users";
import { DEFAULT_RETRY_AFTER_SECONDS } from "../graphql/rate-limited";
import type { DataSource } from "typeorm";
import { escapeHtml, renderPage, sendPage } from "./pages/layout";

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

/** The download page's refusals, in words. */
function refusePage(reply: FastifyReply, error: DomainException) {
  const status = statusOf(error);
  const [title, text] =
    status === 401
      ? [
          "Sign in to download your data",
          "Sign in on our site with the account the copy was made for, then open this link again.",
        ]
      : status === 410
        ? [
            "This download has expired",
            "The copy was deleted when its link expired. You can ask for a new one at any time.",
          ]
        : status === 409
          ? ["Your copy is still being made", "We will email you when it is ready."]
          : status === 429
            ? ["Too many attempts", "Wait a little, then try again."]
            : ["There is no such download", "This link is not valid for the account you are signed in with."];
  if (status === 429) {
    const seconds = error.extra.retryAfterSeconds;
    reply.header(
      "retry-after",
      String(typeof seconds === "number" && seconds > 0 ? Math.ceil(seconds) : DEFAULT_RETRY_AFTER_SECONDS),
    );
  }
  return sendPage(reply, status, renderPage({ title, body: `<p>${escapeHtml(text)}</p>` }));
}

function formatSize(bytes: number): string {
  return bytes < 1024
    ? `${bytes} bytes`
    : bytes < 1_048_576
      ? `${Math.ceil(bytes / 1024)} kB`
      : `${(bytes / 1_048_576).toFixed(1)} MB`;
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
  app.get<{ Params: { id: string; sig: string }; Querystring: { download?: string } }>(
    `${EXPORT_DOWNLOAD_PATH}/:id/:sig`,
    async (request, reply) => {
      // A browser following the mail's link gets the download page; its button (or any other client) gets the file.
      const page = /text\/html/.test(request.headers.accept ?? "") && request.query.download !== "1";
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
        if (page) {
          const ready = await privacy.exports.describe(base.withActor(actor), request.params.id, request.params.sig);
          return sendPage(
            reply,
            200,
            renderPage({
              title: "Your data is ready",
              body:
                `<p>A copy of the personal data we hold about you, as one JSON file of ${escapeHtml(formatSize(ready.sizeBytes))}, ` +
                `made on ${ready.createdAt.toISOString().slice(0, 10)}.</p>` +
                `<p><a class="button" href="?download=1" download>Download your data</a></p>` +
                `<p>The link works until ${ready.expiresAt.toISOString().slice(0, 10)}, only while you are signed in. ` +
                `After that the copy is deleted; you can ask for a new one at any time.</p>`,
            }),
          );
        }
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
        if (error instanceof DomainException) return page ? refusePage(reply, error) : refuse(reply, error);
        throw error;
      }
    },
  );
}
