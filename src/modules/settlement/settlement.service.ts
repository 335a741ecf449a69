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

/**
 * The burn rate an issuer's points of transaction `t` are valued at: the version `t` recorded when
 * the issuer is its partner, else the issuer's version in force at `t`. Two branches, each by an
 * index (one row by key, the other the latest version), rather than one OR that scans the rates.
 */
function rateOf(issuer: string, t: string): string {
  return `SELECT x.burn_rate FROM exchange_rate x WHERE ${issuer} = ${t}.partner_id AND x.id = ${t}.exchange_rate_id
          UNION ALL
          (SELECT x.burn_rate FROM exchange_rate x
            WHERE ${issuer} <> ${t}.partner_id AND x.partner_id = ${issuer} AND x.effective_from <= ${t}.created_at AND x.created_at <= ${t}.created_at
            ORDER BY x.effective_from DESC, x.version DESC LIMIT 1)`;
}

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
      `WITH period AS MATERIALIZED (
         -- The period's transactions, by the index on created_at: what a month costs is the month's
         -- rows, never the ledger's. What a reversal reverses is read by primary key, and only for
         -- reversals (a join here would be planned as a scan of the whole table).
         SELECT t.id, t.type, t.partner_id, t.points, t.exchange_rate_id, t.created_at,
                CASE WHEN t.reverses_id IS NOT NULL THEN (SELECT o.type FROM ledger_transaction o WHERE o.id = t.reverses_id) END AS original_type
           FROM ledger_transaction t
          WHERE t.created_at >= $1 AND t.created_at < $2),
       issuers AS MATERIALIZED (SELECT id, partner_id FROM account WHERE kind = 'PARTNER_ISSUANCE'),
       issued AS (
         -- Issuance is read from the issuers' accounts: a purchase's coalition-funded points are
         -- the coalition's, not the partner's. The partner's points are valued at the rate version
         -- the earn recorded; another issuer's (the coalition's) at its version in force then.
         SELECT a.partner_id, -e.amount AS points, -e.amount * r.burn_rate AS value
           FROM period t
           -- Each transaction's own entries (OFFSET 0 keeps this a per-transaction index probe: flattened,
           -- the planner walks the issuance accounts' entries, which are the whole ledger's).
           CROSS JOIN LATERAL (SELECT x.account_id, x.amount FROM ledger_entry x WHERE x.transaction_id = t.id OFFSET 0) e
           JOIN issuers a ON a.id = e.account_id
           JOIN LATERAL (${rateOf('a.partner_id', 't')}) r ON true
          WHERE (t.type IN ${ISSUING} OR t.original_type IN ${ISSUING})
            AND ($3::uuid IS NULL OR a.partner_id = $3)),
       redeemed AS (
         SELECT t.partner_id, -t.points AS points, -t.points * r.burn_rate AS value
           FROM period t
           JOIN exchange_rate r ON r.id = t.exchange_rate_id
          WHERE (t.type IN ${HONOURED} OR t.original_type IN ${HONOURED})
            AND ($3::uuid IS NULL OR t.partner_id = $3)),
       expired AS (
         -- Breakage: the issuer's points that lapsed unspent (EXPIRY, and an erased member's ERASURE, by the lots they
         -- took), valued as they were when issued: at the rate of the transaction that issued the
         -- lot (another issuer's — the coalition's — at its version in force then).
         SELECT l.partner_id, c.points, c.points * r.burn_rate AS value
           FROM period t
           JOIN lot_consumption c ON c.transaction_id = t.id
           JOIN points_lot l ON l.id = c.lot_id
           JOIN ledger_transaction et ON et.id = l.earn_transaction_id
           JOIN LATERAL (${rateOf('l.partner_id', 'et')}) r ON true
          WHERE t.type IN ('EXPIRY', 'ERASURE')
            AND ($3::uuid IS NULL OR l.partner_id = $3)),
       issued_by AS (SELECT partner_id, sum(points) AS points, sum(value) AS value FROM issued GROUP BY partner_id),
       redeemed_at AS (SELECT partner_id, sum(points) AS points, sum(value) AS value FROM redeemed GROUP BY partner_id),
       expired_of AS (SELECT partner_id, sum(points) AS points, sum(value) AS value FROM expired GROUP BY partner_id)
       SELECT p.id AS "partnerId", p.currency_code AS "currencyCode",
              coalesce(i.points, 0)::bigint AS issued, coalesce(i.value, 0)::text AS "issuedValue",
              coalesce(d.points, 0)::bigint AS redeemed, coalesce(d.value, 0)::text AS "redeemedValue",
              coalesce(x.points, 0)::bigint AS expired, coalesce(x.value, 0)::text AS "expiredValue"
         FROM partner p
         LEFT JOIN issued_by i ON i.partner_id = p.id
         LEFT JOIN redeemed_at d ON d.partner_id = p.id
         LEFT JOIN expired_of x ON x.partner_id = p.id
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
      `WITH period AS MATERIALIZED (
         -- As in lines(): the period's transactions by the index on created_at, originals by key.
         SELECT t.id, t.partner_id, t.exchange_rate_id
           FROM ledger_transaction t
          WHERE t.created_at >= $1 AND t.created_at < $2
            AND (t.type IN ${HONOURED}
                 OR (t.reverses_id IS NOT NULL AND (SELECT o.type FROM ledger_transaction o WHERE o.id = t.reverses_id) IN ${HONOURED})))
       SELECT l.partner_id AS "issuerId", t.partner_id AS "redeemerId", p.currency_code AS "currencyCode",
              sum(c.points)::bigint AS points, sum(c.points * r.burn_rate)::text AS value
         FROM period t
         JOIN lot_consumption c ON c.transaction_id = t.id
         JOIN points_lot l ON l.id = c.lot_id
         JOIN exchange_rate r ON r.id = t.exchange_rate_id
         JOIN partner p ON p.id = t.partner_id
         LEFT JOIN partner ip ON ip.id = l.partner_id
        WHERE $3::uuid IS NULL OR t.partner_id = $3 OR l.partner_id = $3
        GROUP BY l.partner_id, ip.seq, t.partner_id, p.seq, p.currency_code
       HAVING sum(c.points) <> 0
        ORDER BY ip.seq, p.seq`,
      [from, to, partnerId],
    );
    return rows.map((r) => ({ issuerId: r.issuerId, redeemerId: r.redeemerId, points: r.points, value: money(r.value, r.currencyCode) }));
  }
}
