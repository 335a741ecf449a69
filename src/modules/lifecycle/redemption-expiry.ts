// Redemption codes not used within their reward's validity (Reward.validDays). From expiresAt on
// a code reads EXPIRED and cannot be used or cancelled; this job gives its points back — into
// the very lots they came from, with their expiry — and its unit back to a limited stock, as a
// REVERSAL of the REDEEM (so settlement no longer counts it as honoured). It runs before points
// expiry, so points returned into lots that lapsed meanwhile expire in the same run. One member's
// code at a time, under the wallet lock then the redemption row's, like a cancellation.
import type { Pool } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { PointsTransaction, TRANSACTION_COLUMNS } from '../ledger/points-transaction.entity';
import { lockWallet } from '../ledger/wallet';
import { RedemptionStatus } from '../redemption/redemption.entity';
import { giveRedemptionBack, lockRedemption } from '../redemption/redemption-return';
import { withJobLock } from './job-lock';
import type { JobResult } from './expiry';

// Arbitrary, fixed: the advisory lock key of this job ("rexp" in ASCII).
const REDEMPTION_EXPIRY_LOCK = 0x72657870;

/** The points given back, or null when the code was used, cancelled or expired meanwhile. */
async function expireRedemption(db: Pool, id: string, memberId: string, now: Date): Promise<number | null> {
  return withTransaction(db, async (m) => {
    const wallet = await lockWallet(m, memberId, 'memberId');
    const redemption = await lockRedemption(m, id);
    if (!redemption || redemption.storedStatus !== RedemptionStatus.ACTIVE || !redemption.expiresAt || redemption.expiresAt > now) return null;
    const redeem = (await queryOne<PointsTransaction>(m, `SELECT ${TRANSACTION_COLUMNS} FROM ledger_transaction WHERE id = $1`, [redemption.transactionId]))!;
    await giveRedemptionBack(m, redemption, redeem, wallet, RedemptionStatus.EXPIRED, 'redemption code expired unused');
    return redemption.pointsSpent;
  });
}

/** The scheduled job (also npm run points:expire). `now` is injectable so tests never sleep. */
export async function expireRedemptions(db: Pool, now: Date = new Date()): Promise<JobResult> {
  return withJobLock<JobResult>(db, REDEMPTION_EXPIRY_LOCK, { ran: false, members: 0, points: 0 }, async () => {
    const due = await query<{ id: string; memberId: string }>(
      db,
      `SELECT id, member_id AS "memberId" FROM redemption WHERE status = 'ACTIVE' AND expires_at <= $1 ORDER BY expires_at, id`,
      [now],
    );
    const members = new Set<string>();
    let points = 0;
    for (const r of due) {
      const n = await expireRedemption(db, r.id, r.memberId, now);
      if (n === null) continue;
      members.add(r.memberId);
      points += n;
    }
    return { ran: true, members: members.size, points };
  });
}
