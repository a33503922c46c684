import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

/** `whsec_` and the base64 of 24 random bytes (192 bits): the Standard Webhooks secret format. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

/**
 * Seals and opens endpoint secrets. Signing needs the secret itself (a hash would not do), so it
 * is stored encrypted with AES-256-GCM under a key derived from the server secret
 * (`HONOUR_SECRET`): a copy of the table alone does not let anyone sign as Honour.
 */
export class WebhookSecretBox {
  private readonly key: Buffer;

  constructor(serverSecret: string) {
    this.key = createHmac("sha256", serverSecret).update("honour:webhook-endpoint-secret:v1").digest();
  }

  /** `v1.` iv, tag and ciphertext, base64url, dot-separated. The endpoint id is bound in as data. */
  seal(endpointId: string, secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv).setAAD(Buffer.from(endpointId, "utf8"));
    const sealed = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    return ["v1", iv, cipher.getAuthTag(), sealed]
      .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
      .join(".");
  }

  /** The secret; throws if the value was altered, moved to another endpoint or sealed under another key. */
  open(endpointId: string, sealed: string): string {
    const [version, iv, tag, data] = sealed.split(".");
    if (version !== "v1" || !iv || !tag || data === undefined) throw new Error("not a sealed webhook secret");
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"))
      .setAAD(Buffer.from(endpointId, "utf8"))
      .setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
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
