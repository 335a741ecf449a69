// Qualifying points: what counts towards a member's tier, over a rolling 12 months. Kept
// incrementally — every posting that carries qualifying points adds them to the member's bucket
// for that UTC day (qualifying_points_day, written by the journal only) — so neither an earn nor
// the tier evaluation sums a year of transactions: at most one bucket a day.
// The window is whole UTC days: today and every day since the same date 12 months ago.

/** The first UTC day inside the rolling window, as SQL. */
export const QUALIFYING_WINDOW_START = `((now() AT TIME ZONE 'UTC') - interval '12 months')::date`;

/** SQL for the qualifying points of the member `memberExpr` (a column or parameter), as bigint. */
export function qualifyingPointsOf(memberExpr: string): string {
  return `(SELECT coalesce(sum(q.points), 0) FROM qualifying_points_day q
            WHERE q.member_id = ${memberExpr} AND q.day >= ${QUALIFYING_WINDOW_START})::bigint`;
}
