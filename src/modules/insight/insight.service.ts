// programMetrics: rolls up what was committed since the last run (rollup.ts), then answers from
// the daily aggregates only — the partner-day sums, the member-day activity sets of this period
// and the one before, and the survey score histograms. Its cost follows the number of members
// active in the two periods and the days of history, never the number of ledger rows.
import type { Pool } from '../../db/sql';
import { badInput, notFound } from '../../errors/domain-error';
import { query, queryOne } from '../../db/sql';
import type { CoalitionIssuer } from '../partner/coalition';
import { ProgramMetrics } from './insight.types';
import {
  CurrencyPurchases,
  Histogram,
  churnRate,
  customerEffortScore,
  customerLifetimeValue,
  customerLoyaltyIndex,
  customerSatisfactionScore,
  netPromoterScore,
  rate,
  retentionRate,
} from './metrics';
import { ActivitySets, calendarMonth, monthPurchasesByCurrency, monthSets } from './month-metrics';
import { rollUpInsight } from './rollup';

const DAY_MS = 86_400_000;
/** The longest period asked for at once (its previous period is read too). */
export const MAX_PERIOD_DAYS = 1830;

const isMidnightUtc = (d: Date) => d.getTime() % DAY_MS === 0;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

interface Totals {
  issued: number;
  redeemed: number;
  expired: number;
  outstanding: number;
  revenueValue: string;
  upsellValue: string;
  members: number;
  newMembers: number;
}

export class InsightService {
  constructor(
    private readonly db: Pool,
    private readonly coalition: CoalitionIssuer,
  ) {}

  /** Fold in what was committed since the last run (also run by the scheduled jobs). */
  rollUp() {
    return rollUpInsight(this.db, this.coalition.partnerId);
  }

  /** partnerId: the scope policy allowed (null: coalition-wide). */
  async metrics(from: Date, to: Date, partnerId: string | null, options: { fromActivityDays?: boolean } = {}): Promise<ProgramMetrics> {
    if (Number.isNaN(from.getTime()) || !isMidnightUtc(from))
      throw badInput('from', 'must be a UTC midnight (metrics are kept per UTC day), e.g. 2026-11-01T00:00:00Z');
    if (Number.isNaN(to.getTime()) || !isMidnightUtc(to))
      throw badInput('to', 'must be a UTC midnight (metrics are kept per UTC day), e.g. 2026-12-01T00:00:00Z');
    const days = (to.getTime() - from.getTime()) / DAY_MS;
    if (days < 1) throw badInput('to', 'must be at least one day after from');
    if (days > MAX_PERIOD_DAYS) throw badInput('to', `a period is at most ${MAX_PERIOD_DAYS} days`);
    if (partnerId) {
      const p = await queryOne(this.db, `SELECT 1 FROM partner WHERE id = $1 AND NOT is_coalition`, [partnerId]);
      if (!p) throw notFound('partnerId', 'partner');
    }
    await this.rollUp();
    // A calendar month's previous period is the month before; any other's, as many days before.
    // A month's sets are read from the month counters unless asked for from the activity days
    // (the tests' cross-check of the two).
    const month = calendarMonth(from, to);
    const previousFrom = month ? new Date(`${month.previous}T00:00:00Z`) : new Date(from.getTime() - days * DAY_MS);
    const byMonth = month !== null && !options.fromActivityDays;
    const [totals, sets, clv, surveys] = await Promise.all([
      this.totals(isoDay(from), isoDay(to), partnerId),
      byMonth ? monthSets(this.db, month, partnerId) : this.sets(isoDay(previousFrom), isoDay(from), isoDay(to), partnerId),
      byMonth ? monthPurchasesByCurrency(this.db, month, isoDay(to), to, partnerId) : this.purchasesByCurrency(isoDay(from), isoDay(to), to, partnerId),
      this.surveyHistograms(isoDay(from), isoDay(to), partnerId),
    ]);
    return {
      from,
      to,
      partnerId,
      members: totals.members,
      activeMembers: sets.active,
      newMembers: totals.newMembers,
      retentionRate: retentionRate(sets.previous, sets.active, sets.fresh),
      churnRate: churnRate(sets.previous, sets.lost),
      repeatPurchaseRate: rate(sets.repeaters, sets.purchasers),
      participationRate: rate(sets.active, totals.members),
      activeEngagementRate: rate(sets.engaged, totals.members),
      upsellRatio: rate(totals.upsellValue, totals.revenueValue),
      crossPartnerRate: rate(sets.crossPartner, sets.purchasers),
      redemptionRate: rate(totals.redeemed, totals.issued),
      netPromoterScore: netPromoterScore(surveys.get('NPS')),
      customerSatisfactionScore: customerSatisfactionScore(surveys.get('CSAT')),
      customerEffortScore: customerEffortScore(surveys.get('CES')),
      customerLoyaltyIndex: customerLoyaltyIndex(surveys.get('NPS'), surveys.get('REPURCHASE'), surveys.get('CSAT')),
      customerLifetimeValue: clv.map((c) => customerLifetimeValue(c, days)).filter((m) => m !== null),
      pointsIssued: totals.issued,
      pointsRedeemed: totals.redeemed,
      pointsExpired: totals.expired,
      pointsOutstanding: totals.outstanding,
    };
  }

  /**
   * The period's partner-day sums, and the running totals at `to` (points outstanding, members):
   * the whole months before `to`'s month from the month sums, that month's days before `to` from
   * the days. A row a month and partner, however long the history.
   */
  private async totals(from: string, to: string, partnerId: string | null): Promise<Totals> {
    const members = partnerId ? 'joined' : 'enrolled';
    const partner = partnerId ? 'AND partner_id = $3' : '';
    return (await queryOne<Totals>(
      this.db,
      `WITH bounds AS (SELECT date_trunc('month', $2::date)::date AS month_start),
       months AS (
         SELECT coalesce(sum(points_net), 0) AS net, coalesce(sum(${members}), 0) AS members
           FROM insight_partner_month WHERE month < (SELECT month_start FROM bounds) ${partner}),
       days AS (
         SELECT coalesce(sum(points_issued) FILTER (WHERE day >= $1), 0)::bigint AS issued,
                coalesce(sum(points_redeemed) FILTER (WHERE day >= $1), 0)::bigint AS redeemed,
                coalesce(sum(points_expired) FILTER (WHERE day >= $1), 0)::bigint AS expired,
                coalesce(sum(points_net) FILTER (WHERE day >= (SELECT month_start FROM bounds)), 0) AS net,
                coalesce(sum(revenue_value) FILTER (WHERE day >= $1), 0)::text AS "revenueValue",
                coalesce(sum(upsell_value) FILTER (WHERE day >= $1), 0)::text AS "upsellValue",
                coalesce(sum(${members}) FILTER (WHERE day >= (SELECT month_start FROM bounds)), 0) AS members,
                coalesce(sum(${members}) FILTER (WHERE day >= $1), 0)::bigint AS "newMembers"
           FROM insight_partner_day
          WHERE day >= least($1::date, (SELECT month_start FROM bounds)) AND day < $2::date ${partner})
       SELECT d.issued, d.redeemed, d.expired, (m.net + d.net)::bigint AS outstanding, d."revenueValue", d."upsellValue",
              (m.members + d.members)::bigint AS members, d."newMembers"
         FROM days d, months m`,
      partnerId ? [from, to, partnerId] : [from, to],
    ))!;
  }

  /** Who was active in this period and the previous one, and how: one pass over their member-days. */
  private async sets(previousFrom: string, from: string, to: string, partnerId: string | null): Promise<ActivitySets> {
    const active = 'purchases + redemptions + surveys > 0';
    // A partner's purchasers who also bought elsewhere; coalition-wide, at two partners or more.
    const cross = partnerId
      ? `purchases > 0 AND EXISTS (SELECT 1 FROM insight_member_day o WHERE o.member_id = m.member_id AND o.partner_id <> $4
                                     AND o.day >= $2::date AND o.day < $3::date AND o.purchases > 0)`
      : 'partners > 1';
    return (await queryOne<ActivitySets>(
      this.db,
      `WITH m AS (
         SELECT member_id,
                bool_or(day >= $2::date AND ${active}) AS cur,
                bool_or(day < $2::date AND ${active}) AS prev,
                coalesce(sum(purchases) FILTER (WHERE day >= $2::date), 0) AS purchases,
                bool_or(day >= $2::date AND redemptions + surveys + engagements > 0) AS engaged,
                count(DISTINCT partner_id) FILTER (WHERE day >= $2::date AND purchases > 0) AS partners
           FROM insight_member_day
          WHERE day >= $1::date AND day < $3::date ${partnerId ? 'AND partner_id = $4' : ''}
          GROUP BY member_id)
       SELECT count(*) FILTER (WHERE cur)::int AS active, count(*) FILTER (WHERE prev)::int AS previous,
              count(*) FILTER (WHERE cur AND NOT prev)::int AS fresh, count(*) FILTER (WHERE prev AND NOT cur)::int AS lost,
              count(*) FILTER (WHERE purchases > 0)::int AS purchasers, count(*) FILTER (WHERE purchases > 1)::int AS repeaters,
              count(*) FILTER (WHERE engaged)::int AS engaged, count(*) FILTER (WHERE ${cross})::int AS "crossPartner"
         FROM m`,
      partnerId ? [previousFrom, from, to, partnerId] : [previousFrom, from, to],
    ))!;
  }

  /** Per currency: revenue, purchases, purchasers and their membership at `to` (CLV). */
  private async purchasesByCurrency(from: string, to: string, end: Date, partnerId: string | null): Promise<CurrencyPurchases[]> {
    return query<CurrencyPurchases>(
      this.db,
      `WITH b AS (
         SELECT d.member_id, p.currency_code, sum(d.revenue) AS revenue, sum(d.purchases) AS purchases, min(d.enrolled_at) AS enrolled_at
           FROM insight_member_day d JOIN partner p ON p.id = d.partner_id
          WHERE d.day >= $1::date AND d.day < $2::date AND d.purchases > 0 ${partnerId ? 'AND d.partner_id = $4' : ''}
          GROUP BY 1, 2)
       SELECT currency_code AS "currencyCode", sum(revenue)::text AS revenue, sum(purchases)::int AS purchases, count(*)::int AS purchasers,
              sum(extract(epoch FROM $3::timestamptz - enrolled_at))::text AS "tenureSeconds"
         FROM b GROUP BY currency_code ORDER BY currency_code`,
      partnerId ? [from, to, end, partnerId] : [from, to, end],
    );
  }

  private async surveyHistograms(from: string, to: string, partnerId: string | null): Promise<Map<string, Histogram>> {
    const rows = await query<{ kind: string; score: number; n: number }>(
      this.db,
      `SELECT kind, score, sum(responses)::bigint AS n FROM insight_survey_day
        WHERE day >= $1::date AND day < $2::date ${partnerId ? 'AND partner_id = $3' : ''} GROUP BY kind, score`,
      partnerId ? [from, to, partnerId] : [from, to],
    );
    const byKind = new Map<string, Histogram>();
    for (const r of rows) {
      if (!byKind.has(r.kind)) byKind.set(r.kind, new Map());
      byKind.get(r.kind)!.set(r.score, r.n);
    }
    return byKind;
  }
}
