// The scheduled tier evaluation: members whose qualifying points fell below their tier's
// threshold move down, by the program's downgrade policy (program_settings):
//   ROLLING_12_MONTHS  qualifying points of the last 12 months (UTC days, as the earn counts them);
//   CALENDAR_YEAR      the better of this calendar year's and last year's (UTC);
//   NEVER              nobody is downgraded;
// and, with tierDowngradeOneStep, a member falls one tier per run rather than straight to the
// tier it qualifies for. Upgrades happen at earn time (on the last 12 months); this job only ever
// downgrades. One instance at a time (a PostgreSQL advisory lock).
//
// On the rolling policy (the default) and the real clock it reads only the members due:
// member.tier_review_at is the first day a member's points could fall below its tier's threshold
// (set here to the day the bucket that would tip it leaves the window; today by a tier change, by
// a posting that takes qualifying points back, by a ladder or policy edit; NULL on the lowest
// tier), found by index. So a run with nothing due costs one index probe, and one with members
// due costs in proportion to them, in batches: each batch one transaction that locks its wallets
// in one statement (so every tierChanged event is ordered with the member's others), moves the
// members that fell and sets every member's next review date, set-based.
// The calendar-year policy, and an evaluation on another clock (`now`, as tests pass), read the
// members above the lowest tier whose points under the policy are below their tier's threshold,
// each in its own short transaction under its wallet lock.
import type { Pool } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { withJobLock } from '../lifecycle/job-lock';
import { QUALIFYING_WINDOW_START } from '../ledger/qualifying';
import { lockWallet, lockWallets } from '../ledger/wallet';
import { TierMove, moveTiers } from './tier-change';
import { TierService } from './tier.service';
import type { Tier } from './tier.entity';

// Arbitrary, fixed: the advisory lock key of this job ("tier" in ASCII).
const TIER_EVALUATION_LOCK = 0x74696572;
const BATCH = 200;
const TODAY = `(now() AT TIME ZONE 'UTC')::date`;

export interface TierEvaluationResult {
  ran: boolean;
  downgraded: number;
}

type Policy = 'ROLLING_12_MONTHS' | 'CALENDAR_YEAR' | 'NEVER';

/** SQL: the points member `member` qualifies with at $1 (timestamptz) under the policy. */
function qualifyingAt(policy: Exclude<Policy, 'NEVER'>, member: string): string {
  const today = `($1::timestamptz AT TIME ZONE 'UTC')::date`;
  const sum = (from: string, to: string) =>
    `(SELECT coalesce(sum(q.points), 0) FROM qualifying_points_day q WHERE q.member_id = ${member} AND q.day >= ${from} AND q.day < ${to})`;
  if (policy === 'ROLLING_12_MONTHS') return `${sum(`(${today} - interval '12 months')::date`, `${today} + 1`)}::bigint`;
  const year = `date_trunc('year', ${today})::date`;
  return `GREATEST(${sum(year, `(${year} + interval '1 year')::date`)}, ${sum(`(${year} - interval '1 year')::date`, year)})::bigint`;
}

/** Where a member of tier `current` qualifying for `due` goes. */
export function downgradeTo(ladder: Tier[], current: Tier, due: Tier, oneStep: boolean): Tier {
  if (!oneStep || due.rank >= current.rank) return due;
  const below = ladder.filter((t) => t.rank < current.rank).sort((a, b) => b.rank - a.rank)[0];
  return below && below.rank > due.rank ? below : due;
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

export async function evaluateTiers(db: Pool, tiers: TierService, now?: Date): Promise<TierEvaluationResult> {
  return withJobLock<TierEvaluationResult>(db, TIER_EVALUATION_LOCK, { ran: false, downgraded: 0 }, async () => {
    const settings = (await queryOne<{ policy: Policy; oneStep: boolean }>(
      db,
      `SELECT tier_downgrade_policy AS policy, tier_downgrade_one_step AS "oneStep" FROM program_settings`,
    ))!;
    if (settings.policy === 'NEVER') return { ran: true, downgraded: 0 };
    const ladder = await tiers.all();
    if (settings.policy === 'ROLLING_12_MONTHS' && now === undefined) return { ran: true, downgraded: await dueMembers(db, ladder, settings.oneStep) };
    return { ran: true, downgraded: await scanMembers(db, ladder, settings.policy, settings.oneStep, now ?? new Date()) };
  });
}

/** The rolling policy on the real clock: only the members whose review day has come, in batches. */
async function dueMembers(db: Pool, ladder: Tier[], oneStep: boolean): Promise<number> {
  let downgraded = 0;
  // Each batch leaves every member it read with a review day after today (or none; one stepping
  // down a tier at a time is due again today, for the next run); a member read once is not read
  // again in this run, whatever a strange ladder leaves it with.
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
        const current = ladder.find((t) => t.id === w.tierId);
        if (!current) continue;
        const to = downgradeTo(ladder, current, TierService.tierFor(ladder, w.qualifying), oneStep);
        if (to.rank < w.tierRank) moves.push({ memberId: w.memberId, fromTierId: w.tierId, toTierId: to.id, transactionId: null });
      }
      await moveTiers(m, moves);
      await query(m, SET_NEXT_REVIEW, [due.map((d) => d.id)]);
      return moves.length;
    });
  }
  return downgraded;
}

/** The calendar-year policy, or another clock: members whose points under the policy are below their tier's threshold. */
async function scanMembers(db: Pool, ladder: Tier[], policy: Exclude<Policy, 'NEVER'>, oneStep: boolean, now: Date): Promise<number> {
  const points = qualifyingAt(policy, 'm.id');
  // Members of the lowest tier (threshold 0) can fall no further: only those above are read.
  const candidates = await query<{ id: string }>(
    db,
    `SELECT m.id FROM member m JOIN tier t ON t.id = m.tier_id WHERE t.qualifying_points > 0 AND t.qualifying_points > ${points}`,
    [now],
  );
  let downgraded = 0;
  for (const { id } of candidates) {
    const changed = await withTransaction(db, async (m) => {
      const wallet = await lockWallet(m, id, 'memberId');
      const held = (await queryOne<{ points: number }>(m, `SELECT ${qualifyingAt(policy, '$2::uuid')} AS points`, [now, id]))!;
      const current = ladder.find((t) => t.id === wallet.tierId);
      if (!current) return false;
      const to = downgradeTo(ladder, current, TierService.tierFor(ladder, held.points), oneStep);
      if (to.rank >= wallet.tierRank) return false; // earned it back meanwhile
      await moveTiers(m, [{ memberId: id, fromTierId: wallet.tierId, toTierId: to.id, transactionId: null }]);
      return true;
    });
    if (changed) downgraded++;
  }
  return downgraded;
}
