// Pending points: a partner's return window (partner.pending_days). Points earned there are
// issued at once — the EARN's entries credit the wallet, so settlement and history see them —
// but held in account.pending and the lots' `pending`, not spendable, until pending_until.
// The release job (the journal's releasePendingMany, a batch of members at a time) moves them into the balance and the lots'
// `remaining` (paying any debt from a clawback first, like an earn), writing no new ledger transaction: the entries were written at
// earn time, and the books' rule is sum(entries) = balance + pending. A refund inside the window
// cancels pending points only (see ledger/reversal.service.ts).
import type { Pool } from '../../db/sql';
import { query } from '../../db/sql';
import { releasePendingMany } from '../ledger/journal';
import { withTransaction } from '../../db/transaction';
import { lockWallets } from '../ledger/wallet';
import { JobResult } from './expiry';
import { withJobLock } from './job-lock';

// Arbitrary, fixed: the advisory lock key of this job ("pend" in ASCII).
const RELEASE_LOCK = 0x70656e64;

/** Members per transaction: one lock statement and three writes for the whole batch. */
const BATCH = 100;

/** The scheduled release (part of npm run points:expire). `now` is injectable so tests never sleep. */
export async function releasePendingPoints(db: Pool, now: Date = new Date()): Promise<JobResult> {
  return withJobLock<JobResult>(db, RELEASE_LOCK, { ran: false, members: 0, points: 0 }, async () => {
    const members = await query<{ memberId: string }>(db, `SELECT DISTINCT member_id AS "memberId" FROM points_lot WHERE pending > 0 AND pending_until <= $1`, [
      now,
    ]);
    let done = 0;
    let points = 0;
    for (let i = 0; i < members.length; i += BATCH) {
      const batch = members.slice(i, i + BATCH).map((r) => r.memberId);
      // 0 for a member: reversed or released meanwhile.
      const released = await withTransaction(db, async (m) => releasePendingMany(m, await lockWallets(m, batch), now));
      for (const n of released) {
        if (n > 0) {
          done++;
          points += n;
        }
      }
    }
    return { ran: true, members: done, points };
  });
}
