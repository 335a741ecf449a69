// What points are worth off a bill: points × burnRate in the partner's currency, rounded down to
// the currency's decimals (the member never gets a fraction of a cent, as points never round up).
// Checked against the bill and the program's cap on the share of a bill points may pay, so the
// till learns the most points it could have used (extensions.maxPoints).
import { badInput } from '../../errors/domain-error';
import { Exact } from '../../money/decimal';

export interface PaymentTerms {
  burnRate: string;
  digits: number;
  /** maxPointsPaymentShare: (0, 1]. */
  maxShare: string;
  currencyCode: string;
}

/** points × burnRate, rounded down to `digits` decimals. */
export function discountFor(points: number, burnRate: string, digits: number): Exact {
  return new Exact(points).times(burnRate).toDecimalPlaces(digits, Exact.ROUND_DOWN);
}

/** The most points whose discount stays within `limit` (a whole number of minor units). */
export function maxPointsWithin(limit: Exact, burnRate: string, digits: number): number {
  // floor(p × r) ≤ limit ⟺ p × r < limit + one minor unit.
  const unit = new Exact(10).pow(-digits);
  const bound = limit.plus(unit).div(burnRate);
  const ceil = bound.toDecimalPlaces(0, Exact.ROUND_UP);
  return Math.max(0, ceil.minus(1).toNumber());
}

/** The discount for `points` on `bill`, or a BAD_USER_INPUT naming input.points that says why not. */
export function paymentDiscount(points: number, bill: Exact, terms: PaymentTerms): Exact {
  const { burnRate, digits, currencyCode } = terms;
  const discount = discountFor(points, burnRate, digits);
  if (discount.lte(0)) {
    throw badInput('input.points', `${points} point(s) are worth less than the smallest unit of ${currencyCode} here`, {
      discount: discount.toFixed(digits),
    });
  }
  const cap = bill.times(terms.maxShare).toDecimalPlaces(digits, Exact.ROUND_DOWN);
  const maxPoints = maxPointsWithin(cap, burnRate, digits);
  if (discount.gt(bill)) {
    throw badInput('input.points', `${points} points are worth ${discount.toFixed(digits)} ${currencyCode}, more than the bill`, {
      discount: discount.toFixed(digits),
      maxPoints,
    });
  }
  if (discount.gt(cap)) {
    throw badInput('input.points', `points may pay at most ${cap.toFixed(digits)} ${currencyCode} of this bill (maxPointsPaymentShare ${terms.maxShare})`, {
      discount: discount.toFixed(digits),
      maxDiscount: cap.toFixed(digits),
      maxPoints,
    });
  }
  return discount;
}
