import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { DomainException, ErrorCode, RequestContext, type Clock } from "@honour/platform";
import { EMAIL_CHANGE_PATH, VERIFY_EMAIL_PATH, type UsersServices } from "@honour/users";
import type { DataSource } from "typeorm";
import { refusal } from "./error-envelope";
import { escapeHtml, isCrossSite, notice, renderPage, sendPage } from "./pages/layout";

/** The link is dead: one page for unknown, used, expired and superseded tokens. */
const DEAD_LINK =
  "This link is not valid any more: it was used already, it expired, or a newer one was mailed. " +
  "Sign in and ask for a new one.";

/** What a link's page offers: what will happen, and the one button that does it (the token in a hidden field). */
function confirmPage(
  title: string,
  action: string,
  token: string,
  explanation: string,
  button: string,
  error?: string,
) {
  return renderPage({
    title,
    body:
      (error ? notice(error, "alert") : "") +
      `<p>${escapeHtml(explanation)}</p>` +
      `<form method="post" action="${action}">` +
      `<input type="hidden" name="token" value="${escapeHtml(token)}">` +
      `<p><button type="submit">${escapeHtml(button)}</button></p></form>`,
  });
}

function donePage(title: string, text: string): string {
  return renderPage({ title, body: `${notice(text)}<p><a href="/">Continue</a></p>` });
}

/**
 * The pages the account mails link to, besides the password reset's (account.routes.ts):
 *
 * - `GET /account/verify?token=…` says what the button does and changes nothing (mail scanners
 *   follow links); `POST /account/verify` (form-encoded `token`) verifies the address.
 * - `GET /account/email?token=…` likewise for an email change; `POST /account/email` switches the
 *   account to the new address (which is then verified).
 *
 * Both POSTs are refused from another site (403), answer a dead link with 400 and the page again,
 * and never sign anybody in: the token proves the mailbox, not the account's password. Every page
 * is `no-store` and `Referrer-Policy: no-referrer` with a CSP without script (pages/layout.ts).
 */
export async function registerAccountEmailRoutes(
  app: FastifyInstance,
  users: UsersServices,
  dataSource: DataSource,
  clock: Clock,
  options: { publicUrl: string },
): Promise<void> {
  const anonymous = (request: FastifyRequest) =>
    new RequestContext(dataSource, { kind: "anonymous" }, clock, dataSource.manager, request.ip, request.id);
  const publicOrigin = new URL(options.publicUrl).origin;
  const tokenFromQuery = (request: FastifyRequest<{ Querystring: { token?: string } }>) =>
    typeof request.query.token === "string" ? request.query.token : "";

  const verifyPage = (token: string, error?: string) =>
    confirmPage(
      "Confirm your email address",
      VERIFY_EMAIL_PATH,
      token,
      "Press the button to confirm that this email address is yours. The newsletters and offers you chose " +
        "when you registered start only then.",
      "Confirm my email address",
      error,
    );
  const changePage = (token: string, error?: string) =>
    confirmPage(
      "Use your new email address",
      EMAIL_CHANGE_PATH,
      token,
      "Press the button to make this address your account's email address. Until you do, your account keeps " +
        "the address it has.",
      "Use this address",
      error,
    );

  /** The form's token, or null (with the 403 sent) for a POST from another site. */
  function formToken(request: FastifyRequest<{ Body: string | undefined }>, reply: FastifyReply): string | null {
    if (isCrossSite(request.headers, publicOrigin)) {
      reply.header("referrer-policy", "no-referrer");
      void refusal(reply, 403, "FORBIDDEN", "The form must be sent from this site.");
      return null;
    }
    return new URLSearchParams(typeof request.body === "string" ? request.body : "").get("token") ?? "";
  }

  await app.register(async (scope) => {
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: 4096 },
      (_request, body, done) => done(null, body),
    );

    scope.get<{ Querystring: { token?: string } }>(VERIFY_EMAIL_PATH, async (request, reply) =>
      sendPage(reply, 200, verifyPage(tokenFromQuery(request))),
    );

    scope.post<{ Body: string | undefined }>(VERIFY_EMAIL_PATH, async (request, reply) => {
      const token = formToken(request, reply);
      if (token === null) return reply;
      try {
        await users.emailVerifications.verify(anonymous(request), token);
        return sendPage(
          reply,
          200,
          donePage("Your email address is confirmed", "Thank you: your address is confirmed."),
        );
      } catch (error) {
        if (error instanceof DomainException && error.code === ErrorCode.BAD_USER_INPUT) {
          return sendPage(reply, 400, verifyPage(token, DEAD_LINK));
        }
        throw error;
      }
    });

    scope.get<{ Querystring: { token?: string } }>(EMAIL_CHANGE_PATH, async (request, reply) =>
      sendPage(reply, 200, changePage(tokenFromQuery(request))),
    );

    scope.post<{ Body: string | undefined }>(EMAIL_CHANGE_PATH, async (request, reply) => {
      const token = formToken(request, reply);
      if (token === null) return reply;
      try {
        await users.emailChanges.confirm(anonymous(request), token);
        return sendPage(
          reply,
          200,
          donePage("Your email address was changed", "Your account now uses this address, and it is confirmed."),
        );
      } catch (error) {
        if (error instanceof DomainException && error.code === ErrorCode.BAD_USER_INPUT) {
          return sendPage(reply, 400, changePage(token, DEAD_LINK));
        }
        if (error instanceof DomainException && error.code === ErrorCode.CONFLICT) {
          // Taken by another account since the request: say so, nothing more about that account.
          return sendPage(
            reply,
            409,
            changePage(token, "Another account uses this address now, so yours keeps the address it has."),
          );
        }
        throw error;
      }
    });
  });
}
