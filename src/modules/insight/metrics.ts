// The loyalty metrics of the guides, as pure formulas over counts the aggregates give (README
// "Program insight" lists them). Exact decimals throughout; a rate is reported to
// RATE_PLACES decimal places (half up), money to its currency's decimals; null where the
// period has nothing to compute it from (a zero denominator).
import Decimal from 'decimal.js';
import { Exact, currencyDigits } from '../../money/decimal';

export const RATE_PLACES = 4;
/** A year of membership or of purchases: the Julian year, 365.25 days. */
export const YEAR_DAYS = new Exact('365.25');

type Num = number | string | Decimal;

/** a / b to RATE_PLACES decimals, null when b is 0. */
export function rate(a: Num, b: Num): string | null {
  const d = new Exact(b);
  if (d.isZero()) return null;
  return report(new Exact(a).div(d));
}

/** A decimal as a metric reports it: RATE_PLACES decimals, half up, no trailing zeros ("0.88"). */
export function report(x: Decimal): string {
  return x.toDecimalPlaces(RATE_PLACES, Decimal.ROUND_HALF_UP).toString();
}

/**
 * retentionRate = (E − N) / S: S members active in the previous period, E active in this one, N
 * active in this one and not the previous (the guides: 150 at the start, 30 new, 162 at the end → 0.88).
 */
export function retentionRate(start: number, end: number, fresh: number): string | null {
  return rate(end - fresh, start);
}

/** churnRate = lost / S: active in the previous period and not in this one (600 → 550: 50 / 600 → 0.0833). */
export function churnRate(start: number, lost: number): string | null {
  return rate(lost, start);
}

/** Responses per score of one survey kind. */
export type Histogram = Map<number, number>;

const total = (h: Histogram | undefined) => [...(h?.values() ?? [])].reduce((s, n) => s + n, 0);
const count = (h: Histogram | undefined, keep: (score: number) => boolean) =>
  [...(h?.entries() ?? [])].filter(([s]) => keep(s)).reduce((sum, [, n]) => sum + n, 0);

export function meanScore(h: Histogram | undefined): Decimal | null {
  const n = total(h);
  if (n === 0) return null;
  return [...h!.entries()].reduce((sum, [s, k]) => sum.plus(new Exact(s).times(k)), new Exact(0)).div(n);
}

/** Net Promoter Score: % promoters (9–10) − % detractors (0–6), from −100 to 100. */
export function netPromoterScore(nps: Histogram | undefined): string | null {
  const n = total(nps);
  if (n === 0) return null;
  return report(new Exact(count(nps, (s) => s >= 9) - count(nps, (s) => s <= 6)).times(100).div(n));
}

/** Customer satisfaction score: the share of CSAT answers scoring 4 or 5. */
export function customerSatisfactionScore(csat: Histogram | undefined): string | null {
  return rate(
    count(csat, (s) => s >= 4),
    total(csat),
  );
}

/** Customer effort score: the mean CES score (1–7, 7 = very easy). */
export function customerEffortScore(ces: Histogram | undefined): string | null {
  const mean = meanScore(ces);
  return mean === null ? null : report(mean);
}

/** Customer loyalty index, 0–10: (mean NPS + mean REPURCHASE + (mean CSAT − 1) × 2.5) / 3; null unless all three were answered. */
export function customerLoyaltyIndex(nps: Histogram | undefined, repurchase: Histogram | undefined, csat: Histogram | undefined): string | null {
  const [a, b, c] = [meanScore(nps), meanScore(repurchase), meanScore(csat)];
  if (a === null || b === null || c === null) return null;
  return report(a.plus(b).plus(c.minus(1).times('2.5')).div(3));
}

export interface CurrencyPurchases {
  currencyCode: string;
  revenue: string;
  purchases: number;
  purchasers: number;
  /** Σ over the purchasers of their membership at the period's end, in seconds. */
  tenureSeconds: string;
}

/**
 * Customer lifetime value in one currency: average purchase value × purchases per member per year
 * × average years of membership, over the members who bought in that currency in the period
 * (years of 365.25 days; rounded half up to the currency's decimals).
 */
export function customerLifetimeValue(c: CurrencyPurchases, periodDays: number): { amount: string; currencyCode: string } | null {
  if (c.purchases === 0 || c.purchasers === 0) return null;
  const averagePurchase = new Exact(c.revenue).div(c.purchases);
  const perMemberPerYear = new Exact(c.purchases).div(c.purchasers).div(new Exact(periodDays).div(YEAR_DAYS));
  const averageYears = new Exact(c.tenureSeconds).div(c.purchasers).div(YEAR_DAYS.times(86_400));
  const digits = currencyDigits(c.currencyCode) ?? 2;
  return {
    amount: averagePurchase.times(perMemberPerYear).times(averageYears).toFixed(digits, Decimal.ROUND_HALF_UP),
    currencyCode: c.currencyCode,
  };
}
