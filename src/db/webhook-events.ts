// Which outbox events are webhooks, and as what: one table from an event's kind (its topic, and
// for a balance change the type of the transaction behind it) to the WebhookEventType a receiver
// sees. A new kind of points movement or announcement that partners should hear about is one
// line here. Kinds not listed (a pending release, a challenge completion, a revoked key) are not
// sent as webhooks.
export const WEBHOOK_EVENT_TYPES = [
  'POINTS_EARNED',
  'POINTS_REDEEMED',
  'POINTS_REVERSED',
  'POINTS_EXPIRED',
  'POINTS_ADJUSTED',
  'TIER_CHANGED',
  'MEMBER_ENROLLED',
  'REDEMPTION_FULFILLED',
  'EXCHANGE_RATE_CHANGED',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

const WEBHOOK_EVENT_OF_KIND: Readonly<Record<string, WebhookEventType>> = Object.freeze({
  'BALANCE_CHANGED:EARN': 'POINTS_EARNED',
  // Birthday, referral and challenge bonuses are points earned too, paid by whoever funds them.
  'BALANCE_CHANGED:BONUS': 'POINTS_EARNED',
  'BALANCE_CHANGED:REDEEM': 'POINTS_REDEEMED',
  // Points spent at a till as money off the bill (issue 15 §3) are a redemption for a receiver.
  'BALANCE_CHANGED:PAYMENT': 'POINTS_REDEEMED',
  'BALANCE_CHANGED:REVERSAL': 'POINTS_REVERSED',
  'BALANCE_CHANGED:EXPIRY': 'POINTS_EXPIRED',
  'BALANCE_CHANGED:ADJUSTMENT': 'POINTS_ADJUSTED',
  TIER_CHANGED: 'TIER_CHANGED',
  MEMBER_ENROLLED: 'MEMBER_ENROLLED',
  REDEMPTION_FULFILLED: 'REDEMPTION_FULFILLED',
  EXCHANGE_RATE_CHANGED: 'EXCHANGE_RATE_CHANGED',
});

/** The webhook an event is sent as, or null when it is not one. */
export function webhookEventTypeOf(topic: string, transactionType?: string | null): WebhookEventType | null {
  return WEBHOOK_EVENT_OF_KIND[transactionType ? `${topic}:${transactionType}` : topic] ?? null;
}
