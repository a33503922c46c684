import type { FastifyInstance } from "fastify";
import { DomainException, ErrorCode, RequestContext, type Clock, type FieldError } from "@honour/platform";
import { SESSION_COOKIE, type UsersServices } from "@honour/users";
import type { DataSource } from "typeorm";
import { refusal } from "./error-envelope";
import { escapeHtml, isCrossSite, renderPage, sendPage } from "./pages/layout";

/** Where a password reset link leads; the mail builds `${PUBLIC_URL}${RESET_PATH}?token=…`. */
export const RESET_PATH = "/account/reset";

/** The form: the token rides in a hidden field, never in the form's action (no token in logs of the POST). */
export function renderResetForm(token: string, errors: FieldError[] = []): string {
  const messages: Record<string, string> = {
    "input.token": "This link is not valid any more (used, expired or replaced by a newer one). Ask for a new one.",
  };
  const list = errors
    .map((e) => `<li>${escapeHtml(messages[e.field] ?? `The new password ${e.message}.`)}</li>`)
    .join("");
  return renderPage({
    title: "Choose a new password",
    body:
      (list ? `<div role="alert"><ul>${list}</ul></div>` : "") +
      `<form method="post" action="${RESET_PATH}">` +
      `<input type="hidden" name="token" value="${escapeHtml(token)}">` +
      `<p><label for="newPassword">New password (at least 10 characters)</label><br>` +
      `<input id="newPassword" name="newPassword" type="password" autocomplete="new-password" required minlength="10" maxlength="200"></p>` +
      `<p><button type="submit">Set the new password</button></p></form>` +
      `<p>Every browser signed in to your account will be signed out.</p>`,
  });
}

/** After a reset of an account with two-factor on: the link alone signs nobody in. */
function renderResetDoneSecondFactor(): string {
  return renderPage({
    title: "Your password was changed",
    body:
      "<p>Your new password is set, and every browser was signed out. Your account has two-factor " +
      "authentication on, so sign in with your new password and a code from your authenticator app " +
      "(or a recovery code).</p>" +
      `<p><a href="/">Continue</a></p>`,
  });
}

function renderResetDone(): string {
  return renderPage({
    title: "Your password was changed",
    body:
      "<p>Your new password is set. Every other browser was signed out, and you are signed in here.</p>" +
      `<p><a href="/">Continue</a></p>`,
  });
}

/**
 * The page a password reset mail links to. GET shows the form and changes nothing (mail scanners
 * follow links); POST (form-encoded `token`, `newPassword`) sets the password, ends every session
 * of the account and signs this browser in, or shows the form again with what was wrong.
 */
export async function registerAccountRoutes(
  app: FastifyInstance,
  users: UsersServices,
  dataSource: DataSource,
  clock: Clock,
  options: { publicUrl: string; cookieSecure: boolean },
): Promise<void> {
  const anonymous = (ip: string, id: string) =>
    new RequestContext(dataSource, { kind: "anonymous" }, clock, dataSource.manager, ip, id);
  const publicOrigin = new URL(options.publicUrl).origin;
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: 4096 },
      (_request, body, done) => done(null, body),
    );

    scope.get<{ Querystring: { token?: string } }>(RESET_PATH, async (request, reply) => {
      const token = typeof request.query.token === "string" ? request.query.token : "";
      return sendPage(reply, 200, renderResetForm(token));
    });

    scope.post<{ Body: string | undefined }>(RESET_PATH, async (request, reply) => {
      // Another site must not post its own link here and sign this browser in to its account.
      if (isCrossSite(request.headers, publicOrigin)) {
        reply.header("referrer-policy", "no-referrer");
        return refusal(reply, 403, "FORBIDDEN", "The form must be sent from this site.");
      }
      const form = new URLSearchParams(typeof request.body === "string" ? request.body : "");
      const token = form.get("token") ?? "";
      try {
        const { session } = await users.users.resetPassword(
          anonymous(request.ip, request.id),
          { token, newPassword: form.get("newPassword") ?? "" },
          request.headers["user-agent"],
        );
        void reply.setCookie(SESSION_COOKIE, session.token, {
          httpOnly: true,
          sameSite: "lax",
          path: "/",
          secure: options.cookieSecure,
          expires: session.expiresAt,
        });
        return sendPage(reply, 200, renderResetDone());
      } catch (error) {
        // Invalid input and a dead token (a UsersException with fields) show the form again.
        if (error instanceof DomainException && error.code === ErrorCode.BAD_USER_INPUT) {
          return sendPage(reply, 400, renderResetForm(token, error.fields));
        }
        if (error instanceof DomainException && error.code === ErrorCode.MFA_REQUIRED) {
          return sendPage(reply, 200, renderResetDoneSecondFactor());
        }
        throw error;
      }
    });
  });
}
