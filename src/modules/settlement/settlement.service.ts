// Settlement between partners for a period [from, to). Every figure is valued at the rate
// version recorded on each transaction, so a later rate change never re-prices the past;
// reversals count against the partner and rate of the transaction they reverse, in the period
// the reversal happens. Sums are exact; each money total is rounded once, half-even, to the
// currency's minor unit.
import type { Db, Pool } from '../../db/sql';
import { badInput } from '../../errors/domain-error';
import { query } from '../../db/sql';
import { Exact } from '../../money/decimal';
import { currencyDigits } from '../../money/decimal';
import { SettlementFlow, SettlementLine } from './settlement.types';

const MAX_PERIOD_DAYS = 366;

// Points honoured at a partner: reward redemptions and payments with points at its till, alike.
const HONOURED = `('REDEEM', 'PAYMENT')`;
// Points an issuer funds and pays the coalition for: purchases, bonuses, staff adjustments
// (coalition-funded unless they name a partner) and the opening balances a partner brings when it
// joins (MIGRATION, valued at its burn rate in force at the import).
const ISSUING = `('EARN', 'BONUS', 'ADJUSTMENT', 'MIGRATION')`;

function money(amount: string, currencyCode: string) {
  const digits = currencyDigits(currencyCode) ?? 2;
  return { amount: new Exact(amount).toDecimalPlaces(digits, Exact.ROUND_HALF_EVEN).toFixed(digits), currencyCode };
}

export function validPeriod(from: Date, to: Date): void {
  if (!(to.getTime() > from.getTime())) throw badInput('to', 'must be after from');
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * 86_400_000) throw badInput('to', `a period is at most ${MAX_PERIOD_DAYS} days`);
}

export class SettlementService {
  constructor(private readonly db: Pool) {}

  /**
   * Lines for the given partners (null: every partner, then the coalition's own line for the
   * points it funded), zero lines included. A reversal counts with what it reverses.
   */
  async lines(from: Date, to: Date, partnerId: string | null, on: Db = this.db): Promise<SettlementLine[]> {
    validPeriod(from, to);
    const rows = await query<{
      partnerId: string;
      currencyCode: string;
      issued: number;
      issuedValue: string;
      redeemed: number;
      redeemedValue: string;
      expired: number;
      expiredValue: string;
    }>(
      on,
      `WITH issued AS (
         -- Issuance is read from the issuers' accounts: a purchase's coalition-funded points are
         -- the coalition's, not the partner's. The partner's points are valued at the rate version
         -- the earn recorded; another issuer's (the coalition's) at its version in force then.
         SELECT a.partner_id, -e.amount AS points, -e.amount * r.burn_rate AS value
           FROM ledger_transaction t
           LEFT JOIN ledger_transaction o ON o.id = t.reverses_id
           JOIN ledger_entry e ON e.transaction_id = t.id
           JOIN account a ON a.id = e.account_id AND a.kind = 'PARTNER_ISSUANCE'
           JOIN LATERAL (
             SELECT x.burn_rate FROM exchange_rate x
              WHERE (a.partner_id = t.partner_id AND x.id = t.exchange_rate_id)
                 OR (a.partner_id <> t.partner_id AND x.partner_id = a.partner_id AND x.effective_from <= t.created_at AND x.created_at <= t.created_at)
              ORDER BY x.effective_from DESC, x.version DESC LIMIT 1) r ON true
          WHERE t.created_at >= $1 AND t.created_at < $2 AND (t.type IN ${ISSUING} OR o.type IN ${ISSUING})
            AND ($3::uuid IS NULL OR a.partner_id = $3)),
       redeemed AS (
         SELECT t.partner_id, -t.points AS points, -t.points * r.burn_rate AS value
           FROM ledger_transaction t
           JOIN exchange_rate r ON r.id = t.exchange_rate_id
           LEFT JOIN ledger_transaction o ON o.id = t.reverses_id
          WHERE t.created_at >= $1 AND t.created_at < $2 AND (t.type IN ${HONOURED} OR o.type IN ${HONOURED})
            AND ($3::uuid IS NULL OR t.partner_id = $3)),
       expired AS (
         -- Breakage: the issuer's points that lapsed unspent (EXPIRY, and an erased member's ERASURE, by the lots they
         -- took), valued as they were when issued: at the rate of the transaction that issued the
         -- lot (another issuer's — the coalition's — at its version in force then).
         SELECT l.partner_id, c.points, c.points * r.burn_rate AS value
           FROM ledger_transaction t
           JOIN lot_consumption c ON c.transaction_id = t.id
           JOIN points_lot l ON l.id = c.lot_id
           JOIN ledger_transaction et ON et.id = l.earn_transaction_id
           JOIN LATERAL (
             SELECT x.burn_rate FROM exchange_rate x
              WHERE (l.partner_id = et.partner_id AND x.id = et.exchange_rate_id)
                 OR (l.partner_id <> et.partner_id AND x.partner_id = l.partner_id AND x.effective_from <= et.created_at AND x.created_at <= et.created_at)
              ORDER BY x.effective_from DESC, x.version DESC LIMIT 1) r ON true
          WHERE t.created_at >= $1 AND t.created_at < $2 AND t.type IN ('EXPIRY', 'ERASURE')
            AND ($3::uuid IS NULL OR l.partner_id = $3))
       SELECT p.id AS "partnerId", p.currency_code AS "currencyCode",
              coalesce((SELECT sum(points) FROM issued i WHERE i.partner_id = p.id), 0)::bigint AS issued,
              coalesce((SELECT sum(value) FROM issued i WHERE i.partner_id = p.id), 0)::text AS "issuedValue",
              coalesce((SELECT sum(points) FROM redeemed d WHERE d.partner_id = p.id), 0)::bigint AS redeemed,
              coalesce((SELECT sum(value) FROM redeemed d WHERE d.partner_id = p.id), 0)::text AS "redeemedValue",
              coalesce((SELECT sum(points) FROM expired x WHERE x.partner_id = p.id), 0)::bigint AS expired,
              coalesce((SELECT sum(value) FROM expired x WHERE x.partner_id = p.id), 0)::text AS "expiredValue"
         FROM partner p
        WHERE $3::uuid IS NULL OR p.id = $3
        ORDER BY p.is_coalition, p.seq`,
      [from, to, partnerId],
    );
    return rows.map((r) => {
      const owedBy = money(r.issuedValue, r.currencyCode);
      const owedTo = money(r.redeemedValue, r.currencyCode);
      return {
        partnerId: r.partnerId,
        pointsIssued: r.issued,
        pointsRedeemed: r.redeemed,
        pointsExpired: r.expired,
        breakage: money(r.expiredValue, r.currencyCode),
        owedByPartner: owedBy,
        owedToPartner: owedTo,
        net: money(new Exact(owedTo.amount).minus(owedBy.amount).toString(), r.currencyCode),
      };
    });
  }

  /** Issued-at → redeemed-at flows, from the lots each redemption consumed. */
  async matrix(from: Date, to: Date, partnerId: string | null, on: Db = this.db): Promise<SettlementFlow[]> {
    validPeriod(from, to);
    const rows = await query<{ issuerId: string | null; redeemerId: string; currencyCode: string; points: number; value: string }>(
      on,
      `SELECT l.partner_id AS "issuerId", t.partner_id AS "redeemerId", p.currency_code AS "currencyCode",
              sum(c.points)::bigint AS points, sum(c.points * r.burn_rate)::text AS value
         FROM lot_consumption c
         JOIN ledger_transaction t ON t.id = c.transaction_id
         JOIN points_lot l ON l.id = c.lot_id
         JOIN exchange_rate r ON r.id = t.exchange_rate_id
         JOIN partner p ON p.id = t.partner_id
         LEFT JOIN partner ip ON ip.id = l.partner_id
         LEFT JOIN ledger_transaction o ON o.id = t.reverses_id
        WHERE t.created_at >= $1 AND t.created_at < $2 AND (t.type IN ${HONOURED} OR o.type IN ${HONOURED})
          AND ($3::uuid IS NULL OR t.partner_id = $3 OR l.partner_id = $3)
        GROUP BY l.partner_id, ip.seq, t.partner_id, p.seq, p.currency_code
       HAVING sum(c.points) <> 0
        ORDER BY ip.seq, p.seq`,
      [from, to, partnerId],
    );
    return rows.map((r) => ({ issuerId: r.issuerId, redeemerId: r.redeemerId, points: r.points, value: money(r.value, r.currencyCode) }));
  }
}
