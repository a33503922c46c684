import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileMailTransport, MailDeliveryError, smtpMailTransport, type OutgoingMail } from "./mail-transport";

const mail: OutgoingMail = {
  messageId: "<0190-abc@honour.example>",
  from: '"Honour" <news@honour.example>',
  to: { name: "Ada", address: "ada@example.com" },
  subject: "Sale",
  text: "20% off.",
  html: "<p>20% off.</p>",
  headers: { "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
};

describe("mail transports", () => {
  it("writes each message as a whole .eml file named after its Message-ID", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "honour-eml-")), "outbox");
    const transport = fileMailTransport(dir);
    try {
      await transport.send(mail);

      expect(readdirSync(dir)).toEqual(["0190-abc@honour.example.eml"]);
      const eml = readFileSync(join(dir, "0190-abc@honour.example.eml"), "utf8");
      expect(eml).toMatch(/^Content-Type: multipart\/alternative/m);
      expect(eml).toContain("Message-ID: <0190-abc@honour.example>\r\n");
      expect(eml).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
      expect(eml).toContain("To: Ada <ada@example.com>\r\n");
    } finally {
      transport.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports an unreachable SMTP server as a temporary failure, without the URL", async () => {
    const transport = smtpMailTransport("smtp://someone:hunter2@127.0.0.1:1");
    try {
      const error = await transport.send(mail).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MailDeliveryError);
      expect((error as MailDeliveryError).permanent).toBe(false);
      expect((error as Error).message).not.toContain("hunter2");
    } finally {
      transport.close();
    }
  });
});
