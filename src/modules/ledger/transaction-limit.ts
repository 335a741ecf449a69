// The most points one ledger transaction may move (README: Limits). It keeps every single
// movement far inside GraphQL Int, and every figure derived from one transaction (its points,
// breakdown, a redemption's pointsSpent) with it. Sums over many transactions still grow past
// 2^31 − 1 in time: those are served as Points64 too (…64 fields, see graphql/points64.ts).
import { badInput } from '../../errors/domain-error';

export const MAX_POINTS_PER_TRANSACTION = 10_000_000;

/** Refuses (BAD_USER_INPUT naming `field`, nothing written) a movement of more points than one transaction may carry. */
export function assertPointsWithinTransactionLimit(points: number, field: string, what = 'this transaction'): void {
  if (Math.abs(points) <= MAX_POINTS_PER_TRANSACTION) return;
  throw badInput(field, `${what} would move ${points} points; one transaction moves at most ${MAX_POINTS_PER_TRANSACTION.toLocaleString('en')}`, {
    points,
    maxPoints: MAX_POINTS_PER_TRANSACTION,
  });
}
