import { ConnectionType } from "@honour/platform/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { WebhookDeliveryStatus, webhookMessageId, type WebhookDeliveryEntity } from "./webhook-delivery.entity";
import { decodeEventTypes, WebhookEventType, type WebhookEndpointEntity } from "./webhook-endpoint.entity";

registerEnumType(WebhookEventType, {
  name: "WebhookEventType",
  description: "An event a webhook endpoint can subscribe to; the payload's `type` is the value in brackets.",
  valuesConfig: {
    ORDER_ASSIGNED: {
      description:
        "order.assigned: an order was assigned to the partner (ids only; fetch the contact with partnerOrder).",
    },
    ORDER_CANCELLED: {
      description:
        "order.cancelled: an order the partner was assigned was cancelled (reason CANCELLED) or reassigned (REASSIGNED).",
    },
    ORDER_FULFILLED: { description: "order.fulfilled: the partner marked an order fulfilled." },
    ERASURE_REQUESTED: {
      description: "erasure.requested: an erasure notice (erase your copies of these orders' contacts).",
    },
    KEY_EXPIRING: {
      description: "key.expiring: one of the partner's API keys expires within 14 days (sent once per key).",
    },
  },
});
registerEnumType(WebhookDeliveryStatus, { name: "WebhookDeliveryStatus" });

/** An endpoint as the API shows it: never its secret. */
export interface WebhookEndpointView {
  id: string;
  partnerId: string;
  url: string;
  eventTypes: WebhookEventType[];
  enabled: boolean;
  disabledReason: string | null;
  failingSince: Date | null;
  lastSuccessAt: Date | null;
  previousSecretUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function endpointView(endpoint: WebhookEndpointEntity): WebhookEndpointView {
  return {
    id: endpoint.id,
    partnerId: endpoint.partnerId,
    url: endpoint.url,
    eventTypes: decodeEventTypes(endpoint.eventTypes),
    enabled: endpoint.enabled,
    disabledReason: endpoint.disabledReason,
    failingSince: endpoint.failingSince,
    lastSuccessAt: endpoint.lastSuccessAt,
    previousSecretUntil: endpoint.previousSecretUntil,
    createdAt: endpoint.createdAt,
    updatedAt: endpoint.updatedAt,
  };
}

@ObjectType("WebhookEndpoint", {
  simpleResolvers: true,
  description: "A partner's URL that receives signed webhooks (Standard Webhooks) for the events it subscribed to.",
})
export class WebhookEndpointObject implements WebhookEndpointView {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  partnerId!: string;

  @Field(() => String)
  url!: string;

  @Field(() => [WebhookEventType])
  eventTypes!: WebhookEventType[];

  @Field(() => Boolean, { description: "A disabled endpoint receives nothing." })
  enabled!: boolean;

  @Field(() => String, {
    nullable: true,
    description: "Why it is disabled (by an administrator, or failing for too long).",
  })
  disabledReason!: string | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: "The first failed attempt since the last success." })
  failingSince!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  lastSuccessAt!: Date | null;

  @Field(() => GraphQLDateTime, {
    nullable: true,
    description:
      "After rotateWebhookSecret, until when the previous secret still signs beside the new one (two signatures " +
      "in webhook-signature); null when only the current secret signs.",
  })
  previousSecretUntil!: Date | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime)
  updatedAt!: Date;
}

@ObjectType("WebhookEndpointSecret", {
  simpleResolvers: true,
  description: "An endpoint with its signing secret: shown in this answer only (creation, rotation); stored encrypted.",
})
export class WebhookEndpointSecretObject {
  @Field(() => WebhookEndpointObject)
  endpoint!: WebhookEndpointView;

  @Field(() => String, {
    description:
      "whsec_ and base64: give it to the partner, who verifies each webhook with it (standardwebhooks' Webhook).",
  })
  secret!: string;
}

@ObjectType("WebhookDelivery", {
  simpleResolvers: true,
  description: "One event for one endpoint, and how its attempts went (the last attempt's outcome).",
})
export class WebhookDeliveryObject {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "The webhook-id header of every attempt: msg_ and the id without dashes." })
  webhookId!: string;

  @Field(() => WebhookEventType)
  eventType!: WebhookEventType;

  @Field(() => WebhookDeliveryStatus)
  status!: WebhookDeliveryStatus;

  @Field(() => Int, { description: "Attempts made so far." })
  attempts!: number;

  @Field(() => Int, { nullable: true, description: "The last attempt's HTTP status; null when there was no answer." })
  httpStatus!: number | null;

  @Field(() => Int, { nullable: true, description: "The last attempt's milliseconds from sending to the answer." })
  latencyMs!: number | null;

  @Field(() => String, {
    nullable: true,
    description: "Why the last attempt failed (HTTP 500, timed out, refused address …).",
  })
  error!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  lastAttemptAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  finishedAt!: Date | null;
}

export function deliveryView(delivery: WebhookDeliveryEntity): WebhookDeliveryObject {
  return {
    id: delivery.id,
    webhookId: webhookMessageId(delivery.id),
    eventType: delivery.eventType as WebhookEventType,
    status: delivery.status,
    attempts: delivery.attempts,
    httpStatus: delivery.httpStatus,
    latencyMs: delivery.latencyMs,
    error: delivery.error,
    createdAt: delivery.createdAt,
    lastAttemptAt: delivery.lastAttemptAt,
    nextAttemptAt: delivery.nextAttemptAt,
    finishedAt: delivery.finishedAt,
  };
}

export const WebhookDeliveryConnection = ConnectionType("WebhookDelivery", WebhookDeliveryObject);
