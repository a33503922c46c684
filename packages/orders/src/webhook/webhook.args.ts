import { MAX_PAGE_SIZE } from "@honour/platform";
import { IsOptional, Max, Min, ValidateNested } from "class-validator";
import { ArgsType, Field, ID, Int } from "type-graphql";
import { UpdateWebhookEndpointInput } from "./webhook.input";

/** `webhookDeliveries(endpointId, first, after)`, in the contract's order. */
@ArgsType()
export class WebhookDeliveriesArgs {
  @Field(() => ID)
  endpointId!: string;

  @Field(() => Int, { nullable: true, description: `Page size, 1–${MAX_PAGE_SIZE} (default 20).` })
  @IsOptional()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first?: number;

  @Field(() => String, { nullable: true, description: "endCursor of the previous page." })
  @IsOptional()
  after?: string;
}

/** `updateWebhookEndpoint(id, input)`, in the contract's order. */
@ArgsType()
export class UpdateWebhookEndpointArgs {
  @Field(() => ID)
  id!: string;

  @Field(() => UpdateWebhookEndpointInput)
  @ValidateNested()
  input!: UpdateWebhookEndpointInput;
}
