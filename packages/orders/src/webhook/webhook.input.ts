import { IsOptional } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { WebhookEventType } from "./webhook-endpoint.entity";

@InputType({ description: "A new webhook endpoint for a partner." })
export class CreateWebhookEndpointInput {
  @Field(() => ID)
  partnerId!: string;

  @Field(() => String, {
    description: "Where events are POSTed: https in production; never a private, local or metadata address.",
  })
  url!: string;

  @Field(() => [WebhookEventType])
  eventTypes!: WebhookEventType[];

  @Field(() => Boolean, { nullable: true, description: "Default true." })
  @IsOptional()
  enabled?: boolean | null;
}

@InputType({ description: "A change to a webhook endpoint; what is left out stays as it is." })
export class UpdateWebhookEndpointInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  url?: string | null;

  @Field(() => [WebhookEventType], { nullable: true })
  @IsOptional()
  eventTypes?: WebhookEventType[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "false: nothing is sent and waiting deliveries are cancelled; true: clears the failure record.",
  })
  @IsOptional()
  enabled?: boolean | null;
}
