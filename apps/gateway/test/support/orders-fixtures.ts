import { everyStoredValue as storedValues, type GraphQLTestClient } from "@honour/testing";
import type { DataSource } from "typeorm";
import { LOGIN, REGISTER, newRegistration, signedInAdmin, type TestGateway } from "./test-gateway";

/** Test cards: Luhn-valid, distinctive, and never expected anywhere at rest. */
export const VISA = Object.freeze({ number: "4929 3860 2561 4176", digits: "4929386025614176", cvc: "847" });
export const AMEX = Object.freeze({ number: "3714-496353-98431", digits: "371449635398431", cvc: "4819" });
export const DECLINED_CARD = "4000000000000002";

export const PLACE_ORDER = /* GraphQL */ `
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      number
      status
      totalMinor
      currency
      lines {
        sku
        name
        quantity
        unitPriceMinor
      }
      contact {
        name
        email
        phone
        organisation
        address {
          line1
          line2
          city
          postcode
          country
        }
      }
      payment {
        brand
        last4
        expiryMonth
        expiryYear
      }
    }
  }
`;

export interface PlacedOrder {
  id: string;
  number: string;
  status: string;
  totalMinor: number;
}

export const CONTACT = Object.freeze({
  name: "Ada Lovelace",
  email: "ada@example.com",
  phone: "+44 20 7946 0000",
  organisation: "Analytical Engines Ltd",
  address: { line1: "12 St James's Square", line2: null, city: "London", postcode: "SW1Y 4JH", country: "GB" },
});

/** A valid placeOrder input for these SKUs (one of each), paid with {@link VISA}. */
export function orderInput(skus: string[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    lines: skus.map((sku) => ({ sku, quantity: 1 })),
    contact: CONTACT,
    payment: {
      cardNumber: VISA.number,
      expiryMonth: 12,
      expiryYear: 2030,
      cvc: VISA.cvc,
      cardholderName: "A LOVELACE",
    },
    ...overrides,
  };
}

let counter = 0;
/** A unique suffix for SKUs, names and keys within one gateway. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36).toUpperCase()}-${counter}`;
}

/** The code of the first error, or "OK" when there was none. */
export function outcome(result: { errors?: { extensions?: { code?: string } }[] }): string {
  return result.errors?.[0]?.extensions?.code ?? "OK";
}

/** A client signed in as a new account with this staff role (made so by the ADMIN). */
export async function signedInStaff(t: TestGateway, role: "SUPPORT" | "SECURITY" | "MARKETING" | "ADMIN") {
  const admin = await signedInAdmin(t);
  const client = t.client();
  const input = newRegistration();
  const registered = await client.ok<{ register: { user: { id: string } } }>(REGISTER, { input });
  await admin.ok(`mutation ($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { id } }`, {
    id: registered.register.user.id,
    role,
  });
  await client.ok(LOGIN, { input: { email: input.email, password: input.password } });
  return { client, userId: registered.register.user.id };
}

/** Adds catalogue products as the ADMIN; returns their SKUs. */
export async function addProducts(
  admin: GraphQLTestClient,
  products: { kind: "LICENCE" | "SUBSCRIPTION" | "SERVICE"; priceMinor: number }[],
): Promise<string[]> {
  const skus: string[] = [];
  for (const product of products) {
    const sku = unique("SKU");
    await admin.ok(`mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }`, {
      input: { sku, name: `Product ${sku}`, description: "For tests", ...product },
    });
    skus.push(sku);
  }
  return skus;
}

/** A new partner with an API key, and a client calling with it. */
export async function partnerWithKey(t: TestGateway, admin: GraphQLTestClient) {
  const name = unique("Reseller");
  const created = await admin.ok<{ createPartner: { id: string } }>(
    `mutation ($input: CreatePartnerInput!) { createPartner(input: $input) { id } }`,
    { input: { name, contactEmail: `${name.toLowerCase()}@partner.example` } },
  );
  const partnerId = created.createPartner.id;
  const issued = await admin.ok<{ issuePartnerApiKey: { id: string; prefix: string; secret: string } }>(
    `mutation ($id: ID!) { issuePartnerApiKey(partnerId: $id) { id prefix secret } }`,
    { id: partnerId },
  );
  const key = issued.issuePartnerApiKey;
  return { partnerId, name, key, client: t.client({ authorization: `Bearer ${key.secret}` }) };
}

export async function placeOrder(client: GraphQLTestClient, input: Record<string, unknown>): Promise<PlacedOrder> {
  return (await client.ok<{ placeOrder: PlacedOrder }>(PLACE_ORDER, { input })).placeOrder;
}

export async function assignOrder(staff: GraphQLTestClient, orderId: string, partnerId: string): Promise<void> {
  await staff.ok(`mutation ($o: ID!, $p: ID!) { assignOrder(orderId: $o, partnerId: $p) { status } }`, {
    o: orderId,
    p: partnerId,
  });
}

export { statementsOf as statementsDuring } from "@honour/testing";

export async function countRows(dataSource: DataSource, table: string): Promise<number> {
  const [row] = (await dataSource.query(`SELECT COUNT(*) AS n FROM ${dataSource.driver.escape(table)}`)) as [
    { n: unknown },
  ];
  return Number(row.n);
}

/** Every value of every table, as text, named `table.column`. */
export async function everyStoredValue(dataSource: DataSource): Promise<{ where: string; value: string }[]> {
  return (await storedValues(dataSource)).map(({ table, column, value }) => ({ where: `${table}.${column}`, value }));
}

/**
 * Where a card's number or CVC appears in these texts. The number is looked for anywhere, with or
 * without separators. A CVC is only 3–4 digits, which random ids, hashes and licence serials
 * contain by chance, so it is looked for as a whole number in every text but those shapes (and times).
 */
export function cardDataHits(
  texts: { where: string; value: string }[],
  card: { digits: string; cvc: string },
): string[] {
  // A CVC that leaked stands alone ("cvc":"847", cvc=847); inside an id or a key ("…-a847b…") it is chance.
  const cvc = new RegExp(`(?<![0-9A-Za-z])${card.cvc}(?![0-9A-Za-z])`);
  return texts
    .filter(({ value }) => {
      if (value.replace(/[\s-]/g, "").includes(card.digits)) return true;
      const random =
        /^[0-9a-f-]+$/i.test(value) ||
        /^[0-9A-Z]{5}(-[0-9A-Z]{5})+$/.test(value) ||
        /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?Z?$/.test(value);
      return !random && cvc.test(value.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ""));
    })
    .map(({ where, value }) => `${where}: ${value.slice(0, 120)}`);
}
