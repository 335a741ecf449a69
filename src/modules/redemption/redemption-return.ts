// A redemption that ends without being used — cancelled (reverseTransaction) or expired (the
// lifecycle job) — gives its points back into the very lots they came from, with their expiry,
// and its unit back to a limited reward's stock. Both paths lock the member's wallet first, then
// the redemption row (fulfilment locks only the row), so a code is either used or given back,
// never both.
import type { Tx } from '../../db/sql';
import { DomainError, ErrorCode } from '../../errors/domain-error';
import { query, queryOne } from '../../db/sql';
import { post } from '../ledger/journal';
import { PointsTransaction, TransactionType } from '../ledger/points-transaction.entity';
import { Wallet, coalitionAccountId } from '../ledger/wallet';
import { REDEMPTION_STATUS_SQL, RedemptionStatus } from './redemption.entity';

export interface LockedRedemption {
  id: string;
  rewardId: string;
  partnerId: string;
  quantity: number;
  pointsSpent: number;
  transactionId: string;
  /** As every reader sees it: EXPIRED once past expiresAt, even before the job ran. */
  status: RedemptionStatus;
  storedStatus: RedemptionStatus;
  expiresAt: Date | null;
}

const LOCKED_COLUMNS = `id, reward_id AS "rewardId", partner_id AS "partnerId", quantity, points_spent AS "pointsSpent",
  transaction_id AS "transactionId", ${REDEMPTION_STATUS_SQL} AS status, status AS "storedStatus", expires_at AS "expiresAt"`;

/** The redemption written by REDEEM transaction `transactionId`, locked for this transaction. */
export async function lockRedemptionOf(m: Tx, transactionId: string): Promise<LockedRedemption | undefined> {
  return queryOne<LockedRedemption>(m, `SELECT ${LOCKED_COLUMNS} FROM redemption WHERE transaction_id = $1 FOR UPDATE`, [transactionId]);
}

/** A redemption by its id, locked for this transaction (the expiry job, under the member's wallet lock). */
export async function lockRedemption(m: Tx, id: string): Promise<(LockedRedemption & { memberId: string }) | undefined> {
  return queryOne(m, `SELECT ${LOCKED_COLUMNS}, member_id AS "memberId" FROM redemption WHERE id = $1 FOR UPDATE`, [id]);
}

/** REDEMPTION_NOT_ACTIVE naming the status the code is in (extensions.status). */
export function redemptionNotActive(status: RedemptionStatus, field: string, doing: string): DomainError {
  return new DomainError(ErrorCode.REDEMPTION_NOT_ACTIVE, `${field}: this redemption is ${status}; only an ACTIVE one can be ${doing}`, field, { status });
}

/**
 * Give a redemption's points back (REVERSAL of its REDEEM: settlement counts it against the
 * honouring partner, as it never honoured it) and end it as CANCELLED or EXPIRED.
 */
export async function giveRedemptionBack(
  m: Tx,
  redemption: LockedRedemption,
  redeem: PointsTransaction,
  wallet: Wallet,
  outcome: RedemptionStatus.CANCELLED | RedemptionStatus.EXPIRED,
  reason: string | null,
): Promise<PointsTransaction> {
  const n = redemption.pointsSpent;
  const tx = await post(m, {
    type: TransactionType.REVERSAL,
    wallet,
    partnerId: redeem.partnerId,
    points: n,
    counter: [{ accountId: await coalitionAccountId(m, 'COALITION_REDEMPTION'), amount: -n }],
    // The points go back to the very lots they came from, with their expiry (a wallet in debt
    // keeps only what lifts it above zero: the journal's rule).
    use: { kind: 'restore', transactionId: redeem.id },
    exchangeRateId: redeem.exchangeRateId,
    reversesId: redeem.id,
    reason,
  });
  await query(m, `UPDATE reward SET stock = stock + $2 WHERE id = $1 AND stock IS NOT NULL`, [redemption.rewardId, redemption.quantity]);
  await query(
    m,
    `UPDATE redemption SET status = $2,
            cancelled_by_transaction = CASE WHEN $2 = 'CANCELLED' THEN $3::uuid END,
            expired_by_transaction = CASE WHEN $2 = 'EXPIRED' THEN $3::uuid END
      WHERE id = $1`,
    [redemption.id, outcome, tx.id],
  );
  return tx;
}
