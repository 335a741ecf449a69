// The body of a webhook: the event's id (the same eventId the subscriptions carry), its type, when
// it happened, and the data a subscriber of that event would read. Built once, at the first
// attempt, from the event's payload and the rows it names (append-only ledger rows, the rate
// version, the tiers), then kept on the delivery so every attempt and redelivery sends the same.
import type { Db } from '../../db/sql';
import { queryOne } from '../../db/sql';
import type { WebhookEventType } from '../../db/webhook-events';
import { formatAmount } from '../../money/decimal';
import { membersVisibleToPartner } from '../privacy/visibility';
import { maskDisplayName, maskEmail } from '../privacy/personal-data';

export interface WebhookEventSource {
  eventId: number;
  eventType: WebhookEventType;
  memberId: string | null;
  /** The outbox payload (db/outbox.ts), as written with the event. */
  payload: Record<string, unknown>;
  createdAt: Date;
}

export interface WebhookBody {
  id: string;
  type: WebhookEventType;
  timestamp: string;
  data: Record<string, unknown>;
}

async function transactionData(db: Db, transactionId: unknown) {
  if (typeof transactionId !== 'string') return null;
  const tx = await queryOne<{ purchaseAmount: string | null; purchaseCurrency: string | null; [k: string]: unknown }>(
    db,
    `SELECT id, type, partner_id AS "partnerId", points, balance_after AS "balanceAfter", purchase_amount::text AS "purchaseAmount",
            purchase_currency AS "purchaseCurrency", channel, external_ref AS "externalRef", reverses_id AS "reversesId", reason, created_at AS "createdAt"
       FROM ledger_transaction WHERE id = $1`,
    [transactionId],
  );
  if (!tx) return null;
  const { purchaseAmount, purchaseCurrency, ...rest } = tx;
  // Money as the API shows it: the currency's decimals, as a string.
  const purchase =
    purchaseAmount !== null && purchaseCurrency !== null ? { amount: formatAmount(purchaseAmount, purchaseCurrency), currencyCode: purchaseCurrency } : null;
  return { ...rest, purchase };
}

/**
 * recipientPartnerId: the endpoint's partner (null: the coalition's, which sees everything). A
 * partner gets a member's personal fields as the API would show them to it: masked unless the
 * member enrolled there or consented (README "Privacy").
 */
async function dataOf(db: Db, e: WebhookEventSource, recipientPartnerId: string | null): Promise<Record<string, unknown>> {
  const p = e.payload;
  switch (e.eventType) {
    case 'POINTS_EARNED':
    case 'POINTS_REDEEMED':
    case 'POINTS_REVERSED':
    case 'POINTS_EXPIRED':
    case 'POINTS_ADJUSTED':
      return {
        memberId: e.memberId,
        balance: { available: p.available, pending: p.pending, lifetimeEarned: p.lifetimeEarned, qualifyingPoints: p.qualifyingPoints },
        transaction: await transactionData(db, p.transactionId),
      };
    case 'TIER_CHANGED': {
      const tiers = await queryOne<{ from: unknown; to: unknown }>(
        db,
        `SELECT (SELECT json_build_object('id', id, 'name', name, 'rank', rank) FROM tier WHERE id = $1) AS "from",
                (SELECT json_build_object('id', id, 'name', name, 'rank', rank) FROM tier WHERE id = $2) AS "to"`,
        [p.fromTierId, p.toTierId],
      );
      return { memberId: e.memberId, from: tiers?.from ?? null, to: tiers?.to ?? null, at: e.createdAt };
    }
    case 'MEMBER_ENROLLED': {
      const member = await queryOne<{ id: string; email: string; displayName: string }>(
        db,
        `SELECT m.id, m.email, m.display_name AS "displayName", m.enrolled_at AS "enrolledAt",
                json_build_object('id', t.id, 'name', t.name) AS tier
           FROM member m JOIN tier t ON t.id = m.tier_id WHERE m.id = $1`,
        [e.memberId],
      );
      if (member && recipientPartnerId !== null && !(await membersVisibleToPartner(db, recipientPartnerId, [member.id])).has(member.id)) {
        Object.assign(member, { email: maskEmail(member.email), displayName: maskDisplayName(member.displayName) });
      }
      return { member: member ?? { id: e.memberId }, enrolledByPartnerId: p.enrolledByPartnerId ?? null };
    }
    case 'EXCHANGE_RATE_CHANGED': {
      const rate = await queryOne(
        db,
        `SELECT id, partner_id AS "partnerId", version, earn_rate::text AS "earnRate", burn_rate::text AS "burnRate", effective_from AS "effectiveFrom"
           FROM exchange_rate WHERE id = $1`,
        [p.exchangeRateId],
      );
      return { exchangeRate: rate ?? { id: p.exchangeRateId } };
    }
    case 'REDEMPTION_FULFILLED':
      return {
        memberId: e.memberId,
        redemptionId: p.redemptionId,
        rewardId: p.rewardId,
        quantity: p.quantity,
        pointsSpent: p.pointsSpent,
        fulfilledAt: p.fulfilledAt,
      };
  }
}

export async function webhookBody(db: Db, e: WebhookEventSource, recipientPartnerId: string | null): Promise<WebhookBody> {
  return { id: String(e.eventId), type: e.eventType, timestamp: e.createdAt.toISOString(), data: await dataOf(db, e, recipientPartnerId) };
}
