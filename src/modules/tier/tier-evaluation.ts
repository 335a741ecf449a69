// The scheduled tier evaluation: members whose qualifying points (rolling 12 months) fell below
// their tier's threshold move down to the tier they still qualify for. Upgrades happen at earn
// time; this job only ever downgrades. One instance at a time (a PostgreSQL advisory lock), each
// member in its own short transaction under its wallet lock, so its tierChanged event is ordered
// with its other events.
import type { Pool } from '../../db/sql';
import { query } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { withJobLock } from '../lifecycle/job-lock';
import { qualifyingPointsOf } from '../ledger/qualifying';
import { lockWallet } from '../ledger/wallet';
import { moveTiers } from './tier-change';
import { TierService } from './tier.service';

// Arbitrary, fixed: the advisory lock key of this job ("tier" in ASCII).
const TIER_EVALUATION_LOCK = 0x74696572;

export interface TierEvaluationResult {
  ran: boolean;
  downgraded: number;
}

export async function evaluateTiers(db: Pool, tiers: TierService): Promise<TierEvaluationResult> {
  return withJobLock<TierEvaluationResult>(db, TIER_EVALUATION_LOCK, { ran: false, downgraded: 0 }, async () => {
    const ladder = await tiers.all();
    // Members of the lowest tier (threshold 0) can fall no further: only those above are read.
    const candidates = await query<{ id: string }>(
      db,
      `SELECT m.id FROM member m JOIN tier t ON t.id = m.tier_id
        WHERE t.qualifying_points > 0 AND t.qualifying_points > ${qualifyingPointsOf('m.id')}`,
    );
    let downgraded = 0;
    for (const { id } of candidates) {
      const changed = await withTransaction(db, async (m) => {
        const wallet = await lockWallet(m, id, 'memberId');
        const due = TierService.tierFor(ladder, wallet.qualifying);
        if (due.rank >= wallet.tierRank) return false; // earned it back meanwhile
        await moveTiers(m, [{ memberId: id, fromTierId: wallet.tierId, toTierId: due.id, transactionId: null }]);
        return true;
      });
      if (changed) downgraded++;
    }
    return { ran: true, downgraded };
  });
}
