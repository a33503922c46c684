import { ErrorCode, Role } from "@honour/platform";
import { buildGraphQLHarness, testDatabaseKinds, type GraphQLHarness } from "@honour/testing";
import { createUsersResolvers } from "@honour/users/graphql";
import { createOrdersResolvers } from "../src/graphql";
import { ProductKind } from "../src/product/product.entity";
import { openOrdersTestBed, type OrdersTestBed } from "./orders-test-bed";

const CREATE = `mutation Create($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret endpoint { id partnerId url eventTypes enabled } }
}`;
const UPDATE = `mutation Update($id: ID!, $input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(id: $id, input: $input) { id url eventTypes enabled disabledReason }
}`;
const ROTATE = `mutation Rotate($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }`;
const DELETE = `mutation Delete($id: ID!) { deleteWebhookEndpoint(id: $id) }`;
const DELIVERIES = `query Deliveries($endpointId: ID!, $first: Int, $after: String) {
  webhookDeliveries(endpointId: $endpointId, first: $first, after: $after) {
    nodes { id webhookId eventType status attempts httpStatus latencyMs error createdAt nextAttemptAt }
    pageInfo { hasNextPage endCursor }
  }
}`;
const PARTNERS = `query { partners { nodes { id webhookEndpoints { id url eventTypes } } } }`;

describe.each(testDatabaseKinds())("webhooks GraphQL API on %s", (kind) => {
  let bed: OrdersTestBed;
  let harness: GraphQLHarness;

  beforeAll(async () => {
    bed = await openOrdersTestBed(kind);
    harness = await buildGraphQLHarness({
      resolvers: [...createUsersResolvers(bed.users), ...createOrdersResolvers(bed.services)],
      ctx: (actor) => bed.ctx(actor),
    });
  });
  afterAll(() => bed?.close());
  beforeEach(async () => {
    for (const table of ["webhook_delivery", "webhook_endpoint"]) {
      await bed.db.dataSource.query(`DELETE FROM ${bed.db.dataSource.driver.escape(table)}`);
    }
    await bed.reset();
    await bed.product({ sku: "HON-PRO", priceMinor: 4999, kind: ProductKind.LICENCE });
  });

  it("declares the operations of the contract", () => {
    expect([
      harness.signature("Mutation", "createWebhookEndpoint"),
      harness.signature("Mutation", "updateWebhookEndpoint"),
      harness.signature("Mutation", "rotateWebhookSecret"),
      harness.signature("Mutation", "deleteWebhookEndpoint"),
      harness.signature("Query", "webhookDeliveries"),
    ]).toEqual([
      "createWebhookEndpoint(input: CreateWebhookEndpointInput!): WebhookEndpointSecret!",
      "updateWebhookEndpoint(id: ID!, input: UpdateWebhookEndpointInput!): WebhookEndpoint!",
      "rotateWebhookSecret(id: ID!): WebhookEndpointSecret!",
      "deleteWebhookEndpoint(id: ID!): Boolean!",
      "webhookDeliveries(endpointId: ID!, first: Int, after: String): WebhookDeliveryConnection!",
    ]);
  });

  it("lets only ADMIN manage endpoints, shows the secret once, and pages the delivery log by cursor", async () => {
    const admin = await bed.signUp(Role.ADMIN);
    const support = await bed.signUp(Role.SUPPORT);
    const { partner, actor: partnerActor } = await bed.partner();
    const input = {
      partnerId: partner.id,
      url: "https://hooks.partner.example/honour",
      eventTypes: ["ORDER_ASSIGNED", "ERASURE_REQUESTED"],
    };
    for (const actor of [support.actor, partnerActor, (await bed.signUp()).actor]) {
      expect((await harness.call(CREATE, { input }, actor)).codes).toEqual([ErrorCode.FORBIDDEN]);
    }
    const created = await harness.call(CREATE, { input }, admin.actor);
    expect(created.errors).toEqual([]);
    const { secret, endpoint } = created.data!.createWebhookEndpoint as { secret: string; endpoint: { id: string } };
    expect(secret).toMatch(/^whsec_/);
    expect(endpoint).toMatchObject({
      partnerId: partner.id,
      eventTypes: ["ORDER_ASSIGNED", "ERASURE_REQUESTED"],
      enabled: true,
    });

    const listed = await harness.call(PARTNERS, {}, admin.actor);
    expect(JSON.stringify(listed.data)).not.toContain(secret.slice(6));
    expect(listed.data).toEqual({
      partners: {
        nodes: [
          { id: partner.id, webhookEndpoints: [{ id: endpoint.id, url: input.url, eventTypes: input.eventTypes }] },
        ],
      },
    });

    const staff = await bed.signUp(Role.SUPPORT);
    for (let i = 0; i < 3; i++) {
      const buyer = await bed.signUp();
      const order = await bed.place(buyer.ctx, bed.request(["HON-PRO"]));
      await bed.services.orderLifecycle.assign(staff.ctx, order.id, partner.id);
    }
    const first = await harness.call(DELIVERIES, { endpointId: endpoint.id, first: 2 }, admin.actor);
    const page1 = first.data!.webhookDeliveries as {
      nodes: { id: string; webhookId: string }[];
      pageInfo: { hasNextPage: boolean; endCursor: string };
    };
    expect(page1.nodes).toHaveLength(2);
    expect(page1.nodes[0]).toMatchObject({
      eventType: "ORDER_ASSIGNED",
      status: "PENDING",
      attempts: 0,
      httpStatus: null,
    });
    expect(page1.nodes[0]!.webhookId).toBe(`msg_${page1.nodes[0]!.id.replace(/-/g, "")}`);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await harness.call(
      DELIVERIES,
      { endpointId: endpoint.id, first: 2, after: page1.pageInfo.endCursor },
      admin.actor,
    );
    const page2 = second.data!.webhookDeliveries as typeof page1;
    expect(page2.nodes).toHaveLength(1);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    expect(new Set([...page1.nodes, ...page2.nodes].map((n) => n.id)).size).toBe(3);
    expect((await harness.call(DELIVERIES, { endpointId: endpoint.id }, support.actor)).codes).toEqual([
      ErrorCode.FORBIDDEN,
    ]);

    const updated = await harness.call(
      UPDATE,
      { id: endpoint.id, input: { enabled: false, eventTypes: ["ORDER_CANCELLED"] } },
      admin.actor,
    );
    expect(updated.data!.updateWebhookEndpoint).toMatchObject({
      enabled: false,
      eventTypes: ["ORDER_CANCELLED"],
      disabledReason: "disabled by an administrator",
    });
    const rotated = await harness.call(ROTATE, { id: endpoint.id }, admin.actor);
    expect((rotated.data!.rotateWebhookSecret as { secret: string }).secret).not.toBe(secret);
    expect((await harness.call(DELETE, { id: endpoint.id }, admin.actor)).data).toEqual({
      deleteWebhookEndpoint: true,
    });
    expect((await harness.call(DELETE, { id: endpoint.id }, admin.actor)).codes).toEqual([ErrorCode.NOT_FOUND]);
    expect((await harness.call(DELIVERIES, { endpointId: endpoint.id }, admin.actor)).codes).toEqual([
      ErrorCode.NOT_FOUND,
    ]);
  });

  it("answers BAD_USER_INPUT for a private address, an unknown event type or a bad page size, never a 500", async () => {
    const admin = await bed.signUp(Role.ADMIN);
    const { partner } = await bed.partner();
    const metadata = await harness.call(
      CREATE,
      {
        input: {
          partnerId: partner.id,
          url: "http://169.254.169.254/latest/meta-data/",
          eventTypes: ["ORDER_ASSIGNED"],
        },
      },
      admin.actor,
    );
    expect(metadata.codes).toEqual([ErrorCode.BAD_USER_INPUT]);
    expect(metadata.errors[0]!.message).toMatch(
      /input\.url must not point to this host, a private network or a metadata address/,
    );
    const unknown = await harness.call(
      CREATE,
      { input: { partnerId: partner.id, url: "https://hooks.partner.example/", eventTypes: ["ORDER_SHIPPED"] } },
      admin.actor,
    );
    // Refused by the schema itself (variable coercion: the gateway answers it as BAD_USER_INPUT).
    expect(unknown.errors[0]!.message).toMatch(/ORDER_SHIPPED/);
    expect(unknown.data).toBeNull();
    expect((await harness.call(DELIVERIES, { endpointId: "nope", first: 1000 }, admin.actor)).codes).toEqual([
      ErrorCode.BAD_USER_INPUT,
    ]);
    expect((await harness.call(DELIVERIES, { endpointId: "nope" }, admin.actor)).codes).toEqual([ErrorCode.NOT_FOUND]);
  });
});
