// The scheduled tier evaluation: members whose qualifying points (rolling 12 months) fell below
// their tier's threshold move down to the tier they still qualify for. Upgrades happen at earn
// time; this job only ever downgrades. One instance at a time (a PostgreSQL advisory lock), each
// member in its own short transaction under its wallet lock, so its tierChanged event is ordered
// with its other events.
import { DataSource } from 'typeorm';
import { query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { withJobLock } from '../lifecycle/job-lock';
import { announceTierChange, lockWallet } from '../ledger/wallet';
import { QUALIFYING_WINDOW, TierService } from './tier.service';

// Arbitrary, fixed: the advisory lock key of this job ("tier" in ASCII).
const TIER_EVALUATION_LOCK = 0x74696572;

export interface TierEvaluationResult {
  ran: boolean;
  downgraded: number;
}

export async function evaluateTiers(db: DataSource, tiers: TierService, afterCommit: () => void = () => undefined): Promise<TierEvaluationResult> {
  return withJobLock<TierEvaluationResult>(db, TIER_EVALUATION_LOCK, { ran: false, downgraded: 0 }, async () => {
    const ladder = await tiers.all();
    const candidates = await query<{ id: string }>(
      db,
      `SELECT m.id FROM member m JOIN tier t ON t.id = m.tier_id
        WHERE t.qualifying_points > (SELECT coalesce(sum(x.qualifying_points), 0) FROM ledger_transaction x
                                      WHERE x.member_id = m.id AND x.created_at > now() - ${QUALIFYING_WINDOW})`,
    );
    let downgraded = 0;
    for (const { id } of candidates) {
      const changed = await withTransaction(db, async (m) => {
        const wallet = await lockWallet(m, id, 'memberId');
        const q = await queryOne<{ pts: number }>(
          m,
          `SELECT coalesce(sum(qualifying_points), 0)::bigint AS pts FROM ledger_transaction
            WHERE member_id = $1 AND created_at > now() - ${QUALIFYING_WINDOW}`,
          [id],
        );
        const due = TierService.tierFor(ladder, q!.pts);
        if (due.rank >= wallet.tierRank) return false; // earned it back meanwhile
        await query(m, `UPDATE member SET tier_id = $2 WHERE id = $1`, [id, due.id]);
        await announceTierChange(m, id, wallet.tierId, due.id, null);
        return true;
      });
      if (changed) downgraded++;
    }
    if (downgraded > 0) afterCommit();
    return { ran: true, downgraded };
  });
}
