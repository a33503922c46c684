import { ForbiddenException } from "@honour/platform";
import { loader, requestLoader, type GraphQLContext } from "@honour/platform/graphql";
import DataLoader from "dataloader";
import {
  getDirectiveValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  type FieldNode,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from "graphql";
import { Ctx, FieldResolver, Info, Resolver, Root } from "type-graphql";
import { DisclosedField, type DisclosureEntity } from "../disclosure/disclosure.entity";
import { decodeFields, DisclosuresOfRequest } from "../disclosure/disclosure.service";
import { DisclosureObject } from "../disclosure/disclosure.object";
import type { LicenceEntity } from "../licence/licence.entity";
import type { OrdersServices } from "../orders.module";
import type { PartnerEntity } from "../partner/partner.entity";
import { PartnerObject } from "../partner/partner.object";
import type { OrderLineEntity } from "./order-line.entity";
import { formatOrderNumber } from "./order-number.service";
import type { OrderEntity } from "./order.entity";
import { LicenceObject, OrderContactObject, OrderLineObject, OrderObject, OrderPaymentObject } from "./order.object";
import { canReadContact, canReadDisclosures, canReadPayment } from "./order-access";

/** Groups rows by a key, in the order of `keys`; a key without rows gets an empty list. */
function groupBy<T>(keys: readonly string[], rows: readonly T[], key: (row: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const list = groups.get(key(row));
    if (list) list.push(row);
    else groups.set(key(row), [row]);
  }
  return keys.map((k) => groups.get(k) ?? []);
}

/** Order lines by order id for one request: one query for every order on the page. */
export function orderLinesLoader(
  context: GraphQLContext,
  services: OrdersServices,
): DataLoader<string, OrderLineEntity[]> {
  // Asked once per order on a page: the batch function is made only with the loader.
  return loader(
    context,
    "orders.lines",
    () =>
      new DataLoader<string, OrderLineEntity[]>(async (ids) =>
        groupBy(ids, await services.orderQueries.linesOf(context.ctx, ids), (l) => l.orderId),
      ),
  );
}

/** Licences by order id for one request. */
export function licencesLoader(context: GraphQLContext, services: OrdersServices): DataLoader<string, LicenceEntity[]> {
  return requestLoader(context, "orders.licences", async (ids: readonly string[]) =>
    groupBy(ids, await services.licences.licencesOf(context.ctx, ids), (l) => l.orderId),
  );
}

/** Partners by id for one request. */
export function partnerLoader(
  context: GraphQLContext,
  services: OrdersServices,
): DataLoader<string, PartnerEntity | null> {
  return requestLoader(context, "orders.partner", async (ids: readonly string[]) => {
    const byId = new Map((await services.partners.findByIds(context.ctx, ids)).map((p) => [p.id, p]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Disclosures by order id for one request. */
export function orderDisclosuresLoader(
  context: GraphQLContext,
  services: OrdersServices,
): DataLoader<string, DisclosureEntity[]> {
  return requestLoader(context, "orders.disclosures", async (ids: readonly string[]) =>
    groupBy(ids, await services.disclosures.listForOrders(context.ctx, ids), (d) => d.orderId),
  );
}

/** This request's partner reads of order contacts: one disclosure per order per request. */
function disclosuresOfRequest(context: GraphQLContext): DisclosuresOfRequest {
  return loader(context, "orders.disclosuresOfRequest", () => new DisclosuresOfRequest());
}

const CONTACT_FIELDS: Readonly<Record<string, DisclosedField>> = {
  name: DisclosedField.NAME,
  email: DisclosedField.EMAIL,
  phone: DisclosedField.PHONE,
  organisation: DisclosedField.ORGANISATION,
  address: DisclosedField.ADDRESS,
};

/**
 * {@link requestedContactFields} once per request and selection: every order of a page has the
 * same selection (the same field nodes) and the request the same variables.
 */
function contactFieldsOf(context: GraphQLContext, info: GraphQLResolveInfo): readonly DisclosedField[] {
  const bySelection = loader(
    context,
    "orders.contactFields",
    () => new Map<readonly FieldNode[], readonly DisclosedField[]>(),
  );
  let fields = bySelection.get(info.fieldNodes);
  if (!fields) bySelection.set(info.fieldNodes, (fields = requestedContactFields(info)));
  return fields;
}

/** The contact fields this selection asks for, through fragments, honouring @skip and @include. */
export function requestedContactFields(info: GraphQLResolveInfo): DisclosedField[] {
  const found = new Set<DisclosedField>();
  const included = (node: Parameters<typeof getDirectiveValues>[1]) =>
    getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.if !== false;
  const visit = (set: SelectionSetNode | undefined, seen: Set<string>) => {
    for (const selection of set?.selections ?? []) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        const field = CONTACT_FIELDS[selection.name.value];
        if (field) found.add(field);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, seen);
      } else if (!seen.has(selection.name.value)) {
        visit(info.fragments[selection.name.value]?.selectionSet, new Set(seen).add(selection.name.value));
      }
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet, new Set());
  return Object.values(DisclosedField).filter((f) => found.has(f));
}

/**
 * Orders placed by this request: their buyer sees them in full in `placeOrder`'s answer, also a
 * guest or a buyer whose profile does not keep order history (neither can read them later).
 */
function placedInThisRequest(context: GraphQLContext): Set<string> {
  return loader(context, "orders.placedInThisRequest", () => new Set<string>());
}

/** Lets this request's caller read the order it has just placed. */
export function showPlacedOrder(context: GraphQLContext, order: OrderEntity): OrderEntity {
  placedInThisRequest(context).add(order.id);
  return order;
}

/** The order's contact as the API shows it. */
function contactOf(order: OrderEntity): OrderContactObject {
  return {
    name: order.contactName,
    email: order.contactEmail,
    phone: order.contactPhone,
    organisation: order.contactOrganisation,
    address: {
      line1: order.addressLine1,
      line2: order.addressLine2,
      city: order.addressCity,
      postcode: order.addressPostcode,
      country: order.addressCountry,
    },
  };
}

/** The disclosure as the API shows it. */
export function toDisclosureObject(d: DisclosureEntity): DisclosureObject {
  return {
    id: d.id,
    partnerId: d.partnerId,
    partnerName: d.partnerName,
    orderId: d.orderId,
    orderNumber: formatOrderNumber(d.orderNumber),
    fields: decodeFields(d.fields),
    purpose: d.purpose,
    at: d.at,
  };
}

/**
 * The fields of an order that need more than its row, each through a request-scoped loader (no
 * query per order), and each checked against who is asking.
 */
@Resolver(() => OrderObject)
export class OrderFieldResolver {
  constructor(private readonly services: OrdersServices) {}

  @FieldResolver(() => String, { description: "The number people read: HON-000123." })
  number(@Root() order: OrderEntity): string {
    return formatOrderNumber(order.number);
  }

  @FieldResolver(() => [OrderLineObject])
  lines(@Root() order: OrderEntity, @Ctx() context: GraphQLContext): Promise<OrderLineEntity[]> {
    return orderLinesLoader(context, this.services).load(order.id);
  }

  @FieldResolver(() => OrderContactObject, {
    nullable: true,
    description:
      "For the buyer, SUPPORT and ADMIN; for the assigned partner while the order is ASSIGNED to it, and each such " +
      "read is recorded as a disclosure. Otherwise null with a FORBIDDEN error.",
  })
  contact(
    @Root() order: OrderEntity,
    @Ctx() context: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): OrderContactObject | Promise<OrderContactObject> {
    const actor = context.ctx.actor;
    if (!canReadContact(actor, order) && !placedInThisRequest(context).has(order.id)) {
      throw new ForbiddenException("A partner may read an order's contact only while the order is assigned to it.");
    }
    // Recorded before the data leaves: a contact is never handed over unrecorded. Everyone else's
    // read answers at once (no promise per order of a page).
    if (actor.kind !== "partner") return contactOf(order);
    const fields = contactFieldsOf(context, info);
    return this.services.disclosures
      .discloseContact(context.ctx, disclosuresOfRequest(context), order, fields)
      .then(() => contactOf(order));
  }

  @FieldResolver(() => OrderPaymentObject, {
    nullable: true,
    description: "For the buyer, SUPPORT and ADMIN; null with a FORBIDDEN error for partners. Null until paid.",
  })
  payment(@Root() order: OrderEntity, @Ctx() context: GraphQLContext): OrderPaymentObject | null {
    if (!canReadPayment(context.ctx.actor, order) && !placedInThisRequest(context).has(order.id)) {
      throw new ForbiddenException("Partners do not see payment details.");
    }
    if (!order.cardBrand || !order.cardLast4 || order.cardExpiryMonth === null || order.cardExpiryYear === null) {
      return null;
    }
    return {
      brand: order.cardBrand,
      last4: order.cardLast4,
      expiryMonth: order.cardExpiryMonth,
      expiryYear: order.cardExpiryYear,
    };
  }

  @FieldResolver(() => [LicenceObject], { description: "Issued when the order is fulfilled, for its LICENCE lines." })
  licences(@Root() order: OrderEntity, @Ctx() context: GraphQLContext): LicenceEntity[] | Promise<LicenceEntity[]> {
    // Licences are issued in the transaction that fulfils the order and sets fulfilledAt, which is
    // never cleared: an order not fulfilled has none, and a page of them costs no statement.
    if (order.fulfilledAt === null) return [];
    return licencesLoader(context, this.services).load(order.id);
  }

  @FieldResolver(() => PartnerObject, {
    nullable: true,
    description: "The partner fulfilling the order, once assigned.",
  })
  async partner(@Root() order: OrderEntity, @Ctx() context: GraphQLContext): Promise<PartnerEntity | null> {
    return order.partnerId ? partnerLoader(context, this.services).load(order.partnerId) : null;
  }

  @FieldResolver(() => [DisclosureObject], {
    nullable: true,
    description:
      "Who received this order's contact details, and when. For the buyer, SUPPORT and ADMIN; null with a " +
      "FORBIDDEN error for partners.",
  })
  async disclosures(@Root() order: OrderEntity, @Ctx() context: GraphQLContext): Promise<DisclosureObject[]> {
    if (!canReadDisclosures(context.ctx.actor, order) && !placedInThisRequest(context).has(order.id)) {
      throw new ForbiddenException("Partners do not see the disclosure log.");
    }
    return (await orderDisclosuresLoader(context, this.services).load(order.id)).map(toDisclosureObject);
  }
}
