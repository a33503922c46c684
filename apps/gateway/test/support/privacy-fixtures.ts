import { JobEntity, JobStatus, RequestContext, SqlJobQueue, systemClock, type JobDefinition } from "@honour/platform";
import { PRIVACY_JOBS, privacyJobs } from "@honour/privacy";
import type { GraphQLTestClient } from "@honour/testing";
import { assignOrder, placeOrder, VISA, type PlacedOrder } from "./orders-fixtures";
import { verifyAddress } from "./people-gateway";
import { LOGIN, REGISTER, type TestGateway } from "./test-gateway";

export const PASSWORD = "correct horse battery";

/** A person as the privacy tests create them: distinctive values, so a scan finds every copy. */
export interface Person {
  client: GraphQLTestClient;
  userId: string;
  name: string;
  email: string;
  /** As typed; stored as E.164 ({@link Person.phoneE164}). */
  phone: string;
  phoneE164: string;
  address: { line1: string; line2: string | null; city: string; postcode: string; country: string };
  order: PlacedOrder;
}

let counter = 0;

/**
 * Registers a person, verifies the address, and gives them data in every domain: a profile with phone and address,
 * consent changes, an order paid by card with the billing details saved, the order assigned to
 * `partner` whose API key then reads the contact (a disclosure), a wrong password (a security
 * event about them) and a sign-in.
 */
export async function personWithData(
  t: TestGateway,
  admin: GraphQLTestClient,
  partner: { partnerId: string; client: GraphQLTestClient },
  skus: string[],
  label: string,
): Promise<Person> {
  counter += 1;
  const stamp = `${Date.now().toString(36)}${counter}`;
  const name = `${label} Quillfeather-${stamp}`;
  const email = `${label.toLowerCase()}.${stamp}@privacy.example`;
  const digits = String(100000 + ((Date.now() + counter * 7919) % 899999)).padStart(6, "0");
  const phone = `+44 20 79${digits.slice(0, 2)} ${digits.slice(2, 6)}`;
  const phoneE164 = phone.replace(/\s/g, "");
  const address = {
    line1: `${counter}7 ${label} Marrowbone Crescent`,
    line2: null,
    city: `Nether ${label}ford`,
    postcode: `ZX${counter} 9QQ`,
    country: "GB",
  };
  const client = t.client();
  const registered = await client.ok<{ register: { user: { id: string } } }>(REGISTER, {
    input: { email, password: PASSWORD, name, communications: [{ topic: "NEWSLETTER", channel: "EMAIL" }] },
  });
  const userId = registered.register.user.id;
  // As its holder would: with double opt-in the newsletter ticked above is granted only now. (A
  // gateway run as a separate process, as the mysql:// test starts it, leaves the address
  // unverified: that test does not count the ledger.)
  if (t.gateway) await verifyAddress(t, email);
  await client.ok(`mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }`, {
    input: { phone, address, organisation: `${label} Holdings` },
  });
  await client.ok(`mutation ($input: [PreferenceInput!]!) { setPreferences(input: $input) { topic } }`, {
    input: [
      { topic: "SPECIAL_OFFERS", channel: "EMAIL", granted: true },
      { topic: "PRODUCT_UPDATES", channel: "TELEPHONE", granted: true },
    ],
  });
  await client.ok(`mutation ($input: [PreferenceInput!]!) { setPreferences(input: $input) { topic } }`, {
    input: [{ topic: "SPECIAL_OFFERS", channel: "EMAIL", granted: false }],
  });
  const order = await placeOrder(client, {
    lines: skus.map((sku) => ({ sku, quantity: 1 })),
    contact: { name, email, phone, organisation: `${label} Holdings`, address },
    payment: { cardNumber: VISA.number, expiryMonth: 11, expiryYear: 2031, cvc: VISA.cvc, cardholderName: name },
    saveBillingDetails: true,
  });
  await assignOrder(admin, order.id, partner.partnerId);
  await partner.client.ok(`{ partnerOrders(first: 50) { nodes { id contact { name email phone } } } }`);
  // A wrong password where it matters (security event about them), then a fresh sign-in.
  const wrong = await client.query(`mutation ($p: String!) { closeAccount(password: $p) }`, { p: "not my password!" });
  if (wrong.errors?.[0]?.extensions?.code !== "UNAUTHENTICATED")
    throw new Error(`expected UNAUTHENTICATED: ${JSON.stringify(wrong)}`);
  await client.ok(LOGIN, { input: { email, password: PASSWORD } });
  return { client, userId, name, email, phone, phoneE164, address, order };
}

/** Runs the queued data export jobs as the worker would, in this process; returns how many ran. */
export async function runExportJobs(t: TestGateway): Promise<number> {
  const { dataSource, services } = t.gateway;
  const queue = new SqlJobQueue(dataSource, systemClock);
  const definitions: JobDefinition[] = privacyJobs(services.privacy).jobs;
  const workerId = "privacy-e2e";
  let ran = 0;
  for (;;) {
    const job = await queue.claim(workerId, [PRIVACY_JOBS.buildDataExport]);
    if (!job) {
      // A claim skips rows another worker's claim has locked (SKIP LOCKED), and a worker polling
      // for other job names locks the rows its scan passes on MariaDB. So "nothing claimed" means
      // "nothing left" only when no export job is still waiting; otherwise try again shortly.
      const waiting = await dataSource
        .getRepository(JobEntity)
        .createQueryBuilder("job")
        .where("job.name = :name AND job.status = :status AND job.runAt <= :now", {
          name: PRIVACY_JOBS.buildDataExport,
          status: JobStatus.PENDING,
          now: new Date(),
        })
        .getCount();
      if (waiting === 0) return ran;
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    const definition = definitions.find((d) => d.name === job.name)!;
    const ctx = new RequestContext(dataSource, { kind: "system", name: `job:${job.name}` }, systemClock);
    try {
      await definition.handle(ctx, job.payload, job);
    } catch (error) {
      await queue.fail(job.id, workerId, error);
      throw error;
    }
    await queue.complete(job.id, workerId);
    ran += 1;
  }
}

export const MY_REQUESTS = /* GraphQL */ `
  query {
    myPrivacyRequests {
      id
      type
      status
      receivedAt
      dueAt
      daysLeft
      downloadUrl
    }
  }
`;

/** Asks for a copy as `client`, runs the export job, and returns the request with its link. */
export async function exportFor(t: TestGateway, client: GraphQLTestClient): Promise<{ id: string; path: string }> {
  const asked = await client.ok<{ requestDataExport: { id: string; status: string } }>(
    `mutation { requestDataExport { id status } }`,
  );
  await runExportJobs(t);
  const { myPrivacyRequests } = await client.ok<{ myPrivacyRequests: { id: string; downloadUrl: string | null }[] }>(
    MY_REQUESTS,
  );
  const mine = myPrivacyRequests.find((r) => r.id === asked.requestDataExport.id);
  if (!mine?.downloadUrl) throw new Error(`no download link: ${JSON.stringify(myPrivacyRequests)}`);
  return { id: mine.id, path: new URL(mine.downloadUrl).pathname };
}
