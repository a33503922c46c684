import { randomBytes } from "node:crypto";
import { openSecret, sealSecret } from "@honour/platform";
import { Webhook } from "standardwebhooks";

/** `whsec_` and the base64 of 24 random bytes (192 bits): the Standard Webhooks secret format. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

/**
 * Seals and opens endpoint secrets. Signing needs the secret itself (a hash would not do), so it
 * is stored encrypted with the platform's `sealSecret` (AES-256-GCM under a key derived from the
 * server secret, `HONOUR_SECRET`): a copy of the table alone does not let anyone sign as Honour.
 * The endpoint id is part of the purpose, so a sealed secret moved to another endpoint does not open.
 */
export class WebhookSecretBox {
  constructor(private readonly serverSecret: string) {}

  /** `v1.` iv, tag and ciphertext, base64url, dot-separated. */
  seal(endpointId: string, secret: string): string {
    return sealSecret(this.serverSecret, `orders.webhook-endpoint-secret:${endpointId}`, secret);
  }

  /** The secret; throws if the value was altered, moved to another endpoint or sealed under another key. */
  open(endpointId: string, sealed: string): string {
    return openSecret(this.serverSecret, `orders.webhook-endpoint-secret:${endpointId}`, sealed);
  }
}

/** The three Standard Webhooks headers for one attempt. */
export interface WebhookSignatureHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/**
 * Signs a body as the Standard Webhooks specification says (`standardwebhooks`' own signer):
 * HMAC-SHA256 over `id.timestamp.body` with the base64-decoded secret, `v1,<base64>`. Each
 * attempt signs with its own time; the id stays the delivery's. With several secrets (the new one
 * first, then the one a rotation replaced) the header holds one signature per secret, space-separated.
 */
export function signWebhook(
  secret: string | readonly string[],
  id: string,
  at: Date,
  body: string,
): WebhookSignatureHeaders {
  const seconds = Math.floor(at.getTime() / 1000);
  const secrets = typeof secret === "string" ? [secret] : secret;
  return {
    "webhook-id": id,
    "webhook-timestamp": String(seconds),
    // Several secrets (a rotation's overlap): one signature each, space-separated, as the spec allows.
    "webhook-signature": secrets.map((s) => new Webhook(s).sign(id, new Date(seconds * 1000), body)).join(" "),
  };
}
