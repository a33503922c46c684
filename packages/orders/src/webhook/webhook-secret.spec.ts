import { Webhook } from "standardwebhooks";
import { newWebhookSecret, signWebhook, WebhookSecretBox } from "./webhook-secret";

describe("webhook signing", () => {
  it("reproduces the Standard Webhooks specification's published test vector", () => {
    // From the specification (and every reference library's tests): secret, id, time and body.
    const headers = signWebhook(
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      new Date(1614265330 * 1000),
      '{"test": 2432232314}',
    );
    expect(headers).toEqual({
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    });
  });

  it("is accepted by the library's verifier, and refused for another body, secret or an old time", () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ type: "order.assigned", data: { orderId: "x" } });
    const headers = signWebhook(secret, "msg_1", new Date(), body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(`${body} `, { ...headers })).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, { ...headers })).toThrow();
    const old = signWebhook(secret, "msg_1", new Date(Date.now() - 10 * 60_000), body);
    expect(() => new Webhook(secret).verify(body, { ...old })).toThrow(/timestamp/i);
  });

  it("drops sub-second precision, as the header carries whole seconds", () => {
    const secret = newWebhookSecret();
    const at = new Date();
    const headers = signWebhook(secret, "msg_2", at, "{}");
    expect(headers["webhook-timestamp"]).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(new Webhook(secret).verify("{}", { ...headers })).toEqual({});
  });
});

describe("WebhookSecretBox", () => {
  const box = new WebhookSecretBox("a-server-secret-that-is-long-enough-0123");

  it("opens what it sealed, and only for the same endpoint and server secret", () => {
    const secret = newWebhookSecret();
    const sealed = box.seal("endpoint-1", secret);
    expect(sealed).not.toContain(secret.slice(6));
    expect(box.open("endpoint-1", sealed)).toBe(secret);
    expect(() => box.open("endpoint-2", sealed)).toThrow();
    expect(() => new WebhookSecretBox("another-server-secret-long-enough-0123").open("endpoint-1", sealed)).toThrow();
    expect(() =>
      box.open(
        "endpoint-1",
        // A middle character: the last one of base64url can carry unused bits, and changing only
        // those changes nothing (this failed about one run in several).
        sealed.slice(0, 20) + (sealed[20] === "A" ? "B" : "A") + sealed.slice(21),
      ),
    ).toThrow();
    expect(box.seal("endpoint-1", secret)).not.toBe(sealed);
  });
});
