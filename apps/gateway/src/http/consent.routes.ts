import type { FastifyInstance } from "fastify";
import { RequestContext, type Clock } from "@honour/platform";
import {
  renderUnsubscribeDone,
  renderUnsubscribePage,
  type ConsentServices,
  type UnsubscribePageOptions,
} from "@honour/consent";
import type { DataSource } from "typeorm";
import { refusal } from "./error-envelope";
import { renderPage, sendPage } from "./pages/layout";

/** The one-click body of RFC 8058; the page's confirm button posts the same. */
const ONE_CLICK = "List-Unsubscribe=One-Click";

/** The unsubscribe pages in the people's pages' layout, linking to the person's own preference centre. */
function pageOptions(preferencesUrl: string, preferencesToken: string | undefined): UnsubscribePageOptions {
  return {
    preferencesUrl: preferencesToken
      ? `${preferencesUrl}?token=${encodeURIComponent(preferencesToken)}`
      : preferencesUrl,
    layout: (title, body) => renderPage({ title, body }),
  };
}

/**
 * The unsubscribe link of every marketing message (RFC 8058). GET shows a page with a confirm
 * button and changes nothing, since mail scanners follow links; POST with the one-click body
 * withdraws the topic on EMAIL at once and answers 200, never a redirect.
 */
export async function registerConsentRoutes(
  app: FastifyInstance,
  consent: ConsentServices,
  dataSource: DataSource,
  clock: Clock,
  preferencesUrl: string,
): Promise<void> {
  const anonymous = (ip: string, id: string) =>
    new RequestContext(dataSource, { kind: "anonymous" }, clock, dataSource.manager, ip, id);
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"],
      { parseAs: "string", bodyLimit: 1024 },
      (_request, body, done) => done(null, body),
    );

    scope.get<{ Params: { token: string } }>("/unsubscribe/:token", async (request, reply) => {
      const view = await consent.unsubscribe.describe(anonymous(request.ip, request.id), request.params.token);
      return sendPage(
        reply,
        view.valid ? 200 : 404,
        renderUnsubscribePage(view, pageOptions(preferencesUrl, view.valid ? view.preferencesToken : undefined)),
      );
    });

    scope.post<{ Params: { token: string }; Body: string | undefined }>(
      "/unsubscribe/:token",
      async (request, reply) => {
        const body = typeof request.body === "string" ? request.body : "";
        // urlencoded and text/plain carry the pair as is; multipart carries it as a field.
        const oneClick =
          new URLSearchParams(body.trim()).get("List-Unsubscribe") === "One-Click" ||
          /name="List-Unsubscribe"\r?\n\r?\nOne-Click\r?\n/.test(body);
        if (!oneClick) {
          return refusal(reply, 400, "BAD_REQUEST", `The body must be ${ONE_CLICK}.`);
        }
        const outcome = await consent.unsubscribe.oneClick(anonymous(request.ip, request.id), request.params.token);
        return sendPage(
          reply,
          outcome.done ? 200 : 404,
          renderUnsubscribeDone(
            outcome,
            pageOptions(preferencesUrl, outcome.done ? outcome.preferencesToken : undefined),
          ),
        );
      },
    );
  });
}
