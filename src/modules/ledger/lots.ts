// Points lots: who issued each point and when it expires. The invariant the books keep:
//   sum(lot.remaining) of a member = max(0, wallet balance)
// A negative balance (a refund clawed back points already spent) holds no lot points; later
// earns pay that debt first and only the surplus lands in their lot.
import { EntityManager } from 'typeorm';
import { query } from '../../db/sql';

const SPEND_ORDER = `expires_at ASC NULLS LAST, earned_at ASC, id ASC`;

/**
 * Take up to `points` from the member's lots — the lots of `preferEarnId` first if given, then
 * oldest expiry, then oldest earned — recording each take against `transactionId`. Returns what
 * was taken.
 */
export async function consumeLotsOldestFirst(
  m: EntityManager,
  memberId: string,
  points: number,
  transactionId: string,
  preferEarnId: string | null = null,
): Promise<number> {
  const rows = await query<{ taken: number }>(
    m,
    `WITH ordered AS (
       SELECT id, remaining,
              sum(remaining) OVER (ORDER BY (earn_transaction_id = $4::uuid) DESC, ${SPEND_ORDER}) AS running
         FROM points_lot WHERE member_id = $1 AND remaining > 0),
     take AS (
       SELECT id, LEAST(remaining, $2::bigint - (running - remaining)) AS points
         FROM ordered WHERE running - remaining < $2::bigint),
     spent AS (
       UPDATE points_lot l SET remaining = l.remaining - take.points FROM take WHERE l.id = take.id
       RETURNING l.id, take.points),
     logged AS (
       INSERT INTO lot_consumption (transaction_id, lot_id, points) SELECT $3, id, points FROM spent)
     SELECT coalesce(sum(points), 0)::bigint AS taken FROM spent`,
    [memberId, points, transactionId, preferEarnId],
  );
  return rows[0]!.taken;
}

/**
 * Put back into their lots, with their original expiry, the points `originalTransactionId` took
 * — but never more than `limit` (a wallet in debt keeps lots empty). Recorded against
 * `transactionId` as negative consumption. Returns what was restored.
 */
export async function restoreConsumedLots(
  m: EntityManager,
  originalTransactionId: string,
  limit: number,
  transactionId: string,
): Promise<number> {
  if (limit <= 0) return 0;
  const rows = await query<{ restored: number }>(
    m,
    `WITH consumed AS (
       SELECT c.lot_id AS id, sum(c.points) AS points, min(l.expires_at) AS expires_at, min(l.earned_at) AS earned_at
         FROM lot_consumption c JOIN points_lot l ON l.id = c.lot_id
        WHERE c.transaction_id = $1 GROUP BY c.lot_id HAVING sum(c.points) > 0),
     ordered AS (
       SELECT id, points, sum(points) OVER (ORDER BY expires_at DESC NULLS FIRST, earned_at DESC, id DESC) AS running FROM consumed),
     back AS (
       SELECT id, LEAST(points, $2::bigint - (running - points)) AS points FROM ordered WHERE running - points < $2::bigint),
     restored AS (
       UPDATE points_lot l SET remaining = l.remaining + back.points FROM back WHERE l.id = back.id RETURNING l.id, back.points),
     logged AS (
       INSERT INTO lot_consumption (transaction_id, lot_id, points) SELECT $3, id, -points FROM restored)
     SELECT coalesce(sum(points), 0)::bigint AS restored FROM restored`,
    [originalTransactionId, limit, transactionId],
  );
  return rows[0]!.restored;
}
