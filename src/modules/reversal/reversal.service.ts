// Corrections are new transactions, never edits. Reversing an EARN (a refund) claws points back —
// from that earn's own lot first, then oldest-expiry first — and may leave the wallet negative
// when the points were already spent. Reversing a REDEEM cancels the redemption, returns the
// points to the very lots they came from (with their expiry) and restores the stock; a PAYMENT
// (a refund at the till) likewise gives its points back to their lots (payment/payment.service.ts).
import type { Pool, Tx } from '../../db/sql';
import { DomainError, ErrorCode, badInput, forbidden, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { Caller, callerScope } from '../auth/viewer';
import { Capability, requireStaff } from '../auth/policy';
import { clawBackReferralBonus } from '../lifecycle/referral';
import { claimKey, recordResult, requestHash, validKey } from '../ledger/idempotency';
import { Posting, post } from '../ledger/journal';
import { LedgerService } from '../ledger/ledger.service';
import { PointsTransaction, TransactionType } from '../ledger/points-transaction.entity';
import { Wallet, lockWallet } from '../ledger/wallet';
import { RedemptionStatus } from '../redemption/redemption.entity';
import { refundPayment } from '../payment/payment.service';
import { giveRedemptionBack, lockRedemptionOf, redemptionNotActive } from '../redemption/redemption-return';
import { assertPointsWithinTransactionLimit } from '../ledger/transaction-limit';
import { returnRuleBudget } from '../earning/rule-budget';

export interface ReverseTransaction {
  transactionId: string;
  points?: number | null;
  reason?: string | null;
  idempotencyKey: string;
}

const MAX_REASON_LENGTH = 500;

/**
 * How `total` reversed points are shared among issuers who issued `issued[k]` points: each gets
 * ⌊issued·total/Σissued⌋, the last takes the remainder. Computed on the running total, so a
 * series of partial reversals never takes more from an issuer than it issued.
 */
export function shareOut(issued: number[], total: number): number[] {
  const sum = issued.reduce((a, b) => a + b, 0);
  if (sum === 0) return issued.map(() => 0);
  // BigInt: issued × total can pass 2^53.
  const shares = issued.map((x) => Number((BigInt(x) * BigInt(total)) / BigInt(sum)));
  shares[shares.length - 1] = total - shares.slice(0, -1).reduce((a, b) => a + b, 0);
  return shares;
}

export class ReversalService {
  constructor(
    private readonly db: Pool,
    private readonly ledger: LedgerService,
  ) {}

  async reverse(caller: Caller, input: ReverseTransaction): Promise<PointsTransaction> {
    const transactionId = requireId(input.transactionId, 'input.transactionId');
    const key = validKey(input.idempotencyKey);
    const points = input.points ?? null;
    if (points !== null && (!Number.isInteger(points) || points < 1)) throw badInput('input.points', 'must be a whole number of at least 1');
    if (points !== null) assertPointsWithinTransactionLimit(points, 'input.points', 'this reversal');
    const reason = requireText(input.reason?.trim() ?? '', 'input.reason') || null;
    if (reason && reason.length > MAX_REASON_LENGTH) throw badInput('input.reason', `at most ${MAX_REASON_LENGTH} characters`);
    if (caller.kind === 'member') throw forbidden('Only the partner that made a transaction, or support staff, may reverse it');
    if (caller.kind === 'staff') requireStaff(caller, Capability.SERVE_MEMBERS);
    if (caller.kind === 'partner' && caller.suspended) throw new DomainError(ErrorCode.PARTNER_SUSPENDED, 'This partner is suspended');
    const hash = requestHash('reverseTransaction', { transactionId, points, reason });

    const reversalId = await withTransaction(this.db, async (m) => {
      const claim = await claimKey(m, callerScope(caller), key, 'reverseTransaction', hash);
      if (claim.replay) return claim.resultId;

      const original = await this.ledger.byId(transactionId, m);
      if (!original) throw notFound('input.transactionId', 'transaction');
      if (caller.kind === 'partner' && original.partnerId !== caller.partnerId) {
        throw forbidden('A partner may only reverse transactions made at itself', 'input.transactionId');
      }
      const wallet = await lockWallet(m, original.memberId, 'input.transactionId');
      let reversal: string;
      if (original.type === TransactionType.EARN) {
        reversal = await this.reverseEarn(m, original, wallet, points, reason);
        await clawBackReferralBonus(m, original);
      } else if (original.type === TransactionType.REDEEM) reversal = await this.reverseRedeem(m, original, wallet, points, reason);
      else if (original.type === TransactionType.PAYMENT) reversal = await refundPayment(m, original, wallet, points, reason);
      else throw badInput('input.transactionId', `only EARN, REDEEM and PAYMENT transactions can be reversed, not ${original.type}`);
      await recordResult(m, callerScope(caller), key, reversal);
      return reversal;
    });
    return (await this.ledger.byId(reversalId))!;
  }

  private async reverseEarn(m: Tx, earn: PointsTransaction, wallet: Wallet, points: number | null, reason: string | null) {
    // Read under the wallet lock: concurrent reversals of this earn queue behind us.
    const done = await queryOne<{ reversed: number }>(
      m,
      `SELECT coalesce(-sum(points), 0)::bigint AS reversed FROM ledger_transaction WHERE reverses_id = $1`,
      [earn.id],
    );
    const reversible = earn.points - done!.reversed;
    if (reversible <= 0) throw badInput('input.transactionId', 'this earn has already been fully reversed');
    const n = points ?? reversible;
    if (n > reversible) throw badInput('input.points', `at most ${reversible} points of this earn remain reversible`, { reversible });
    // Each issuer of the earn (the partner, and the coalition for coalition-funded points) takes
    // back its share of the clawback, so settlement stays right for both.
    const issuers = await query<{ accountId: string; partnerId: string; issued: number }>(
      m,
      // The earn's few entries first (materialized: the planner would otherwise intersect this
      // with the index of every entry of the partner's issuance account, which grows with the ledger).
      `WITH entries AS MATERIALIZED (SELECT id, account_id, amount FROM ledger_entry WHERE transaction_id = $1 AND amount < 0)
       SELECT e.account_id AS "accountId", a.partner_id AS "partnerId", -e.amount AS issued FROM entries e JOIN account a ON a.id = e.account_id
        WHERE a.kind = 'PARTNER_ISSUANCE' ORDER BY e.id`,
      [earn.id],
    );
    const before = shareOut(
      issuers.map((i) => i.issued),
      done!.reversed,
    );
    const after = shareOut(
      issuers.map((i) => i.issued),
      done!.reversed + n,
    );
    const shares = issuers.map((i, k) => ({ accountId: i.accountId, partnerId: i.partnerId, amount: after[k]! - before[k]! }));
    const counter = shares.filter((c) => c.amount !== 0);
    const pending = await queryOne<{ pending: number }>(
      m,
      `SELECT coalesce(sum(pending), 0)::bigint AS pending FROM points_lot WHERE earn_transaction_id = $1`,
      [earn.id],
    );
    const posting: Posting = {
      type: TransactionType.REVERSAL,
      wallet,
      partnerId: earn.partnerId,
      points: -n,
      counter,
      lifetimeDelta: -n,
      qualifyingPoints: -n,
      exchangeRateId: earn.exchangeRateId,
      reversesId: earn.id,
      reason,
      // Still inside the return window: the refund cancels pending points only — each issuer's
      // lot of this earn loses that issuer's share — and the spendable balance is untouched.
      ...(pending!.pending > 0
        ? { pendingDelta: -n, use: { kind: 'cancelPending', earnId: earn.id, shares: shares.map((s) => ({ partnerId: s.partnerId, points: s.amount })) } }
        : { use: { kind: 'consume', preferEarnId: earn.id } }),
    };
    // A refund gives the campaigns their share back (budget and the member's cap).
    await returnRuleBudget(m, earn, done!.reversed, done!.reversed + n);
    return (await post(m, posting)).id;
  }

  private async reverseRedeem(m: Tx, redeem: PointsTransaction, wallet: Wallet, points: number | null, reason: string | null) {
    // Locked after the wallet, as the expiry job does; a fulfilment waits here or has already won.
    const redemption = await lockRedemptionOf(m, redeem.id);
    if (!redemption) throw badInput('input.transactionId', 'this transaction has no redemption to cancel');
    if (redemption.status !== RedemptionStatus.ACTIVE) throw redemptionNotActive(redemption.status, 'input.transactionId', 'cancelled');
    const n = redemption.pointsSpent;
    if (points !== null && points !== n) throw badInput('input.points', `a redemption is reversed whole: omit points or give ${n}`);
    return (await giveRedemptionBack(m, redemption, redeem, wallet, RedemptionStatus.CANCELLED, reason)).id;
  }
}
