// Settlement between partners for a period [from, to). Every figure is valued at the rate
// version recorded on each transaction, so a later rate change never re-prices the past;
// reversals count against the partner and rate of the transaction they reverse, in the period
// the reversal happens. Sums are exact; each money total is rounded once, half-even, to the
// currency's minor unit.
import { DataSource } from 'typeorm';
import { badInput } from '../../errors/domain-error';
import { query } from '../../db/sql';
import { Exact } from '../../money/decimal';
import { currencyDigits } from '../../money/decimal';
import { SettlementFlow, SettlementLine } from './settlement.types';

const MAX_PERIOD_DAYS = 366;

function money(amount: string, currencyCode: string) {
  const digits = currencyDigits(currencyCode) ?? 2;
  return { amount: new Exact(amount).toDecimalPlaces(digits, Exact.ROUND_HALF_EVEN).toFixed(digits), currencyCode };
}

export function validPeriod(from: Date, to: Date): void {
  if (!(to.getTime() > from.getTime())) throw badInput('to', 'must be after from');
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * 86_400_000) throw badInput('to', `a period is at most ${MAX_PERIOD_DAYS} days`);
}

// Which transactions move issuance, and which move redemption (a reversal follows what it reverses).
const KIND = `CASE WHEN t.type = 'EARN' OR o.type = 'EARN' THEN 'ISSUE' WHEN t.type = 'REDEEM' OR o.type = 'REDEEM' THEN 'REDEEM' END`;

export class SettlementService {
  constructor(private readonly db: DataSource) {}

  /** Lines for the given partners (null: every partner), zero lines included. */
  async lines(from: Date, to: Date, partnerId: string | null): Promise<SettlementLine[]> {
    validPeriod(from, to);
    const rows = await query<{
      partnerId: string;
      currencyCode: string;
      issued: number;
      issuedValue: string;
      redeemed: number;
      redeemedValue: string;
    }>(
      this.db,
      `WITH moves AS (
         SELECT t.partner_id, ${KIND} AS kind, t.points, t.points * r.burn_rate AS value
           FROM ledger_transaction t
           JOIN exchange_rate r ON r.id = t.exchange_rate_id
           LEFT JOIN ledger_transaction o ON o.id = t.reverses_id
          WHERE t.created_at >= $1 AND t.created_at < $2 AND t.partner_id IS NOT NULL
            AND ($3::uuid IS NULL OR t.partner_id = $3))
       SELECT p.id AS "partnerId", p.currency_code AS "currencyCode",
              coalesce(sum(m.points) FILTER (WHERE m.kind = 'ISSUE'), 0)::bigint AS issued,
              coalesce(sum(m.value) FILTER (WHERE m.kind = 'ISSUE'), 0)::text AS "issuedValue",
              coalesce(-sum(m.points) FILTER (WHERE m.kind = 'REDEEM'), 0)::bigint AS redeemed,
              coalesce(-sum(m.value) FILTER (WHERE m.kind = 'REDEEM'), 0)::text AS "redeemedValue"
         FROM partner p LEFT JOIN moves m ON m.partner_id = p.id
        WHERE $3::uuid IS NULL OR p.id = $3
        GROUP BY p.id, p.currency_code, p.seq ORDER BY p.seq`,
      [from, to, partnerId],
    );
    return rows.map((r) => {
      const owedBy = money(r.issuedValue, r.currencyCode);
      const owedTo = money(r.redeemedValue, r.currencyCode);
      return {
        partnerId: r.partnerId,
        pointsIssued: r.issued,
        pointsRedeemed: r.redeemed,
        owedByPartner: owedBy,
        owedToPartner: owedTo,
        net: money(new Exact(owedTo.amount).minus(owedBy.amount).toString(), r.currencyCode),
      };
    });
  }

  /** Issued-at → redeemed-at flows, from the lots each redemption consumed. */
  async matrix(from: Date, to: Date, partnerId: string | null): Promise<SettlementFlow[]> {
    validPeriod(from, to);
    const rows = await query<{ issuerId: string | null; redeemerId: string; currencyCode: string; points: number; value: string }>(
      this.db,
      `SELECT l.partner_id AS "issuerId", t.partner_id AS "redeemerId", p.currency_code AS "currencyCode",
              sum(c.points)::bigint AS points, sum(c.points * r.burn_rate)::text AS value
         FROM lot_consumption c
         JOIN ledger_transaction t ON t.id = c.transaction_id
         JOIN points_lot l ON l.id = c.lot_id
         JOIN exchange_rate r ON r.id = t.exchange_rate_id
         JOIN partner p ON p.id = t.partner_id
         LEFT JOIN ledger_transaction o ON o.id = t.reverses_id
        WHERE t.created_at >= $1 AND t.created_at < $2 AND (t.type = 'REDEEM' OR o.type = 'REDEEM')
          AND ($3::uuid IS NULL OR t.partner_id = $3 OR l.partner_id = $3)
        GROUP BY l.partner_id, t.partner_id, p.currency_code
       HAVING sum(c.points) <> 0
        ORDER BY l.partner_id, t.partner_id`,
      [from, to, partnerId],
    );
    return rows.map((r) => ({ issuerId: r.issuerId, redeemerId: r.redeemerId, points: r.points, value: money(r.value, r.currencyCode) }));
  }
}
