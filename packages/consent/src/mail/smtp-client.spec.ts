import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { SmtpClient, SmtpError, type SmtpClientOptions } from "./smtp-client";

interface Received {
  from: string;
  to: string[];
  data: string;
}

/** A real SMTP server (smtp-server) on a free port, recording what it accepts. */
async function server(options: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  const commands: string[] = [];
  let connections = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onMailFrom(address, _session, callback) {
      commands.push(`MAIL ${address.address}`);
      callback();
    },
    onRcptTo(address, _session, callback) {
      commands.push(`RCPT ${address.address}`);
      if (address.address.startsWith("nobody@")) {
        return callback(Object.assign(new Error("No such mailbox"), { responseCode: 550 }));
      }
      if (address.address.startsWith("busy@")) {
        return callback(Object.assign(new Error("Try later"), { responseCode: 450 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const data = Buffer.concat(chunks).toString("utf8");
        if (data.includes("REFUSE-ME")) {
          return callback(Object.assign(new Error("Content refused"), { responseCode: 554 }));
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
        });
        callback();
      });
    },
    ...options,
  });
  smtp.on("error", () => {});
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  return {
    port,
    received,
    commands,
    connections: () => connections,
    /** Ends every open connection from the server's side, as a server does with idle ones. */
    drop: () => {
      for (const connection of (smtp as unknown as { connections: Set<{ close(): void }> }).connections)
        connection.close();
    },
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}

const message = (n: number) =>
  `From: news@honour.example\r\nTo: reader${n}@example.com\r\nSubject: Hello ${n}\r\n\r\nLine one\r\n.a line with a leading dot\r\n..two dots\r\n.\r\nlast`;

async function withClient<T>(
  options: Partial<SmtpClientOptions> & { port: number },
  work: (c: SmtpClient) => Promise<T>,
) {
  const client = new SmtpClient({ host: "127.0.0.1", secure: false, ...options });
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error as SmtpError,
  );

describe("SmtpClient", () => {
  it("pipelines many messages over a few connections, each arriving whole and dot-stuffed back to its content", async () => {
    const peer = await server();
    try {
      await withClient({ port: peer.port, connections: 3 }, async (client) => {
        await Promise.all(
          Array.from({ length: 60 }, (_, n) =>
            client.send("news@honour.example", `reader${n}@example.com`, message(n)),
          ),
        );
      });
      expect(peer.received).toHaveLength(60);
      expect(peer.connections()).toBeLessThanOrEqual(3);
      const byRecipient = new Map(peer.received.map((r) => [r.to[0]!, r]));
      for (let n = 0; n < 60; n++) {
        const got = byRecipient.get(`reader${n}@example.com`)!;
        expect(got.from).toBe("news@honour.example");
        expect(got.to).toEqual([`reader${n}@example.com`]);
        // The content as written, with the CRLF the client adds at its end.
        expect(got.data).toBe(`${message(n)}\r\n`);
      }
    } finally {
      await peer.close();
    }
  });

  it("refuses a recipient the server refuses for good (5xx) as recipientRefused, and carries on with the next message", async () => {
    const peer = await server();
    try {
      await withClient({ port: peer.port, connections: 1 }, async (client) => {
        const [refused, busy, ok] = await Promise.all([
          failureOf(client.send("news@honour.example", "nobody@example.com", message(1))),
          failureOf(client.send("news@honour.example", "busy@example.com", message(2))),
          failureOf(client.send("news@honour.example", "reader3@example.com", message(3))),
        ]);
        expect(refused).toBeInstanceOf(SmtpError);
        expect(refused).toMatchObject({ code: "EENVELOPE", responseCode: 550, recipientRefused: true });
        expect(busy).toMatchObject({ code: "EENVELOPE", responseCode: 450, recipientRefused: false });
        expect(ok).toBeNull();
      });
      expect(peer.received.map((r) => r.to[0])).toEqual(["reader3@example.com"]);
      expect(peer.connections()).toBe(1);
    } finally {
      await peer.close();
    }
  });

  it("reports content the server refuses as EMESSAGE, which is not a refusal of the recipient", async () => {
    const peer = await server();
    try {
      await withClient({ port: peer.port }, async (client) => {
        const error = await failureOf(
          client.send("news@honour.example", "reader@example.com", "Subject: x\r\n\r\nREFUSE-ME"),
        );
        expect(error).toMatchObject({ code: "EMESSAGE", responseCode: 554, recipientRefused: false });
        await client.send("news@honour.example", "reader@example.com", "Subject: y\r\n\r\nfine");
      });
      expect(peer.received).toHaveLength(1);
    } finally {
      await peer.close();
    }
  });

  it("waits for each reply from a server without PIPELINING", async () => {
    const peer = await server({ hidePIPELINING: true });
    try {
      await withClient({ port: peer.port, connections: 2 }, async (client) => {
        await Promise.all(
          Array.from({ length: 10 }, (_, n) =>
            client.send("news@honour.example", `reader${n}@example.com`, message(n)),
          ),
        );
        expect(await failureOf(client.send("news@honour.example", "nobody@example.com", message(0)))).toMatchObject({
          recipientRefused: true,
        });
      });
      expect(peer.received).toHaveLength(10);
    } finally {
      await peer.close();
    }
  });

  it.each([
    ["STARTTLS and AUTH PLAIN", { authMethods: ["PLAIN"] }, false],
    ["STARTTLS and AUTH LOGIN", { authMethods: ["LOGIN"] }, false],
    ["TLS from the first byte (smtps)", { authMethods: ["PLAIN"], secure: true }, true],
  ] as const)("signs in over %s", async (_name, serverOptions, secure) => {
    const sessions: { secure: boolean; user: string }[] = [];
    const peer = await server({
      disabledCommands: [],
      ...serverOptions,
      authMethods: [...serverOptions.authMethods],
      onAuth(auth, session, callback) {
        if (auth.username !== "mailer" || auth.password !== "s3cret: with spaces") {
          return callback(new Error("Invalid username or password"));
        }
        sessions.push({ secure: session.secure, user: auth.username });
        callback(null, { user: auth.username });
      },
    });
    try {
      // smtp-server's built-in certificate is self-signed.
      const tls = { rejectUnauthorized: false };
      await withClient({ port: peer.port, secure, tls, auth: { user: "mailer", pass: "s3cret: with spaces" } }, (c) =>
        c.send("news@honour.example", "reader@example.com", message(1)),
      );
      expect(peer.received).toHaveLength(1);
      expect(sessions).toEqual([{ secure: true, user: "mailer" }]);

      const refused = await withClient({ port: peer.port, secure, tls, auth: { user: "mailer", pass: "wrong" } }, (c) =>
        failureOf(c.send("news@honour.example", "reader@example.com", message(2))),
      );
      expect(refused).toMatchObject({ code: "EAUTH", responseCode: 535 });
      expect(refused!.message).not.toContain("wrong");
      expect(peer.received).toHaveLength(1);
    } finally {
      await peer.close();
    }
  });

  it("refuses a server that offers no STARTTLS when TLS is required", async () => {
    const peer = await server();
    try {
      const error = await withClient({ port: peer.port, requireTLS: true }, (c) =>
        failureOf(c.send("news@honour.example", "reader@example.com", message(1))),
      );
      expect(error).toMatchObject({ code: "ETLS" });
      expect(peer.received).toHaveLength(0);
    } finally {
      await peer.close();
    }
  });

  it("closes an idle connection and opens a new one for the next message", async () => {
    const peer = await server();
    try {
      await withClient({ port: peer.port, idleMs: 50 }, async (client) => {
        await client.send("news@honour.example", "reader1@example.com", message(1));
        await new Promise((resolve) => setTimeout(resolve, 300));
        await client.send("news@honour.example", "reader2@example.com", message(2));
      });
      expect(peer.received).toHaveLength(2);
      expect(peer.connections()).toBe(2);
    } finally {
      await peer.close();
    }
  });

  it("sends again on a new connection when the server closed the old one before the message went", async () => {
    const peer = await server();
    try {
      await withClient({ port: peer.port, idleMs: 60_000 }, async (client) => {
        await client.send("news@honour.example", "reader1@example.com", message(1));
        // The server ends the connection; whether or not the client has noticed by the time it
        // sends again, the message goes once, on a new connection.
        peer.drop();
        await client.send("news@honour.example", "reader2@example.com", message(2));
        peer.drop();
        await new Promise((resolve) => setTimeout(resolve, 100));
        await client.send("news@honour.example", "reader3@example.com", message(3));
      });
      expect(peer.received.map((r) => r.to[0])).toEqual([
        "reader1@example.com",
        "reader2@example.com",
        "reader3@example.com",
      ]);
      expect(peer.connections()).toBe(3);
    } finally {
      await peer.close();
    }
  });

  it("says QUIT only behind the messages already given to a connection when closed mid-send", async () => {
    const peer = await server();
    try {
      const client = new SmtpClient({ host: "127.0.0.1", port: peer.port, secure: false, connections: 1 });
      const sends = Array.from({ length: 10 }, (_, n) =>
        client.send("news@honour.example", `reader${n}@example.com`, message(n)),
      );
      client.close();
      const results = await Promise.allSettled(sends);
      expect(results.map((r) => r.status)).toEqual(Array(10).fill("fulfilled"));
      expect(peer.received).toHaveLength(10);
      expect(peer.received.some((r) => r.data.includes("QUIT"))).toBe(false);
      expect(await failureOf(client.send("a@example.com", "b@example.com", "x"))).toMatchObject({
        code: "ECONNECTION",
      });
    } finally {
      await peer.close();
    }
  });

  it("fails with ECONNECTION when nothing listens", async () => {
    const error = await withClient({ port: 1 }, (c) => failureOf(c.send("a@example.com", "b@example.com", "x")));
    expect(error).toBeInstanceOf(SmtpError);
    expect(error).toMatchObject({ code: "ECONNECTION" });
  });
});
