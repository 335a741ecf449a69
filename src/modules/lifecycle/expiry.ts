// Points expiry. Each lot gets expires_at = earned_at + pointsExpireAfterMonths when it is earned
// (null: never). With extendExpiryOnActivity, every earn moves all the member's unexpired lots to
// at least now + that many months — activity keeps the whole balance alive; lots never move
// earlier (the journal moves them, with the earn's posting). The scheduled job posts one EXPIRY
// per member for the lots past their expiry: wallet −n, the coalition's breakage account +n,
// each lot taken to 0 and logged in lot_consumption (so settlement knows whose points lapsed). It runs under an advisory lock (one
// instance at a time), a batch of members per short transaction under their wallet locks; a lot at
// 0 is never taken again, so a second run writes nothing.
import type { Pool } from '../../db/sql';
import { Db, query } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { PointsSource } from '../earning/earning.types';
import { Posting, postMany } from '../ledger/journal';
import { TransactionType } from '../ledger/points-transaction.entity';
import { coalitionAccountId, lockWallets } from '../ledger/wallet';
import { ExpiringPoints } from './program-settings.types';
import { withJobLock } from './job-lock';

// Arbitrary, fixed: the advisory lock key of this job ("expi" in ASCII).
const EXPIRY_LOCK = 0x65787069;

export interface JobResult {
  ran: boolean;
  members: number;
  points: number;
}

/** Members per transaction: their wallets locked in one statement, their expiries posted in two. */
const BATCH = 100;

/** Expire the lots past `now` of a batch of members; returns the points expired per member (0: nothing written). */
async function expireMembers(db: Pool, memberIds: string[], now: Date): Promise<number[]> {
  return withTransaction(db, async (m) => {
    const wallets = await lockWallets(m, memberIds);
    const due = await query<{ memberId: string; points: number }>(
      m,
      `SELECT member_id AS "memberId", sum(remaining)::bigint AS points FROM points_lot
        WHERE member_id = ANY($1::uuid[]) AND remaining > 0 AND expires_at <= $2 GROUP BY member_id`,
      [memberIds, now],
    );
    const byMember = new Map(due.map((d) => [d.memberId, d.points]));
    const breakage = await coalitionAccountId(m, 'COALITION_BREAKAGE');
    // A member whose lots were spent or expired meanwhile gets no posting.
    const postings: Posting[] = wallets
      .filter((w) => (byMember.get(w.memberId) ?? 0) > 0)
      .map((wallet) => {
        const n = byMember.get(wallet.memberId)!;
        return {
          type: TransactionType.EXPIRY,
          wallet,
          partnerId: null,
          points: -n,
          counter: [{ accountId: breakage, amount: n }],
          use: { kind: 'expire', asOf: now },
          reason: 'points expired',
          breakdown: [{ source: PointsSource.EXPIRY, points: -n }],
        };
      });
    await postMany(m, postings);
    return postings.map((p) => -p.points);
  });
}

/** The scheduled job (also npm run points:expire). `now` is injectable so tests never sleep. */
export async function expirePoints(db: Pool, now: Date = new Date()): Promise<JobResult> {
  return withJobLock<JobResult>(db, EXPIRY_LOCK, { ran: false, members: 0, points: 0 }, async () => {
    const members = await query<{ memberId: string }>(db, `SELECT DISTINCT member_id AS "memberId" FROM points_lot WHERE remaining > 0 AND expires_at <= $1`, [
      now,
    ]);
    let done = 0;
    let points = 0;
    for (let i = 0; i < members.length; i += BATCH) {
      const expired = await expireMembers(
        db,
        members.slice(i, i + BATCH).map((r) => r.memberId),
        now,
      );
      done += expired.length;
      points += expired.reduce((a, b) => a + b, 0);
    }
    return { ran: true, members: done, points };
  });
}

/** Spendable points expiring within `days` of now, grouped by UTC day, soonest first. */
export async function expiringPoints(db: Db, memberId: string, days: number): Promise<ExpiringPoints[]> {
  return query<ExpiringPoints>(
    db,
    `SELECT sum(remaining)::bigint AS points, min(expires_at) AS "expiresAt" FROM points_lot
      WHERE member_id = $1 AND remaining > 0 AND expires_at IS NOT NULL AND expires_at <= now() + make_interval(days => $2::int)
      GROUP BY (expires_at AT TIME ZONE 'UTC')::date ORDER BY 2`,
    [memberId, days],
  );
}
