// Points that staff and members move by hand (issue 17, member servicing): an adjustment by staff,
// a transfer from one member to another, and the merge of a duplicate account into the one kept.
// Every movement is a posting through the journal (ledger/journal.ts). A transfer or merge is two
// postings in one transaction — the sender's side and the receiver's, each on its own member's
// history — balanced through the coalition's transfer clearing account, which nets to zero; the
// receiver's lots are copies of the sender's (issuer, expiry, issuing transaction), so settlement
// and breakage read the same before and after. Both wallets are locked in one statement in member
// order (ledger/wallet.ts lockWallets): two transfers between the same members in opposite
// directions queue instead of deadlocking.
import { randomUUID } from 'node:crypto';
import type { Pool, Tx } from '../../db/sql';
import { DomainError, ErrorCode, badInput, forbidden, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { AuditAction, AuditActor, AuditTargetType, recordAudit } from '../audit/audit-trail';
import { Caller, callerScope } from '../auth/viewer';
import { PointsSource } from '../earning/earning.types';
import { claimKey, recordResult, requestHash, validKey } from '../ledger/idempotency';
import { Posting, postMany } from '../ledger/journal';
import { PointsTransaction, TRANSACTION_COLUMNS, TransactionType } from '../ledger/points-transaction.entity';
import { assertPointsWithinTransactionLimit } from '../ledger/transaction-limit';
import { Wallet, coalitionAccountId, lockWallet, lockWallets } from '../ledger/wallet';
import { assertMemberMayMovePoints } from '../member/member-status';
import { MemberStatus } from '../member/member.entity';
import type { CoalitionIssuer } from '../partner/coalition';

export interface AdjustPoints {
  memberId: string;
  points: number;
  reason: string;
  idempotencyKey: string;
  partnerId?: string | null;
}

export interface TransferPoints {
  fromMemberId: string;
  toMemberId: string;
  points: number;
  idempotencyKey: string;
}

const MAX_REASON = 500;

function insufficient(points: number, wallet: Wallet, field: string): DomainError {
  return new DomainError(ErrorCode.INSUFFICIENT_POINTS, `This moves ${points} points; ${Math.max(0, wallet.balance)} available`, field, {
    required: points,
    available: wallet.balance,
  });
}

async function transaction(m: Tx, id: string): Promise<PointsTransaction> {
  return (await queryOne<PointsTransaction>(m, `SELECT ${TRANSACTION_COLUMNS} FROM ledger_transaction WHERE id = $1`, [id]))!;
}

/** Both wallets, locked together in member order; NOT_FOUND names the field of the one missing. */
async function lockPair(m: Tx, fromId: string, toId: string, fromField: string, toField: string): Promise<[Wallet, Wallet]> {
  const wallets = await lockWallets(m, [fromId, toId]);
  const from = wallets.find((w) => w.memberId === fromId);
  const to = wallets.find((w) => w.memberId === toId);
  if (!from) throw notFound(fromField, 'member');
  if (!to) throw notFound(toField, 'member');
  return [from, to];
}

/**
 * The two postings that move `points` (> 0) of spendable points from one wallet to another, or
 * (< 0) move a debt: the sender's side first, so the receiver's lots copy what it took.
 */
async function movePostings(m: Tx, type: TransactionType, from: Wallet, to: Wallet, points: number, reason: string | null): Promise<Posting[]> {
  const clearing = await coalitionAccountId(m, 'COALITION_TRANSFER');
  const outId = randomUUID();
  const sourced = points > 0;
  return [
    {
      id: outId,
      type,
      wallet: from,
      partnerId: null,
      points: -points,
      counter: [{ accountId: clearing, amount: points }],
      ...(sourced ? { use: { kind: 'consume' as const } } : {}),
      reason,
    },
    {
      type,
      wallet: to,
      partnerId: null,
      points,
      counter: [{ accountId: clearing, amount: -points }],
      use: sourced ? { kind: 'receive' as const, fromTransactionId: outId } : { kind: 'consume' as const },
      reason,
    },
  ];
}

export class PointsServicingService {
  constructor(
    private readonly db: Pool,
    private readonly coalition: CoalitionIssuer,
  ) {}

  /**
   * A credit (points > 0) issues a lot of the funder — the named partner, else the coalition — at
   * its rate in force, expiring like any lot; a debit takes the member's lots oldest-expiry first
   * and gives the points back to the funder. `capped`: support staff, held to the program's
   * supportAdjustmentLimit. A blocked member may still be adjusted (staff correct fraud); a merged
   * or erased one not.
   */
  async adjust(caller: Caller, input: AdjustPoints, actor: AuditActor, capped: boolean): Promise<PointsTransaction> {
    const memberId = requireId(input.memberId, 'input.memberId');
    const partnerId = input.partnerId ? requireId(input.partnerId, 'input.partnerId') : null;
    const points = input.points;
    if (!Number.isInteger(points) || points === 0) throw badInput('input.points', 'must be a whole number other than 0 (negative: a debit)');
    assertPointsWithinTransactionLimit(points, 'input.points', 'this adjustment');
    const reason = requireText(input.reason.trim(), 'input.reason');
    if (reason.length === 0) throw badInput('input.reason', 'say why (it is kept with the transaction and in the audit log)');
    if (reason.length > MAX_REASON) throw badInput('input.reason', `at most ${MAX_REASON} characters`);
    const key = validKey(input.idempotencyKey);
    const hash = requestHash('adjustPoints', { memberId, partnerId, points, reason });
    const scope = callerScope(caller);

    return withTransaction(this.db, async (m) => {
      const claim = await claimKey(m, scope, key, 'adjustPoints', hash);
      if (claim.replay) return transaction(m, claim.resultId);
      const settings = (await queryOne<{ limit: number; expireAfterMonths: number | null }>(
        m,
        `SELECT support_adjustment_limit AS limit, points_expire_after_months AS "expireAfterMonths" FROM program_settings`,
      ))!;
      if (capped && Math.abs(points) > settings.limit) {
        throw forbidden(`input.points: one adjustment by support staff moves at most ${settings.limit} points`, 'input.points');
      }
      const funder = await queryOne<{ partnerId: string; accountId: string; rateId: string | null }>(
        m,
        `SELECT p.id AS "partnerId", a.id AS "accountId",
                (SELECT id FROM exchange_rate WHERE partner_id = p.id AND effective_from <= now() ORDER BY effective_from DESC, version DESC LIMIT 1) AS "rateId"
           FROM partner p JOIN account a ON a.partner_id = p.id AND a.kind = 'PARTNER_ISSUANCE' WHERE p.id = $1`,
        [partnerId ?? this.coalition.partnerId],
      );
      if (!funder) throw notFound('input.partnerId', 'partner');
      if (!funder.rateId) throw new DomainError(ErrorCode.RATE_NOT_SET, 'input.partnerId: this partner has no exchange rate in force', 'input.partnerId');
      const wallet = await lockWallet(m, memberId, 'input.memberId');
      if (wallet.memberStatus !== MemberStatus.BLOCKED) assertMemberMayMovePoints(wallet, 'input.memberId');
      if (points < 0 && wallet.balance < -points) throw insufficient(-points, wallet, 'input.points');
      const [tx] = await postMany(m, [
        {
          type: TransactionType.ADJUSTMENT,
          wallet,
          partnerId: funder.partnerId,
          points,
          counter: [{ accountId: funder.accountId, amount: -points }],
          ...(points > 0
            ? { issue: { lots: [{ partnerId: funder.partnerId, points }], expireAfterMonths: settings.expireAfterMonths, pendingDays: 0 } }
            : { use: { kind: 'consume' as const } }),
          exchangeRateId: funder.rateId,
          reason,
          breakdown: [{ source: PointsSource.ADJUSTMENT, points, funder: partnerId ? 'PARTNER' : 'COALITION' }],
        },
      ]);
      await recordAudit(m, {
        actor,
        action: AuditAction.MEMBER_POINTS_ADJUSTED,
        targetType: AuditTargetType.MEMBER,
        targetId: memberId,
        partnerId,
        previous: null,
        current: { transactionId: tx!.id, points, fundedBy: funder.partnerId },
      });
      await recordResult(m, scope, key, tx!.id);
      return tx!;
    });
  }

  /** The sender's side of the transfer is the answer; the receiver's is on its own history. */
  async transfer(caller: Caller, input: TransferPoints): Promise<PointsTransaction> {
    const fromId = requireId(input.fromMemberId, 'input.fromMemberId');
    const toId = requireId(input.toMemberId, 'input.toMemberId');
    if (fromId === toId) throw badInput('input.toMemberId', 'a member cannot transfer points to itself');
    const points = input.points;
    if (!Number.isInteger(points) || points < 1) throw badInput('input.points', 'must be a whole number of at least 1');
    assertPointsWithinTransactionLimit(points, 'input.points', 'this transfer');
    const key = validKey(input.idempotencyKey);
    const hash = requestHash('transferPoints', { fromId, toId, points });
    const scope = callerScope(caller);

    return withTransaction(this.db, async (m) => {
      const claim = await claimKey(m, scope, key, 'transferPoints', hash);
      if (claim.replay) return transaction(m, claim.resultId);
      const [from, to] = await lockPair(m, fromId, toId, 'input.fromMemberId', 'input.toMemberId');
      assertMemberMayMovePoints(from, 'input.fromMemberId');
      assertMemberMayMovePoints(to, 'input.toMemberId');
      // Counted under the sender's wallet lock: two transfers at once cannot both squeeze under the limit.
      const month = (await queryOne<{ transfers: number; points: number; maxTransfers: number; maxPoints: number }>(
        m,
        `SELECT count(t.id)::int AS transfers, coalesce(-sum(t.points), 0)::bigint AS points,
                s.transfers_per_month AS "maxTransfers", s.transfer_points_per_month AS "maxPoints"
           FROM program_settings s
           LEFT JOIN ledger_transaction t ON t.member_id = $1 AND t.type = 'TRANSFER' AND t.points < 0
                AND t.created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
          GROUP BY s.transfers_per_month, s.transfer_points_per_month`,
        [fromId],
      ))!;
      if (month.transfers + 1 > month.maxTransfers) {
        throw new DomainError(
          ErrorCode.TRANSFER_LIMIT_EXCEEDED,
          `input.points: a member sends at most ${month.maxTransfers} transfers a month; ${month.transfers} sent this month`,
          'input.points',
          { limit: month.maxTransfers, used: month.transfers, per: 'TRANSFERS' },
        );
      }
      if (month.points + points > month.maxPoints) {
        throw new DomainError(
          ErrorCode.TRANSFER_LIMIT_EXCEEDED,
          `input.points: a member transfers at most ${month.maxPoints} points a month; ${month.points} transferred this month`,
          'input.points',
          { limit: month.maxPoints, used: month.points, per: 'POINTS' },
        );
      }
      if (from.balance < points) throw insufficient(points, from, 'input.points');
      const [out] = await postMany(m, await movePostings(m, TransactionType.TRANSFER, from, to, points, null));
      await recordResult(m, scope, key, out!.id);
      return out!;
    });
  }

  /**
   * The source's balance (or its debt) and lots move to the target; the source becomes MERGED
   * (its tokens stop working, nothing moves on it again) and both keep their history. Refused
   * while the source has points inside a return window (they would arrive after the merge).
   * Returns the target's id.
   */
  async merge(caller: Caller, sourceInput: string, targetInput: string, keyInput: string, actor: AuditActor): Promise<string> {
    const sourceId = requireId(sourceInput, 'sourceMemberId');
    const targetId = requireId(targetInput, 'targetMemberId');
    if (sourceId === targetId) throw badInput('targetMemberId', 'a member cannot be merged into itself');
    const key = validKey(keyInput, 'idempotencyKey');
    const hash = requestHash('mergeMembers', { sourceId, targetId });
    const scope = callerScope(caller);

    return withTransaction(this.db, async (m) => {
      const claim = await claimKey(m, scope, key, 'mergeMembers', hash);
      if (claim.replay) return claim.resultId;
      const [source, target] = await lockPair(m, sourceId, targetId, 'sourceMemberId', 'targetMemberId');
      // A blocked duplicate may be merged away; a closed one has nothing left to merge.
      if (source.memberStatus !== MemberStatus.BLOCKED) assertMemberMayMovePoints(source, 'sourceMemberId');
      assertMemberMayMovePoints(target, 'targetMemberId');
      if (source.pending > 0) {
        throw badInput('sourceMemberId', `${source.pending} of its points are still inside a return window; merge once they are released`, {
          pending: source.pending,
        });
      }
      const moved = source.balance;
      if (moved !== 0) await postMany(m, await movePostings(m, TransactionType.MERGE, source, target, moved, `merged into ${targetId}`));
      await query(m, `UPDATE member SET status = 'MERGED', merged_into = $2, status_reason = NULL, status_changed_at = now() WHERE id = $1`, [
        sourceId,
        targetId,
      ]);
      await recordAudit(m, {
        actor,
        action: AuditAction.MEMBER_MERGED,
        targetType: AuditTargetType.MEMBER,
        targetId: sourceId,
        partnerId: null,
        previous: { status: source.memberStatus, balance: moved },
        current: { status: MemberStatus.MERGED, mergedInto: targetId },
      });
      await recordResult(m, scope, key, targetId);
      return targetId;
    });
  }
}
