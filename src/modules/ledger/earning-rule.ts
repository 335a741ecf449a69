// How a purchase turns into points. The one place the earn arithmetic and its rounding live.
import { Exact, toPointsRoundingDown } from '../../money/decimal';

/** points = floor(amount × earnRate × tierMultiplier): rounded down, in the coalition's favour. */
export function pointsForPurchase(amount: string, earnRate: string, tierMultiplier: string): number {
  return toPointsRoundingDown(new Exact(amount).times(earnRate).times(tierMultiplier));
}
