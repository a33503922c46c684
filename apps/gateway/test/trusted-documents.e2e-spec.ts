import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import { DEFAULT_TRUSTED_DOCUMENTS_FILE } from "../src/graphql/trusted-documents";
import { outcome, partnerWithKey } from "./support/orders-fixtures";
import { signedInAdmin, startTestGateway, type TestGateway } from "./support/test-gateway";

/** @honour/client's manifest, as its codegen wrote it and the gateway loads it by default. */
const manifest = JSON.parse(readFileSync(DEFAULT_TRUSTED_DOCUMENTS_FILE, "utf8")) as Record<string, string>;
function documentId(operation: string): string {
  const found = Object.entries(manifest).find(([, text]) => new RegExp(`^(query|mutation) ${operation}\\b`).test(text));
  if (!found) throw new Error(`${operation} is not in the manifest`);
  return found[0];
}
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A POST to /graphql with this body, as JSON. */
async function post(client: GraphQLTestClient, body: unknown) {
  const response = await client.fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as {
    data?: Record<string, unknown>;
    errors?: { extensions?: { code?: string } }[];
  };
  return { status: response.status, headers: response.headers, ...answer };
}

describe.each(testDatabaseKinds())("trusted documents and APQ over HTTP on %s", (kind) => {
  let t: TestGateway;
  let admin: GraphQLTestClient;
  let partner: Awaited<ReturnType<typeof partnerWithKey>>;

  beforeAll(async () => {
    // The production default for partners; the site may send its own documents.
    t = await startTestGateway(kind, { PARTNER_TRUSTED_DOCUMENTS_ONLY: "true" });
    admin = await signedInAdmin(t);
    partner = await partnerWithKey(t, admin);
  });
  afterAll(() => t?.close());

  it("runs a partner's trusted document by documentId", async () => {
    const answer = await post(partner.client, { documentId: documentId("Partner"), operationName: "Partner" });
    expect(answer.status).toBe(200);
    expect(answer.data).toEqual({
      partner: { id: partner.partnerId, name: partner.name, contactEmail: expect.any(String), active: true },
    });
  });

  it("refuses an ad-hoc document from a partner key with PERSISTED_QUERY_REQUIRED", async () => {
    const answer = await partner.client.query(`{ partner { id } }`);
    expect([answer.status, outcome(answer)]).toEqual([400, "PERSISTED_QUERY_REQUIRED"]);
    // Even the exact text of a trusted document, sent as text, is ad hoc.
    const text = manifest[documentId("Partner")]!;
    expect(outcome(await partner.client.query(text))).toBe("PERSISTED_QUERY_REQUIRED");
  });

  it("takes a manifest document's APQ hash as trusted, from a partner too", async () => {
    const hash = documentId("Partner").slice("sha256:".length);
    const answer = await post(partner.client, { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(answer.errors).toBeUndefined();
    expect((answer.data as { partner: { id: string } }).partner.id).toBe(partner.partnerId);
  });

  it("answers an unknown documentId PERSISTED_QUERY_NOT_FOUND and a malformed one BAD_REQUEST", async () => {
    const unknown = await post(partner.client, { documentId: `sha256:${"0".repeat(64)}` });
    expect([unknown.status, outcome(unknown)]).toEqual([400, "PERSISTED_QUERY_NOT_FOUND"]);
    const malformed = await post(t.client(), { documentId: "Partner" });
    expect([malformed.status, outcome(malformed)]).toEqual([400, "BAD_REQUEST"]);
    const both = await post(t.client(), { documentId: documentId("Partner"), query: "{ __typename }" });
    expect([both.status, outcome(both)]).toEqual([400, "BAD_REQUEST"]);
  });

  it("keeps automatic persisted queries working for the site, and an unknown hash is never a 500", async () => {
    const site = t.client();
    const query = `query Catalogue { products(first: 1) { nodes { sku } } }`;
    const persistedQuery = { version: 1, sha256Hash: sha256(query) };

    const unknown = await post(site, { extensions: { persistedQuery } });
    expect(outcome(unknown)).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect(unknown.status).toBeLessThan(500);

    const registered = await post(site, { query, extensions: { persistedQuery } });
    expect(registered.errors).toBeUndefined();
    const byHash = await post(site, { extensions: { persistedQuery } });
    expect(byHash.errors).toBeUndefined();
    expect(byHash.data).toEqual(registered.data);

    const wrongHash = await post(site, {
      query,
      extensions: { persistedQuery: { version: 1, sha256Hash: "ab".repeat(32) } },
    });
    expect(outcome(wrongHash)).toBe("BAD_REQUEST");
    const wrongVersion = await post(site, {
      extensions: { persistedQuery: { version: 2, sha256Hash: sha256(query) } },
    });
    expect(wrongVersion.status).toBeLessThan(500);
    expect(outcome(wrongVersion)).not.toBe("INTERNAL_SERVER_ERROR");

    // A hash some client registered is not a trusted document: a partner may not use it.
    const fromPartner = await post(partner.client, { extensions: { persistedQuery } });
    expect(outcome(fromPartner)).toBe("PERSISTED_QUERY_REQUIRED");
  });

  it("lets the site send its own documents while SITE_TRUSTED_DOCUMENTS_ONLY is off", async () => {
    expect(outcome(await t.client().query(`{ products(first: 1) { nodes { sku } } }`))).toBe("OK");
  });
});

describe.each(testDatabaseKinds())("SITE_TRUSTED_DOCUMENTS_ONLY=true on %s", (kind) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(kind, { SITE_TRUSTED_DOCUMENTS_ONLY: "true", PARTNER_TRUSTED_DOCUMENTS_ONLY: "true" });
  });
  afterAll(() => t?.close());

  it("refuses the site's ad-hoc documents and runs its trusted ones, GET included", async () => {
    const site = t.client();
    const adHoc = await site.query(`{ products(first: 1) { nodes { sku } } }`);
    expect([adHoc.status, outcome(adHoc)]).toEqual([400, "PERSISTED_QUERY_REQUIRED"]);
    const trusted = await post(site, { documentId: documentId("Products"), variables: { first: 1 } });
    expect(trusted.errors).toBeUndefined();
    expect(trusted.data).toHaveProperty("products");
    const viaGet = await site.fetch(
      `/graphql?documentId=${encodeURIComponent(documentId("Products"))}&variables=${encodeURIComponent('{"first":1}')}`,
      { headers: { "apollo-require-preflight": "true" } },
    );
    expect(viaGet.status).toBe(200);
    expect(((await viaGet.json()) as { errors?: unknown }).errors).toBeUndefined();
  });
});
