// Moving members between tiers: the member's tier and the TIER_CHANGED event, in the caller's
// transaction (the earn that crosses a threshold, or the scheduled evaluation), under the
// member's wallet lock so the event is ordered with the member's other events.
import { Tx, query } from '../../db/sql';
import { NewOutboxEvent, outboxCtes, outboxInsertParams } from '../../db/outbox';

export interface TierMove {
  memberId: string;
  fromTierId: string;
  toTierId: string;
  /** The transaction that earned an upgrade; null for the evaluation's downgrades. */
  transactionId: string | null;
}

/** Move each member to its new tier and announce it, in one statement. */
export async function moveTiers(m: Tx, moves: readonly TierMove[]): Promise<void> {
  if (moves.length === 0) return;
  const events: NewOutboxEvent[] = moves.map((t) => ({
    topic: 'TIER_CHANGED',
    memberId: t.memberId,
    payload: { fromTierId: t.fromTierId, toTierId: t.toTierId, transactionId: t.transactionId },
  }));
  await query(
    m,
    `WITH moved AS (
       -- A new tier above the lowest is due for review at once; the evaluation works out its real day.
       UPDATE member mb SET tier_id = u.tier_id,
              tier_review_at = CASE WHEN t.qualifying_points > 0 THEN (now() AT TIME ZONE 'UTC')::date END
         FROM unnest($1::uuid[], $2::uuid[]) AS u(member_id, tier_id) JOIN tier t ON t.id = u.tier_id
        WHERE mb.id = u.member_id),
     ${outboxCtes(3)}
     SELECT 1`,
    [moves.map((t) => t.memberId), moves.map((t) => t.toTierId), ...outboxInsertParams(m, events)],
  );
}
