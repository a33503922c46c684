import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GraphQLTestClient } from "@honour/testing";
import type { DataSource } from "typeorm";
import { placeAssignedOrders } from "./orders.bench";

const REGISTER = "mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }";

/** The manifest of trusted documents @honour/client ships, which the gateways load by default. */
const MANIFEST = join(
  __dirname,
  "..",
  "..",
  "..",
  "packages",
  "client",
  "src",
  "generated",
  "persisted-documents.json",
);

/** The `documentId` of the client's trusted operation `name` (e.g. `PartnerOrders`). */
export function trustedDocumentId(name: string): string {
  const manifest = JSON.parse(readFileSync(MANIFEST, "utf8")) as Record<string, string>;
  const matches = Object.entries(manifest).filter(([, text]) =>
    new RegExp(`^(query|mutation|subscription) ${name}\\b`, "m").test(text),
  );
  if (matches.length !== 1) throw new Error(`${MANIFEST}: expected one operation ${name}, found ${matches.length}`);
  return matches[0]![0];
}

/** An ADMIN signed in through `url` (registered, then promoted in the database as an operator would). */
export async function signedInAdmin(url: string, primary: DataSource): Promise<GraphQLTestClient> {
  const admin = new GraphQLTestClient(url);
  const registered = await admin.ok<{ register: { user: { id: string } } }>(REGISTER, {
    input: { email: "cluster-admin@bench.test", password: "cluster-password-3", name: "Cluster Admin" },
  });
  await primary.query("UPDATE `user` SET `role` = 'ADMIN' WHERE `id` = ?", [registered.register.user.id]);
  return admin;
}

/**
 * `count` orders of three lines for one buyer, all placed and assigned to one partner through
 * `url`; answers the partner's API key as an `Authorization` header value.
 */
export async function seedPartnerOrders(url: string, admin: GraphQLTestClient, count: number): Promise<string> {
  const skus: string[] = [];
  for (const [kind, priceMinor] of [
    ["LICENCE", 4999],
    ["SERVICE", 1500],
    ["SUBSCRIPTION", 999],
  ] as const) {
    const sku = `CLUSTER-${kind}`;
    await admin.ok(`mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }`, {
      // Every field, defaults too: the gateway's graphql-jit executor (uncommitted at the time of
      // writing) answered INTERNAL_SERVER_ERROR when the input's defaulted fields were left out.
      input: {
        sku,
        name: `Cluster ${kind.toLowerCase()}`,
        description: "",
        priceMinor,
        currency: "GBP",
        kind,
        active: true,
      },
    });
    skus.push(sku);
  }
  const partner = await admin.ok<{ createPartner: { id: string } }>(
    `mutation { createPartner(input: { name: "Cluster Resellers", contactEmail: "resellers@bench.test" }) { id } }`,
  );
  const partnerId = partner.createPartner.id;
  const key = await admin.ok<{ issuePartnerApiKey: { secret: string } }>(
    `mutation ($id: ID!) { issuePartnerApiKey(partnerId: $id) { secret } }`,
    { id: partnerId },
  );
  const buyer = new GraphQLTestClient(url);
  await buyer.ok(REGISTER, {
    input: { email: "cluster-buyer@bench.test", password: "cluster-password-4", name: "Cluster Buyer" },
  });
  await placeAssignedOrders(buyer, admin, skus, partnerId, count);
  return `Bearer ${key.issuePartnerApiKey.secret}`;
}
