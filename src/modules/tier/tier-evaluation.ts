// The scheduled tier evaluation: members whose qualifying points (rolling 12 months) fell below
// their tier's threshold move down to the tier they still qualify for. Upgrades happen at earn
// time; this job only ever downgrades. One instance at a time (a PostgreSQL advisory lock).
//
// It reads only the members due: member.tier_review_at is the first day a member's points could
// fall below its tier's threshold (set here to the day the bucket that would tip it leaves the
// window; today by a tier change or by a posting that takes qualifying points back; NULL on the
// lowest tier), found by index. So a run with nothing due costs one index probe, and one with
// members due costs in proportion to them, in batches: each batch one transaction that locks its
// wallets in one statement (so every tierChanged event is ordered with the member's others),
// moves the members that fell and sets every member's next review date, set-based.
import type { Pool } from '../../db/sql';
import { query } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { withJobLock } from '../lifecycle/job-lock';
import { QUALIFYING_WINDOW_START } from '../ledger/qualifying';
import { lockWallets } from '../ledger/wallet';
import { TierMove, moveTiers } from './tier-change';
import { TierService } from './tier.service';

// Arbitrary, fixed: the advisory lock key of this job ("tier" in ASCII).
const TIER_EVALUATION_LOCK = 0x74696572;
const BATCH = 200;
const TODAY = `(now() AT TIME ZONE 'UTC')::date`;

export interface TierEvaluationResult {
  ran: boolean;
  downgraded: number;
}

/**
 * The next review day of each member given, for the tier it holds now: the first bucket day d
 * such that, once the buckets up to d have left the window (on d + 12 months + 1 day), what is
 * left is below the threshold. Never later than the true day; NULL on the lowest tier.
 */
const SET_NEXT_REVIEW = `
  WITH r AS (
    SELECT m.id, t.qualifying_points AS threshold FROM member m JOIN tier t ON t.id = m.tier_id WHERE m.id = ANY($1::uuid[])),
  b AS (
    SELECT q.member_id, q.day,
           sum(q.points) OVER (PARTITION BY q.member_id) - sum(q.points) OVER (PARTITION BY q.member_id ORDER BY q.day) AS left_after
      FROM qualifying_points_day q WHERE q.member_id = ANY($1::uuid[]) AND q.day >= ${QUALIFYING_WINDOW_START}),
  next AS (
    SELECT r.id, CASE WHEN r.threshold > 0 THEN
             coalesce((SELECT min(b.day) FROM b WHERE b.member_id = r.id AND b.left_after < r.threshold) + interval '12 months' + interval '1 day', ${TODAY})::date
           END AS at
      FROM r)
  UPDATE member m SET tier_review_at = next.at FROM next WHERE m.id = next.id`;

export async function evaluateTiers(db: Pool, tiers: TierService): Promise<TierEvaluationResult> {
  return withJobLock<TierEvaluationResult>(db, TIER_EVALUATION_LOCK, { ran: false, downgraded: 0 }, async () => {
    const ladder = await tiers.all();
    let downgraded = 0;
    // Each batch leaves every member it read with a review day after today (or none); a member
    // read once is not read again in this run, whatever a strange ladder leaves it with.
    const seen = new Set<string>();
    for (;;) {
      const rows = await query<{ id: string }>(db, `SELECT id FROM member WHERE tier_review_at <= ${TODAY} ORDER BY tier_review_at, id LIMIT ${BATCH}`);
      const due = rows.filter((r) => !seen.has(r.id));
      if (due.length === 0) break;
      for (const d of due) seen.add(d.id);
      downgraded += await withTransaction(db, async (m) => {
        const wallets = await lockWallets(
          m,
          due.map((d) => d.id),
        );
        const moves: TierMove[] = [];
        for (const w of wallets) {
          const fitting = TierService.tierFor(ladder, w.qualifying);
          if (fitting.rank < w.tierRank) moves.push({ memberId: w.memberId, fromTierId: w.tierId, toTierId: fitting.id, transactionId: null });
        }
        await moveTiers(m, moves);
        await query(m, SET_NEXT_REVIEW, [due.map((d) => d.id)]);
        return moves.length;
      });
    }
    return { ran: true, downgraded };
  });
}
