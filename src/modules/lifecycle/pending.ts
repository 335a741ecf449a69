// Pending points: a partner's return window (partner.pending_days). Points earned there are
// issued at once — the EARN's entries credit the wallet, so settlement and history see them —
// but held in account.pending and the lots' `pending`, not spendable, until pending_until.
// The release job (the journal's releasePending) moves them into the balance and the lots'
// `remaining` (paying any debt from a clawback first, like an earn), writing no new ledger transaction: the entries were written at
// earn time, and the books' rule is sum(entries) = balance + pending. A refund inside the window
// cancels pending points only (see ledger/reversal.service.ts).
import type { Pool } from '../../db/sql';
import { query } from '../../db/sql';
import { releasePending } from '../ledger/journal';
import { withTransaction } from '../../db/transaction';
import { lockWallet } from '../ledger/wallet';
import { JobResult } from './expiry';
import { withJobLock } from './job-lock';

// Arbitrary, fixed: the advisory lock key of this job ("pend" in ASCII).
const RELEASE_LOCK = 0x70656e64;

async function releaseMember(db: Pool, memberId: string, now: Date): Promise<number> {
  // 0: reversed or released meanwhile.
  return withTransaction(db, async (m) => releasePending(m, await lockWallet(m, memberId, 'memberId'), now));
}

/** The scheduled release (part of npm run points:expire). `now` is injectable so tests never sleep. */
export async function releasePendingPoints(db: Pool, now: Date = new Date()): Promise<JobResult> {
  return withJobLock<JobResult>(db, RELEASE_LOCK, { ran: false, members: 0, points: 0 }, async () => {
    const members = await query<{ memberId: string }>(db, `SELECT DISTINCT member_id AS "memberId" FROM points_lot WHERE pending > 0 AND pending_until <= $1`, [
      now,
    ]);
    let done = 0;
    let points = 0;
    for (const { memberId } of members) {
      const n = await releaseMember(db, memberId, now);
      if (n > 0) {
        done++;
        points += n;
      }
    }
    return { ran: true, members: done, points };
  });
}
