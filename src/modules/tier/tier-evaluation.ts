// The scheduled tier evaluation: members whose qualifying points fell below their tier's
// threshold move down, by the program's downgrade policy (program_settings):
//   ROLLING_12_MONTHS  qualifying points of the last 12 months (UTC days, as the earn counts them);
//   CALENDAR_YEAR      the better of this calendar year's and last year's (UTC);
//   NEVER              nobody is downgraded;
// and, with tierDowngradeOneStep, a member falls one tier per run rather than straight to the
// tier it qualifies for. Upgrades happen at earn time (on the last 12 months); this job only ever
// downgrades. One instance at a time (a PostgreSQL advisory lock), each member in its own short
// transaction under its wallet lock, so its tierChanged event is ordered with its other events.
// `now` is the evaluation's clock (tests pass their own).
import type { Pool } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { withJobLock } from '../lifecycle/job-lock';
import { lockWallet } from '../ledger/wallet';
import { moveTiers } from './tier-change';
import { TierService } from './tier.service';
import type { Tier } from './tier.entity';

// Arbitrary, fixed: the advisory lock key of this job ("tier" in ASCII).
const TIER_EVALUATION_LOCK = 0x74696572;

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

export async function evaluateTiers(db: Pool, tiers: TierService, now: Date = new Date()): Promise<TierEvaluationResult> {
  return withJobLock<TierEvaluationResult>(db, TIER_EVALUATION_LOCK, { ran: false, downgraded: 0 }, async () => {
    const settings = (await queryOne<{ policy: Policy; oneStep: boolean }>(
      db,
      `SELECT tier_downgrade_policy AS policy, tier_downgrade_one_step AS "oneStep" FROM program_settings`,
    ))!;
    const policy = settings.policy;
    if (policy === 'NEVER') return { ran: true, downgraded: 0 };
    const ladder = await tiers.all();
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
        const to = downgradeTo(ladder, current, TierService.tierFor(ladder, held.points), settings.oneStep);
        if (to.rank >= wallet.tierRank) return false; // earned it back meanwhile
        await moveTiers(m, [{ memberId: id, fromTierId: wallet.tierId, toTierId: to.id, transactionId: null }]);
        return true;
      });
      if (changed) downgraded++;
    }
    return { ran: true, downgraded };
  });
}
