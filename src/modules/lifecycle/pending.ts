// Pending points: a partner's return window (partner.pending_days). Points earned there are
// issued at once — the EARN's entries credit the wallet, so settlement and history see them —
// but held in account.pending and the lots' `pending`, not spendable, until pending_until.
// The release job moves them into the balance and the lots' `remaining` (paying any debt from a
// clawback first, like an earn), writing no new ledger transaction: the entries were written at
// earn time, and the books' rule is sum(entries) = balance + pending. A refund inside the window
// cancels pending points only (see ledger/reversal.service.ts).
import { DataSource } from 'typeorm';
import { query } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { announceBalance, lockWallet } from '../ledger/wallet';
import { JobResult } from './expiry';
import { withJobLock } from './job-lock';

// Arbitrary, fixed: the advisory lock key of this job ("pend" in ASCII).
const RELEASE_LOCK = 0x70656e64;

async function releaseMember(db: DataSource, memberId: string, now: Date): Promise<number> {
  return withTransaction(db, async (m) => {
    const wallet = await lockWallet(m, memberId, 'memberId');
    const lots = await query<{ id: string; pending: number; earnId: string }>(
      m,
      `SELECT id, pending, earn_transaction_id AS "earnId" FROM points_lot
        WHERE member_id = $1 AND pending > 0 AND pending_until <= $2
        ORDER BY expires_at ASC NULLS LAST, earned_at, id`,
      [memberId, now],
    );
    const n = lots.reduce((s, l) => s + l.pending, 0);
    if (n === 0) return 0; // reversed or released meanwhile
    const balanceAfter = wallet.balance + n;
    // A wallet in debt keeps its lots empty: only what lifts the balance above zero lands in lots.
    let surplus = Math.max(0, balanceAfter) - Math.max(0, wallet.balance);
    const ids: string[] = [];
    const remaining: number[] = [];
    for (const lot of lots) {
      const take = Math.min(lot.pending, surplus);
      surplus -= take;
      ids.push(lot.id);
      remaining.push(take);
    }
    await query(
      m,
      `UPDATE points_lot l SET remaining = l.remaining + r.add, pending = 0, pending_until = NULL
         FROM unnest($1::uuid[], $2::bigint[]) AS r(id, add) WHERE l.id = r.id`,
      [ids, remaining],
    );
    await query(m, `UPDATE account SET balance = $2, pending = pending - $3 WHERE id = $1`, [wallet.accountId, balanceAfter, n]);
    // The event names the (latest) earn whose points became spendable.
    await announceBalance(m, memberId, null, lots[lots.length - 1]!.earnId);
    return n;
  });
}

/** The scheduled release (part of npm run points:expire). `now` is injectable so tests never sleep. */
export async function releasePendingPoints(db: DataSource, now: Date = new Date(), afterCommit: () => void = () => undefined): Promise<JobResult> {
  return withJobLock<JobResult>(db, RELEASE_LOCK, { ran: false, members: 0, points: 0 }, async () => {
    const members = await query<{ memberId: string }>(
      db,
      `SELECT DISTINCT member_id AS "memberId" FROM points_lot WHERE pending > 0 AND pending_until <= $1`,
      [now],
    );
    let done = 0;
    let points = 0;
    for (const { memberId } of members) {
      const n = await releaseMember(db, memberId, now);
      if (n > 0) {
        done++;
        points += n;
      }
    }
    if (done > 0) afterCommit();
    return { ran: true, members: done, points };
  });
}
