// The transactional outbox: the one place that writes outbox_event. A change publishes its
// events in the same database transaction as the change itself, so a rolled-back change never
// announces anything and a committed one always does; the relay (modules/live/outbox-relay.ts)
// reads the table after commit and fans the events out to subscribers on every instance.
// Never NOTIFY from here: PostgreSQL serialises the commits of every transaction that notified.
//
// Webhooks are fed here too, in the same statement: each event that is a webhook
// (webhook-events.ts) gets one webhook_delivery per active endpoint subscribed to its type and
// entitled to it, so a rolled-back change never produces a delivery and a committed one always
// does. It is one INSERT … SELECT joined with the endpoints, whatever the number of events: with
// no endpoint, a join with an empty table.
import { Db, query } from './sql';
import { notePublished } from './transaction';
import { webhookEventTypeOf } from './webhook-events';

/** The balance of a member's wallet as of one committed change. */
export interface BalanceChangedPayload {
  transactionId: string | null;
  /** The type of that transaction (absent for a pending release): what the webhook is sent as. */
  transactionType?: string;
  available: number;
  lifetimeEarned: number;
  pending: number;
  qualifyingPoints: number;
}

export interface TierChangedPayload {
  fromTierId: string;
  toTierId: string;
  transactionId: string | null;
}

export interface ChallengeCompletedPayload {
  challengeId: string;
  windowStart: Date;
  transactionId: string | null;
  badgeName: string;
  bonusPoints: number;
  completedAt: Date;
}

export interface ExchangeRateChangedPayload {
  exchangeRateId: string;
  [k: string]: unknown;
}

/** A redemption's code was honoured at the till of the reward's partner (the event's partner). */
export interface RedemptionFulfilledPayload {
  redemptionId: string;
  rewardId: string;
  quantity: number;
  pointsSpent: number;
  fulfilledAt: Date | string;
  [k: string]: unknown;
}

/** For every instance to close the live connections of a key that ends. */
export interface ApiKeyRevokedPayload {
  apiKeyId: string;
  endsAt: Date | string;
  [k: string]: unknown;
}

/** A member joined, at `partnerId` (null: enrolled by an admin or the system). */
export interface MemberEnrolledPayload {
  enrolledByPartnerId: string | null;
  [k: string]: unknown;
}

/** What one event carries, by topic: the payload types are the contract between writers and readers. */
export type NewOutboxEvent =
  | { topic: 'BALANCE_CHANGED'; memberId: string; partnerId: string | null; payload: BalanceChangedPayload }
  | { topic: 'TIER_CHANGED'; memberId: string; partnerId?: null; payload: TierChangedPayload }
  | { topic: 'CHALLENGE_COMPLETED'; memberId: string; partnerId: string | null; payload: ChallengeCompletedPayload }
  | { topic: 'EXCHANGE_RATE_CHANGED'; memberId?: null; partnerId: string; payload: ExchangeRateChangedPayload }
  | { topic: 'API_KEY_REVOKED'; memberId?: null; partnerId: string; payload: ApiKeyRevokedPayload }
  | { topic: 'MEMBER_ENROLLED'; memberId: string; partnerId: string | null; payload: MemberEnrolledPayload }
  | { topic: 'REDEMPTION_FULFILLED'; memberId: string; partnerId: string; payload: RedemptionFulfilledPayload };

export type OutboxTopic = NewOutboxEvent['topic'];

/**
 * The INSERT of a list of events, and of their webhook deliveries, as common table expressions
 * (`outbox_new`, `outbox_rows`, `webhook_fanout`) for the caller's WITH list. They read five
 * array parameters starting at `$first` (topics, member ids, partner ids, payloads, webhook
 * types), in list order. The journal embeds them in its one set-based write statement so that
 * posting and announcing stay one round trip.
 *
 * Ids are drawn before the insert so that the deliveries can name their event: a data-modifying
 * CTE cannot be read back by a sibling except through RETURNING, which cannot carry the webhook
 * type. A partner's endpoint gets the events attributed to that partner (its transactions, its
 * rewards' redemptions, its rates, its enrolments) and the tier changes of members linked to it;
 * the coalition's (partner_id NULL) gets every event.
 */
export function outboxCtes(first: number): string {
  const [t, m, p, j, w] = [first, first + 1, first + 2, first + 3, first + 4];
  return `outbox_new AS MATERIALIZED (
       SELECT nextval('outbox_event_id_seq') AS id, topic, member_id, partner_id, payload, webhook
         FROM unnest($${t}::text[], $${m}::uuid[], $${p}::uuid[], $${j}::jsonb[], $${w}::text[]) WITH ORDINALITY AS e(topic, member_id, partner_id, payload, webhook, n)
        ORDER BY n),
     outbox_rows AS (
       INSERT INTO outbox_event (id, topic, member_id, partner_id, payload) OVERRIDING SYSTEM VALUE
       SELECT id, topic, member_id, partner_id, payload FROM outbox_new ORDER BY id),
     webhook_fanout AS (
       INSERT INTO webhook_delivery (endpoint_id, event_id, event_type, member_id, payload)
       SELECT w.id, e.id, e.webhook, e.member_id, e.payload
         FROM outbox_new e JOIN webhook_endpoint w ON w.active AND e.webhook = ANY (w.events)
        WHERE e.webhook IS NOT NULL
          AND (w.partner_id IS NULL OR w.partner_id = e.partner_id
               OR (e.topic = 'TIER_CHANGED'
                   AND EXISTS (SELECT 1 FROM member_partner_link l WHERE l.member_id = e.member_id AND l.partner_id = w.partner_id)))
        ORDER BY e.id, w.id)`;
}

/** The five parameters of outboxCtes for these events, in transaction `m`. */
export function outboxInsertParams(m: Db, events: readonly NewOutboxEvent[]): unknown[] {
  if (events.length > 0) notePublished(m);
  return [
    events.map((e) => e.topic),
    events.map((e) => e.memberId ?? null),
    events.map((e) => e.partnerId ?? null),
    events.map((e) => JSON.stringify(e.payload)),
    events.map((e) => webhookEventTypeOf(e.topic, e.topic === 'BALANCE_CHANGED' ? e.payload.transactionType : null)),
  ];
}

/** Publish events in the caller's transaction (they are relayed once it commits). */
export async function publish(m: Db, ...events: NewOutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  await query(m, `WITH ${outboxCtes(1)} SELECT 1`, outboxInsertParams(m, events));
}
