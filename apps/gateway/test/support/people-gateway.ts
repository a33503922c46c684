import { createServer } from "node:net";
import { consentJobs } from "@honour/consent";
import { JobRunner, RequestContext, SqlJobQueue, silentLogger, systemClock } from "@honour/platform";
import { privacyJobs } from "@honour/privacy";
import { lastVerificationToken, startSmtpPeer, type SmtpPeer, type TestDatabaseKind } from "@honour/testing";
import { startTestGateway, type TestGateway } from "./test-gateway";

/** A free port of 127.0.0.1, to start a gateway whose PUBLIC_URL (links in mail, form origins) is its own address. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface PeopleGateway {
  t: TestGateway;
  smtp: SmtpPeer;
  close(): Promise<void>;
}

/**
 * A gateway whose links in mail lead back to it, sending through a real SMTP peer, with the
 * worker's consent (campaigns, transactional mail) and privacy (exports) jobs running in this
 * process: the people's pages as a person reaches them from their inbox.
 */
export async function startPeopleGateway(kind: TestDatabaseKind): Promise<PeopleGateway> {
  const smtp = await startSmtpPeer();
  const port = await freePort();
  const t = await startTestGateway(kind, {
    SMTP_URL: smtp.url,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
  const { dataSource, services } = t.gateway;
  const runner = new JobRunner(
    dataSource,
    new SqlJobQueue(dataSource, systemClock),
    systemClock,
    [...consentJobs(services.consent).jobs, ...privacyJobs(services.privacy).jobs],
    [],
    silentLogger,
    { pollMs: 20 },
  );
  runner.start();
  return {
    t,
    smtp,
    close: async () => {
      await runner.stop();
      await t.close();
      await smtp.close();
    },
  };
}

/**
 * Follows the newest verification link sent to `address`, as its holder would: with double opt-in
 * the communications ticked at registration are granted only then.
 */
export async function verifyAddress(t: TestGateway, address: string): Promise<void> {
  const ctx = new RequestContext(t.gateway.dataSource, { kind: "system", name: "test" }, systemClock);
  const token = await lastVerificationToken(ctx, address);
  await t.client().ok(`mutation ($token: String!) { verifyEmail(token: $token) { id } }`, { token });
}
