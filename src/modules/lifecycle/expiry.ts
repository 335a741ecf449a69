// Points expiry. Each lot gets expires_at = earned_at + pointsExpireAfterMonths when it is earned
// (null: never). With extendExpiryOnActivity, every earn moves all the member's unexpired lots to
// at least now + that many months — activity keeps the whole balance alive; lots never move
// earlier (the journal moves them, with the earn's posting). The scheduled job posts one EXPIRY
// per member for the lots past their expiry: wallet −n, the coalition's breakage account +n,
// each lot taken to 0 and logged in lot_consumption (so settlement knows whose points lapsed). It runs under an advisory lock (one
// instance at a time), each member in its own short transaction under its wallet lock; a lot at
// 0 is never taken again, so a second run writes nothing.
import type { Pool } from '../../db/sql';
import { Db, query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { PointsSource } from '../earning/earning.types';
import { post } from '../ledger/journal';
import { TransactionType } from '../ledger/points-transaction.entity';
import { coalitionAccountId, lockWallet } from '../ledger/wallet';
import { ExpiringPoints } from './program-settings.types';
import { withJobLock } from './job-lock';

// Arbitrary, fixed: the advisory lock key of this job ("expi" in ASCII).
const EXPIRY_LOCK = 0x65787069;

export interface JobResult {
  ran: boolean;
  members: number;
  points: number;
}

/** Expire one member's lots that are past `now`; returns the points expired (0: nothing written). */
async function expireMember(db: Pool, memberId: string, now: Date): Promise<number> {
  return withTransaction(db, async (m) => {
    const wallet = await lockWallet(m, memberId, 'memberId');
    const due = await queryOne<{ points: number }>(
      m,
      `SELECT coalesce(sum(remaining), 0)::bigint AS points FROM points_lot
        WHERE member_id = $1 AND remaining > 0 AND expires_at <= $2`,
      [memberId, now],
    );
    const n = due!.points;
    if (n === 0) return 0; // spent or expired meanwhile
    await post(m, {
      type: TransactionType.EXPIRY,
      wallet,
      partnerId: null,
      points: -n,
      counter: [{ accountId: await coalitionAccountId(m, 'COALITION_BREAKAGE'), amount: n }],
      use: { kind: 'expire', asOf: now },
      reason: 'points expired',
      breakdown: [{ source: PointsSource.EXPIRY, points: -n }],
    });
    return n;
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
    for (const { memberId } of members) {
      const n = await expireMember(db, memberId, now);
      if (n > 0) {
        done++;
        points += n;
      }
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
