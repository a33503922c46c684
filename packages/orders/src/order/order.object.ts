import { ConnectionType } from "@honour/platform/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { CardBrand } from "../payment/card";
import { Currency, ProductKind } from "../product/product.entity";
import "../product/product.object"; // registers ProductKind and Currency
import { OrderStatus } from "./order-state";

registerEnumType(OrderStatus, {
  name: "OrderStatus",
  description: "PLACED → PAID → ASSIGNED → FULFILLED, or CANCELLED before fulfilment.",
});
registerEnumType(CardBrand, { name: "CardBrand", description: "The card network, from the card number." });

@ObjectType("OrderLine", { simpleResolvers: true, description: "A product as it was sold, priced by the catalogue." })
export class OrderLineObject {
  @Field(() => String)
  sku!: string;

  @Field(() => String)
  name!: string;

  @Field(() => ProductKind)
  kind!: ProductKind;

  @Field(() => Int)
  quantity!: number;

  @Field(() => Int, { description: "Minor units (pence), from the catalogue when the order was placed." })
  unitPriceMinor!: number;

  @Field(() => Int, { description: "quantity × unitPriceMinor." })
  totalMinor!: number;
}

@ObjectType("Address", { simpleResolvers: true })
export class AddressObject {
  @Field(() => String)
  line1!: string;

  @Field(() => String, { nullable: true })
  line2!: string | null;

  @Field(() => String)
  city!: string;

  @Field(() => String)
  postcode!: string;

  @Field(() => String, { description: "ISO 3166-1 alpha-2." })
  country!: string;
}

@ObjectType("OrderContact", {
  simpleResolvers: true,
  description: "Who the order is for, used for fulfilment only.",
})
export class OrderContactObject {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  email!: string;

  @Field(() => String, { nullable: true })
  phone!: string | null;

  @Field(() => String, { nullable: true })
  organisation!: string | null;

  @Field(() => AddressObject)
  address!: AddressObject;
}

@ObjectType("OrderPayment", {
  simpleResolvers: true,
  description: "What is kept of the card: brand, last four digits and expiry. Never the number or the CVC.",
})
export class OrderPaymentObject {
  @Field(() => CardBrand)
  brand!: CardBrand;

  @Field(() => String)
  last4!: string;

  @Field(() => Int)
  expiryMonth!: number;

  @Field(() => Int)
  expiryYear!: number;
}

@ObjectType("Licence", { simpleResolvers: true, description: "Issued for each unit of a LICENCE line on fulfilment." })
export class LicenceObject {
  @Field(() => String)
  sku!: string;

  @Field(() => String, { description: "Serial number: XXXXX-XXXXX-XXXXX-XXXXX." })
  serial!: string;

  @Field(() => String, { description: "Control code that goes with the serial number." })
  controlCode!: string;

  @Field(() => GraphQLDateTime)
  issuedAt!: Date;
}

@ObjectType("Order", {
  // Plain fields resolve as properties; the others have their own resolvers (OrderFieldResolver).
  simpleResolvers: true,
  description:
    "An order. Its buyer, SUPPORT and ADMIN see all of it. The partner assigned to it sees only what fulfilment " +
    "needs: the fields payment and disclosures answer null with a FORBIDDEN error for partners, and so does " +
    "contact once the order is no longer assigned to them (fulfilled, cancelled or reassigned).",
})
export class OrderObject {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "The number people read: HON-000123." })
  number!: string;

  @Field(() => OrderStatus)
  status!: OrderStatus;

  @Field(() => GraphQLDateTime)
  placedAt!: Date;

  @Field(() => Int, { description: "Sum of the lines in minor units (pence), computed from the catalogue." })
  totalMinor!: number;

  @Field(() => Currency)
  currency!: Currency;

  @Field(() => GraphQLDateTime, { nullable: true })
  paidAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  fulfilledAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  cancelledAt!: Date | null;

  @Field(() => GraphQLDateTime, {
    nullable: true,
    description:
      "When the buyer's contact was erased (account closure): the order is kept for accounting with its contact " +
      'replaced by "(erased)" but the country, and deleted after the accounting period.',
  })
  contactErasedAt!: Date | null;
}

export const OrderConnection = ConnectionType("Order", OrderObject);
