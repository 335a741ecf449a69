// The transactional outbox: the one place that writes outbox_event. A change publishes its
// events in the same database transaction as the change itself, so a rolled-back change never
// announces anything and a committed one always does; the relay (modules/live/outbox-relay.ts)
// reads the table after commit and fans the events out to subscribers on every instance.
// Never NOTIFY from here: PostgreSQL serialises the commits of every transaction that notified.
import { Db, query } from './sql';
import { notePublished } from './transaction';

/** The balance of a member's wallet as of one committed change. */
export interface BalanceChangedPayload {
  transactionId: string | null;
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

/** A redemption code honoured at the reward partner's till. */
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

/** What one event carries, by topic: the payload types are the contract between writers and readers. */
export type NewOutboxEvent =
  | { topic: 'BALANCE_CHANGED'; memberId: string; partnerId: string | null; payload: BalanceChangedPayload }
  | { topic: 'TIER_CHANGED'; memberId: string; partnerId?: null; payload: TierChangedPayload }
  | { topic: 'CHALLENGE_COMPLETED'; memberId: string; partnerId: string | null; payload: ChallengeCompletedPayload }
  | { topic: 'REDEMPTION_FULFILLED'; memberId: string; partnerId: string; payload: RedemptionFulfilledPayload }
  | { topic: 'EXCHANGE_RATE_CHANGED'; memberId?: null; partnerId: string; payload: ExchangeRateChangedPayload }
  | { topic: 'API_KEY_REVOKED'; memberId?: null; partnerId: string; payload: ApiKeyRevokedPayload };

export type OutboxTopic = NewOutboxEvent['topic'];

/**
 * The INSERT of a list of events, as SQL that reads four array parameters starting at `$first`
 * (topics, member ids, partner ids, payloads), in list order. The journal embeds it in its one
 * set-based write statement (a CTE) so that posting and announcing stay one round trip.
 */
export function outboxInsertSql(first: number): string {
  const [t, m, p, j] = [first, first + 1, first + 2, first + 3];
  return `INSERT INTO outbox_event (topic, member_id, partner_id, payload)
         SELECT topic, member_id, partner_id, payload
           FROM unnest($${t}::text[], $${m}::uuid[], $${p}::uuid[], $${j}::jsonb[]) WITH ORDINALITY AS e(topic, member_id, partner_id, payload, n)
          ORDER BY n`;
}

/** The four parameters of outboxInsertSql for these events, in transaction `m`. */
export function outboxInsertParams(m: Db, events: readonly NewOutboxEvent[]): unknown[] {
  if (events.length > 0) notePublished(m);
  return [
    events.map((e) => e.topic),
    events.map((e) => e.memberId ?? null),
    events.map((e) => e.partnerId ?? null),
    events.map((e) => JSON.stringify(e.payload)),
  ];
}

/** Publish events in the caller's transaction (they are relayed once it commits). */
export async function publish(m: Db, ...events: NewOutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  await query(m, outboxInsertSql(1), outboxInsertParams(m, events));
}
