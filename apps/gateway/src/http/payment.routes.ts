import type { FastifyInstance } from "fastify";
import { LocalPaymentProvider, type PaymentProvider } from "@honour/orders";

/** Where the demo provider's script sends the card; a real provider's script posts to the provider. */
export const PAY_TOKENS_PATH = "/pay/tokens";

/**
 * The demo payment provider's browser script, as a real provider ships one (Stripe.js, Adyen's
 * encryption): `HonourPay.tokenize({ number, expiryMonth, expiryYear, cvc })` posts the card to the
 * provider (here `POST /pay/tokens` on the server the script came from) and resolves to a single-use
 * token for `placeOrder`'s `payment.cardToken`, so the card never passes through the site's
 * servers. It rejects with an Error whose `code` is `INVALID_CARD` (or the HTTP error's code).
 */
export const PAY_SCRIPT = `(function () {
  "use strict";
  var script = document.currentScript;
  var endpoint = new URL(${JSON.stringify(PAY_TOKENS_PATH)}, script ? script.src : location.href).href;
  window.HonourPay = {
    tokenize: function (card) {
      return fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        credentials: "omit",
        body: JSON.stringify({
          number: String(card.number || ""),
          expiryMonth: Number(card.expiryMonth),
          expiryYear: Number(card.expiryYear),
          cvc: String(card.cvc || "")
        })
      }).then(function (response) {
        return response.json().then(function (body) {
          if (response.ok && body && body.token) return body.token;
          var error = new Error((body && body.message) || "The card could not be tokenised.");
          error.code = (body && body.code) || "BAD_REQUEST";
          throw error;
        });
      });
    }
  };
})();
`;

interface TokenRequest {
  number?: unknown;
  expiryMonth?: unknown;
  expiryYear?: unknown;
  cvc?: unknown;
}

/**
 * The demo (local) payment provider's browser side, served by the gateway: the script at
 * `/js/honour-pay.js` and its tokenising endpoint. Nothing is registered for another provider,
 * whose own script and servers take the card. The card in the request body is never stored or
 * logged (the request log has no bodies) and leaves memory with the answer.
 */
export function registerPaymentRoutes(app: FastifyInstance, provider: PaymentProvider): void {
  if (!(provider instanceof LocalPaymentProvider)) return;
  app.get("/js/honour-pay.js", async (_request, reply) => {
    reply.header("content-type", "application/javascript; charset=utf-8");
    reply.header("cache-control", "public, max-age=3600");
    return PAY_SCRIPT;
  });
  app.post<{ Body: TokenRequest }>(PAY_TOKENS_PATH, async (request, reply) => {
    const body = (typeof request.body === "object" && request.body !== null ? request.body : {}) as TokenRequest;
    reply.header("cache-control", "no-store");
    const { number, expiryMonth, expiryYear, cvc } = body;
    if (
      typeof number !== "string" ||
      typeof cvc !== "string" ||
      !Number.isInteger(expiryMonth) ||
      !Number.isInteger(expiryYear) ||
      number.length > 32 ||
      cvc.length > 4
    ) {
      return reply.code(400).send({ code: "INVALID_CARD", message: "Send number, expiryMonth, expiryYear and cvc." });
    }
    const made = provider.tokenizeCard({
      number,
      expiryMonth: expiryMonth as number,
      expiryYear: expiryYear as number,
      cvc,
      cardholderName: "",
    });
    if ("error" in made) {
      return reply.code(400).send({ code: made.error, message: "The card number, expiry or CVC is not valid." });
    }
    return reply.code(201).send({ token: made.token });
  });
}
