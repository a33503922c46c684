import { IsBoolean, IsEnum, IsInt, IsNotEmpty, IsOptional, Matches, Max, MaxLength, Min } from "class-validator";
import { Field, InputType, Int } from "type-graphql";
import { Currency, PRODUCT_LIMITS, ProductKind } from "./product.entity";
import type { ProductChanges, ProductDraft } from "./product.service";
import "./product.object"; // registers the enums before they are used here

/** SKUs are upper-cased by the service; the pattern here accepts either case. */
const SKU_INPUT = /^\s*[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\s*$/;
const SKU_MESSAGE = "sku must be letters and digits in groups joined by single hyphens";

@InputType()
export class CreateProductInput implements ProductDraft {
  @Field(() => String, { description: "Letters and digits in groups joined by hyphens; stored upper-case, unique." })
  @Matches(SKU_INPUT, { message: SKU_MESSAGE })
  @MaxLength(PRODUCT_LIMITS.sku)
  sku!: string;

  @Field(() => String)
  @IsNotEmpty()
  @MaxLength(PRODUCT_LIMITS.name)
  name!: string;

  @Field(() => String, { defaultValue: "" })
  @MaxLength(PRODUCT_LIMITS.description)
  description!: string;

  @Field(() => Int, { description: `Price in minor units (pence), 0 to ${PRODUCT_LIMITS.priceMinor}.` })
  @IsInt()
  @Min(0)
  @Max(PRODUCT_LIMITS.priceMinor)
  priceMinor!: number;

  @Field(() => Currency, { defaultValue: Currency.GBP })
  @IsEnum(Currency)
  currency!: Currency;

  @Field(() => ProductKind)
  @IsEnum(ProductKind)
  kind!: ProductKind;

  @Field(() => Boolean, { defaultValue: true })
  @IsBoolean()
  active!: boolean;
}

@InputType({ description: "Fields left out (or null) stay as they are." })
export class UpdateProductInput implements ProductChanges {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(SKU_INPUT, { message: SKU_MESSAGE })
  @MaxLength(PRODUCT_LIMITS.sku)
  sku?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsNotEmpty()
  @MaxLength(PRODUCT_LIMITS.name)
  name?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(PRODUCT_LIMITS.description)
  description?: string | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(PRODUCT_LIMITS.priceMinor)
  priceMinor?: number | null;

  @Field(() => Currency, { nullable: true })
  @IsOptional()
  @IsEnum(Currency)
  currency?: Currency | null;

  @Field(() => ProductKind, { nullable: true })
  @IsOptional()
  @IsEnum(ProductKind)
  kind?: ProductKind | null;

  @Field(() => Boolean, { nullable: true, description: "False takes the product off sale." })
  @IsOptional()
  @IsBoolean()
  active?: boolean | null;
}
