import { Field, ID, InputType, Int } from "type-graphql";
import type { AddressDetails, OrderLineRequest, PaymentChoice, PlaceOrderRequest } from "./place-order-checks";

// These inputs are checked by PlaceOrderService (place-order-checks.ts), not by class-validator,
// and their fields are nullable in the schema even where required: a value missing or invalid is reported in
// `extensions.fields` (every problem at once) by code that never repeats what was sent. GraphQL's
// own coercion errors quote the enclosing input object, and PlaceOrderInput carries card data.

@InputType({ description: "A product and how many. Prices come from the catalogue, never from the client." })
export class OrderLineInput implements Partial<OrderLineRequest> {
  @Field(() => String, { nullable: true, description: "Required. A SKU of an active product." })
  sku?: string;

  @Field(() => Int, { nullable: true, description: "Required. 1 to 1000." })
  quantity?: number;
}

@InputType()
export class AddressInput implements Partial<AddressDetails> {
  @Field(() => String, { nullable: true, description: "Required. At most 200 characters." })
  line1?: string;

  @Field(() => String, { nullable: true, description: "At most 200 characters." })
  line2?: string | null;

  @Field(() => String, { nullable: true, description: "Required. At most 100 characters." })
  city?: string;

  @Field(() => String, { nullable: true, description: "Required. At most 16 characters." })
  postcode?: string;

  @Field(() => String, { nullable: true, description: "Required. ISO 3166-1 alpha-2, e.g. GB." })
  country?: string;
}

@InputType({ description: "Used to fulfil the order, and shared only with the partner fulfilling it." })
export class OrderContactInput {
  @Field(() => String, { nullable: true, description: "Required. At most 200 characters." })
  name?: string;

  @Field(() => String, { nullable: true, description: "Required. An email address." })
  email?: string;

  @Field(() => String, { nullable: true, description: "Digits, spaces, ( ) - and a leading +." })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: "At most 200 characters." })
  organisation?: string | null;

  @Field(() => AddressInput, { nullable: true, description: "Required." })
  address?: AddressInput | null;
}

@InputType({
  description:
    "One of: the card fields (cardNumber, expiryMonth, expiryYear, cvc, cardholderName), savedPaymentMethodId, or " +
    "cardToken (made in the browser). The card number and CVC go to the payment provider and are never stored or logged.",
})
export class PaymentInput implements PaymentChoice {
  @Field(() => String, { nullable: true, description: "12 to 19 digits; spaces and hyphens are ignored." })
  cardNumber?: string | null;

  @Field(() => Int, { nullable: true, description: "1 to 12." })
  expiryMonth?: number | null;

  @Field(() => Int, { nullable: true, description: "Four digits, e.g. 2029." })
  expiryYear?: number | null;

  @Field(() => String, { nullable: true, description: "3 digits (4 for American Express)." })
  cvc?: string | null;

  @Field(() => String, { nullable: true, description: "As printed on the card." })
  cardholderName?: string | null;

  @Field(() => ID, { nullable: true, description: "One of User.savedPaymentMethods; signed-in buyers only." })
  savedPaymentMethodId?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "A token the payment provider's script made in the buyer's browser from the card, so the card never reaches " +
      "your servers or Honour's (PCI DSS SAQ A). The demo provider's script is /js/honour-pay.js. Single use.",
  })
  cardToken?: string | null;
}

@InputType()
export class PlaceOrderInput implements PlaceOrderRequest {
  @Field(() => [OrderLineInput], { nullable: true, description: "Required. 1 to 50 lines." })
  lines?: OrderLineInput[] | null;

  @Field(() => OrderContactInput, { nullable: true, description: "Required." })
  contact?: OrderContactInput | null;

  @Field(() => PaymentInput)
  payment!: PaymentInput;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description:
      "Keep the card (its token, brand, last four digits and expiry) on your profile for next time. Signed-in " +
      "buyers only; ignored while your profile's keepBillingDetails is off.",
  })
  saveBillingDetails?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description:
      "Any string of up to 200 printable characters, new for each order. Sending the same key again returns the " +
      "same order and never charges twice; with a different order it is CONFLICT.",
  })
  idempotencyKey?: string | null;
}
