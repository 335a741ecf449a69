import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { WEBHOOK_EVENT_TYPES, WebhookEventType as EventTypeName } from '../../db/webhook-events';
import { Connection } from '../../graphql/connection';
import { ListSize } from '../../graphql/list-size';

// The GraphQL enum is built from the one list in db/webhook-events.ts.
export const WebhookEventType = Object.freeze(Object.fromEntries(WEBHOOK_EVENT_TYPES.map((t) => [t, t])) as { [K in EventTypeName]: K });
registerEnumType(WebhookEventType, {
  name: 'WebhookEventType',
  description: 'What a webhook announces; POINTS_REDEEMED covers reward redemptions and payments with points alike',
});

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(WebhookDeliveryStatus, { name: 'WebhookDeliveryStatus', description: 'FAILED: every attempt of the retry schedule failed' });

@ObjectType({ simpleResolvers: true, description: "Where a partner's (or the coalition's) webhooks go; the signing secret is never shown again" })
export class WebhookEndpoint {
  @Field(() => ID)
  id!: string;

  partnerId!: string | null;

  @Field(() => String)
  url!: string;

  @Field(() => [WebhookEventType])
  @ListSize({ max: WEBHOOK_EVENT_TYPES.length })
  events!: EventTypeName[];

  @Field(() => Boolean)
  active!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Why it is inactive: switched off (setWebhookEndpointActive), or deactivated after its deliveries failed for the whole retry schedule',
  })
  deactivatedReason!: string | null;

  @Field(() => Date, { nullable: true })
  deactivatedAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;
}

export const ENDPOINT_COLUMNS = `id, partner_id AS "partnerId", url, events, active, deactivated_reason AS "deactivatedReason",
  deactivated_at AS "deactivatedAt", created_at AS "createdAt"`;

@ObjectType({ simpleResolvers: true })
export class CreatedWebhookEndpoint {
  @Field(() => WebhookEndpoint)
  endpoint!: WebhookEndpoint;

  @Field(() => String, { description: 'Standard Webhooks signing secret (whsec_…). Shown once: keep it in the receiver' })
  secret!: string;
}

@ObjectType({ simpleResolvers: true, description: 'One event on its way to one endpoint' })
export class WebhookDelivery {
  @Field(() => ID)
  id!: string;

  seq!: number;

  endpointId!: string;

  @Field(() => ID, { description: 'The webhook-id header is msg_<eventId>; the body carries it as id' })
  eventId!: string;

  @Field(() => WebhookEventType)
  eventType!: EventTypeName;

  @Field(() => WebhookDeliveryStatus)
  status!: WebhookDeliveryStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the last answer (null: none yet, or no answer)' })
  lastStatusCode!: number | null;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed (HTTP status, timeout, connection refused…)' })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: 'When it is tried next while PENDING' })
  nextAttemptAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;
}

export const DELIVERY_COLUMNS = `id::text AS id, id AS seq, endpoint_id AS "endpointId", event_id::text AS "eventId", event_type AS "eventType", status,
  attempts, last_status_code AS "lastStatusCode", last_error AS "lastError", next_attempt_at AS "nextAttemptAt", created_at AS "createdAt"`;

export const WebhookDeliveryConnection = Connection(WebhookDelivery, 'WebhookDelivery');

@InputType()
export class CreateWebhookEndpointInput {
  @Field(() => String, { description: 'https:// (http:// allowed outside production); private addresses are refused in production' })
  url!: string;

  @Field(() => [WebhookEventType])
  events!: EventTypeName[];

  @Field(() => ID, { nullable: true, description: "Admins: the partner it is for; omit for the coalition's own endpoint (every event)" })
  partnerId?: string | null;
}
