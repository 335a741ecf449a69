// A calendar month's sets and purchases by currency, read from the month counters the rollup
// keeps (month-rollup.ts): a few rows whatever the number of members active in the month, where
// any other period groups its members' activity days (insight.service.ts). For a month, the
// previous period is the calendar month before it.
import type { Pool } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import type { CurrencyPurchases } from './metrics';
import { WHOLE_COALITION } from './month-rollup';

/** Who was active in the period and the one before, and how (counts). */
export interface ActivitySets {
  active: number;
  previous: number;
  fresh: number;
  lost: number;
  purchasers: number;
  repeaters: number;
  engaged: number;
  crossPartner: number;
}

/** The calendar month [from, to) when the period is exactly one, else null. */
export function calendarMonth(from: Date, to: Date): { month: string; previous: string } | null {
  if (from.getUTCDate() !== 1 || from.getUTCHours() + from.getUTCMinutes() + from.getUTCSeconds() + from.getUTCMilliseconds() !== 0) return null;
  const next = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
  if (next.getTime() !== to.getTime()) return null;
  const previous = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() - 1, 1));
  return { month: from.toISOString().slice(0, 10), previous: previous.toISOString().slice(0, 10) };
}

export async function monthSets(db: Pool, month: { month: string; previous: string }, partnerId: string | null): Promise<ActivitySets> {
  const r = (await queryOne<Omit<ActivitySets, 'fresh' | 'lost'> & { retained: number }>(
    db,
    `SELECT coalesce(c.active, 0)::bigint AS active, coalesce(p.active, 0)::bigint AS previous, coalesce(c.retained, 0)::bigint AS retained,
            coalesce(c.purchasers, 0)::bigint AS purchasers, coalesce(c.repeaters, 0)::bigint AS repeaters,
            coalesce(c.engaged, 0)::bigint AS engaged, coalesce(c.cross_partner, 0)::bigint AS "crossPartner"
       FROM (SELECT $1::uuid AS scope_id) s
       LEFT JOIN insight_month c ON c.scope_id = s.scope_id AND c.month = $2::date
       LEFT JOIN insight_month p ON p.scope_id = s.scope_id AND p.month = $3::date`,
    [partnerId ?? WHOLE_COALITION, month.month, month.previous],
  ))!;
  const { retained, ...counts } = r;
  return { ...counts, fresh: r.active - retained, lost: r.previous - retained };
}

/** Per currency: the month's revenue and purchases (partner-day sums), its purchasers and their membership at `end`. */
export function monthPurchasesByCurrency(db: Pool, month: { month: string }, to: string, end: Date, partnerId: string | null): Promise<CurrencyPurchases[]> {
  return query<CurrencyPurchases>(
    db,
    `WITH sales AS (
       SELECT p.currency_code, sum(d.revenue) AS revenue, sum(d.purchases) AS purchases
         FROM insight_partner_day d JOIN partner p ON p.id = d.partner_id
        WHERE d.day >= $2::date AND d.day < $3::date ${partnerId ? 'AND d.partner_id = $1' : ''}
        GROUP BY 1)
     SELECT c.currency_code AS "currencyCode", s.revenue::text AS revenue, s.purchases::int AS purchases, c.purchasers::int AS purchasers,
            (c.purchasers * extract(epoch FROM $4::timestamptz) - c.enrolled_epoch)::text AS "tenureSeconds"
       FROM insight_month_currency c JOIN sales s USING (currency_code)
      WHERE c.scope_id = $1::uuid AND c.month = $2::date AND c.purchasers > 0
      ORDER BY c.currency_code`,
    [partnerId ?? WHOLE_COALITION, month.month, to, end],
  );
}
