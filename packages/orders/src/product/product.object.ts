import { ConnectionType } from "@honour/platform/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { Currency, ProductKind } from "./product.entity";

registerEnumType(ProductKind, {
  name: "ProductKind",
  description: "What fulfilling a product means; a LICENCE line issues licences when the order is fulfilled.",
});
registerEnumType(Currency, { name: "Currency", description: "ISO 4217 currency of prices and orders." });

@ObjectType("Product", { simpleResolvers: true, description: "A catalogue entry. Orders take their prices from here." })
export class ProductObject {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "Upper-case letters and digits in groups joined by hyphens; unique." })
  sku!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  description!: string;

  @Field(() => Int, { description: "Price in minor units (pence)." })
  priceMinor!: number;

  @Field(() => Currency)
  currency!: Currency;

  @Field(() => ProductKind)
  kind!: ProductKind;

  @Field(() => Boolean, { description: "Only active products can be ordered." })
  active!: boolean;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

export const ProductConnection = ConnectionType("Product", ProductObject);
