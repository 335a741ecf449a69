// Settlement between partners for a period [from, to). Its whole UTC days are read from the
// per-day aggregates (settlement-rollup.ts), its partial edge days from the ledger. Every figure is valued at the rate
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
import { FACTS, PERIOD_COLUMNS } from './settlement-facts';
import { rollUpSettlement } from './settlement-rollup';

const MAX_PERIOD_DAYS = 366;
const DAY_MS = 86_400_000;

/** How a period is read: raw transactions in [from, edgeA) and [edgeB, to), aggregate days in [firstDay, endDay). */
interface Split {
  edgeA: Date;
  edgeB: Date;
  firstDay: string;
  endDay: string;
}

/**
 * The whole UTC days inside [from, to) come from the aggregates; the partial days at its edges
 * (or the whole period, when it holds no whole day, or when asked for the raw rows) from the
 * ledger, so any period is exact.
 */
function split(from: Date, to: Date, raw: boolean): Split {
  const firstDay = Math.ceil(from.getTime() / DAY_MS) * DAY_MS;
  const endDay = Math.floor(to.getTime() / DAY_MS) * DAY_MS;
  if (raw || firstDay >= endDay) return { edgeA: to, edgeB: to, firstDay: '1970-01-01', endDay: '1970-01-01' };
  const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { edgeA: new Date(firstDay), edgeB: new Date(endDay), firstDay: date(firstDay), endDay: date(endDay) };
}

// The period's raw transactions ($1 from, $2 to, $4 edgeA, $5 edgeB): the two edge ranges, each by
// the index on created_at, so what they cost is their own rows.
const EDGES = `period AS MATERIALIZED (
    SELECT ${PERIOD_COLUMNS} FROM ledger_transaction t WHERE t.created_at >= $1 AND t.created_at < $4
    UNION ALL
    SELECT ${PERIOD_COLUMNS} FROM ledger_transaction t WHERE t.created_at >= $5 AND t.created_at < $2)`;

export interface SettlementOptions {
  /** Every transaction of the period from the ledger, no aggregate (the tests' cross-check). */
  fromRawRows?: boolean;
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

  /** Fold in what was committed since the last run (also run by the scheduled jobs). */
  rollUp(): Promise<number> {
    return rollUpSettlement(this.db);
  }

  /**
   * Lines for the given partners (null: every partner, then the coalition's own line for the
   * points it funded), zero lines included. A reversal counts with what it reverses.
   */
  async lines(from: Date, to: Date, partnerId: string | null, on: Db = this.db, options: SettlementOptions = {}): Promise<SettlementLine[]> {
    validPeriod(from, to);
    const p = split(from, to, options.fromRawRows === true);
    // Everything committed before this was asked is in the aggregates.
    if (p.firstDay !== p.endDay) await rollUpSettlement(this.db, on);
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
      `WITH ${EDGES},
       ${FACTS},
       parts AS (
         SELECT partner_id, issued, issued_value, redeemed, redeemed_value, expired, expired_value FROM line_facts
         UNION ALL
         SELECT partner_id, issued, issued_value, redeemed, redeemed_value, expired, expired_value FROM settlement_partner_day
          WHERE day >= $6::date AND day < $7::date),
       totals AS (
         SELECT partner_id, sum(issued) AS issued, sum(issued_value) AS issued_value, sum(redeemed) AS redeemed,
                sum(redeemed_value) AS redeemed_value, sum(expired) AS expired, sum(expired_value) AS expired_value
           FROM parts WHERE $3::uuid IS NULL OR partner_id = $3 GROUP BY partner_id)
       SELECT p.id AS "partnerId", p.currency_code AS "currencyCode",
              coalesce(s.issued, 0)::bigint AS issued, coalesce(s.issued_value, 0)::text AS "issuedValue",
              coalesce(s.redeemed, 0)::bigint AS redeemed, coalesce(s.redeemed_value, 0)::text AS "redeemedValue",
              coalesce(s.expired, 0)::bigint AS expired, coalesce(s.expired_value, 0)::text AS "expiredValue"
         FROM partner p
         LEFT JOIN totals s ON s.partner_id = p.id
        WHERE $3::uuid IS NULL OR p.id = $3
        ORDER BY p.is_coalition, p.seq`,
      [from, to, partnerId, p.edgeA, p.edgeB, p.firstDay, p.endDay],
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
  async matrix(from: Date, to: Date, partnerId: string | null, on: Db = this.db, options: SettlementOptions = {}): Promise<SettlementFlow[]> {
    validPeriod(from, to);
    const p = split(from, to, options.fromRawRows === true);
    if (p.firstDay !== p.endDay) await rollUpSettlement(this.db, on);
    const rows = await query<{ issuerId: string | null; redeemerId: string; currencyCode: string; points: number; value: string }>(
      on,
      `WITH ${EDGES},
       ${FACTS},
       parts AS (
         SELECT issuer_id, redeemer_id, points, value FROM flow_facts
         UNION ALL
         SELECT issuer_id, redeemer_id, points, value FROM settlement_flow_day WHERE day >= $6::date AND day < $7::date)
       SELECT f.issuer_id AS "issuerId", f.redeemer_id AS "redeemerId", p.currency_code AS "currencyCode",
              sum(f.points)::bigint AS points, sum(f.value)::text AS value
         FROM parts f
         JOIN partner p ON p.id = f.redeemer_id
         LEFT JOIN partner ip ON ip.id = f.issuer_id
        WHERE $3::uuid IS NULL OR f.redeemer_id = $3 OR f.issuer_id = $3
        GROUP BY f.issuer_id, ip.seq, f.redeemer_id, p.seq, p.currency_code
       HAVING sum(f.points) <> 0
        ORDER BY ip.seq, p.seq`,
      [from, to, partnerId, p.edgeA, p.edgeB, p.firstDay, p.endDay],
    );
    return rows.map((r) => ({ issuerId: r.issuerId, redeemerId: r.redeemerId, points: r.points, value: money(r.value, r.currencyCode) }));
  }
}
