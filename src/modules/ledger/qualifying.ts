// Qualifying points: what counts towards a member's tier, over a rolling 12 months. Kept
// incrementally — every posting that carries qualifying points adds them to the member's bucket
// for that UTC day (qualifying_points_day, written by the journal only) — so neither an earn nor
// the tier evaluation sums a year of transactions: at most one bucket a day.
// The window is whole UTC days: today and every day since the same date 12 months ago.
import type { Db } from '../../db/sql';
import { query } from '../../db/sql';

/** The first UTC day inside the rolling window, as SQL. */
export const QUALIFYING_WINDOW_START = `((now() AT TIME ZONE 'UTC') - interval '12 months')::date`;

/**
 * Every member above the lowest tier is due for a tier review today (member.tier_review_at, read
 * by tier/tier-evaluation.ts): what each qualifies for changed with the ladder or the downgrade
 * policy. Like the journal's own review marks, a write to the column only.
 */
export async function markEveryTierReviewDueToday(m: Db): Promise<void> {
  const today = `(now() AT TIME ZONE 'UTC')::date`;
  await query(
    m,
    `UPDATE member m SET tier_review_at = ${today} FROM tier t WHERE t.id = m.tier_id AND t.qualifying_points > 0 AND m.tier_review_at IS DISTINCT FROM ${today}`,
  );
}

/** SQL for the qualifying points of the member `memberExpr` (a column or parameter), as bigint. */
export function qualifyingPointsOf(memberExpr: string): string {
  return `(SELECT coalesce(sum(q.points), 0) FROM qualifying_points_day q
            WHERE q.member_id = ${memberExpr} AND q.day >= ${QUALIFYING_WINDOW_START})::bigint`;
}
