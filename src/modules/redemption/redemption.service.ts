// Redeeming a reward: in one transaction, check tier and balance, take stock (only rewards with
// limited stock lock their row), spend lots oldest-expiry first, and write the REDEEM ledger
// posting at the reward partner's burn-rate version (ledger/journal.ts).
import type { Pool } from '../../db/sql';
import { DomainError, ErrorCode, badInput, forbidden, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { Page } from '../../db/pagination';
import { memberHistoryPage } from '../../db/member-history';
import { Capability, requireLinkedPartner, requireStaff } from '../auth/policy';
import { Caller, callerScope } from '../auth/viewer';
import { isLinked } from '../linking/partner-link.service';
import { claimKey, recordResult, requestHash, validKey } from '../ledger/idempotency';
import { post } from '../ledger/journal';
import { TransactionType } from '../ledger/points-transaction.entity';
import { coalitionAccountId } from '../ledger/wallet';
import { lockMovableWallet } from '../member/member-status';
import { assertPointsWithinTransactionLimit } from '../ledger/transaction-limit';
import { REDEMPTION_EXPIRY_SQL, newRedemptionCode } from './redemption-code';
import { REDEMPTION_COLUMNS, Redemption } from './redemption.entity';

export interface RedeemReward {
  memberId: string;
  rewardId: string;
  quantity?: number | null;
  idempotencyKey: string;
}

export const MAX_QUANTITY = 100;

interface RewardForSale {
  id: string;
  partnerId: string;
  pointsCost: number;
  stock: number | null;
  active: boolean;
  partnerStatus: 'ACTIVE' | 'SUSPENDED';
  minTierRank: number | null;
  minTierName: string | null;
  rateId: string | null;
}

export class RedemptionService {
  constructor(private readonly db: Pool) {}

  async redeem(caller: Caller, input: RedeemReward): Promise<Redemption> {
    const memberId = requireId(input.memberId, 'input.memberId');
    const rewardId = requireId(input.rewardId, 'input.rewardId');
    const key = validKey(input.idempotencyKey);
    const quantity = input.quantity ?? 1;
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
      throw badInput('input.quantity', `must be a whole number from 1 to ${MAX_QUANTITY}`);
    }
    if (caller.kind === 'member' && caller.memberId !== memberId) throw forbidden('A member may only redeem for itself', 'input.memberId');
    if (caller.kind === 'partner' && caller.suspended) throw new DomainError(ErrorCode.PARTNER_SUSPENDED, 'This partner is suspended');
    if (caller.kind === 'staff') requireStaff(caller, Capability.SERVE_MEMBERS);
    // Spending a member's points is acting for it: a partner key only for a member linked to it.
    await requireLinkedPartner(caller, memberId, (mid, pid) => isLinked(this.db, mid, pid), 'input.memberId');
    const hash = requestHash('redeemReward', { memberId, rewardId, quantity });

    const redemption = await withTransaction(this.db, async (m) => {
      const claim = await claimKey(m, callerScope(caller), key, 'redeemReward', hash);
      if (claim.replay) return (await queryOne<Redemption>(m, `SELECT ${REDEMPTION_COLUMNS} FROM redemption WHERE id = $1`, [claim.resultId]))!;

      const reward = await queryOne<RewardForSale>(
        m,
        `SELECT r.id, r.partner_id AS "partnerId", r.points_cost AS "pointsCost", r.stock, r.active, p.status AS "partnerStatus",
                mt.rank AS "minTierRank", mt.name AS "minTierName", rate.id AS "rateId"
           FROM reward r
           JOIN partner p ON p.id = r.partner_id
           LEFT JOIN tier mt ON mt.id = r.min_tier_id
           LEFT JOIN LATERAL (
             SELECT id FROM exchange_rate WHERE partner_id = r.partner_id AND effective_from <= now()
              ORDER BY effective_from DESC, version DESC LIMIT 1) rate ON true
          WHERE r.id = $1`,
        [rewardId],
      );
      if (!reward) throw notFound('input.rewardId', 'reward');
      if (caller.kind === 'partner' && reward.partnerId !== caller.partnerId) {
        throw forbidden('A partner may only redeem its own rewards', 'input.rewardId');
      }
      if (reward.partnerStatus !== 'ACTIVE') throw new DomainError(ErrorCode.PARTNER_SUSPENDED, "This reward's partner is suspended", 'input.rewardId');
      if (!reward.active) throw badInput('input.rewardId', 'this reward is not available any more');
      if (!reward.rateId) throw new DomainError(ErrorCode.RATE_NOT_SET, "This reward's partner has no exchange rate in force", 'input.rewardId');

      const wallet = await lockMovableWallet(m, memberId, 'input.memberId');
      if (reward.minTierRank !== null && wallet.tierRank < reward.minTierRank) {
        throw new DomainError(ErrorCode.TIER_REQUIRED, `This reward is for ${reward.minTierName} members and above`, 'input.rewardId');
      }
      const cost = reward.pointsCost * quantity;
      assertPointsWithinTransactionLimit(cost, 'input.quantity', 'this redemption');
      if (wallet.balance < cost) {
        throw new DomainError(ErrorCode.INSUFFICIENT_POINTS, `This costs ${cost} points; ${Math.max(0, wallet.balance)} available`, 'input.memberId', {
          required: cost,
          available: wallet.balance,
        });
      }
      if (reward.stock !== null) {
        const taken = await query(m, `UPDATE reward SET stock = stock - $2 WHERE id = $1 AND stock >= $2 RETURNING stock`, [rewardId, quantity]);
        if (taken.length === 0) throw new DomainError(ErrorCode.OUT_OF_STOCK, 'Not enough of this reward left', 'input.quantity');
      }

      const tx = await post(m, {
        type: TransactionType.REDEEM,
        wallet,
        partnerId: reward.partnerId,
        points: -cost,
        counter: [{ accountId: await coalitionAccountId(m, 'COALITION_REDEMPTION'), amount: cost }],
        use: { kind: 'consume' },
        exchangeRateId: reward.rateId,
      });
      const redemption = (await queryOne<Redemption>(
        m,
        `INSERT INTO redemption (member_id, reward_id, partner_id, quantity, points_spent, code, transaction_id, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, ${REDEMPTION_EXPIRY_SQL('$2')}) RETURNING ${REDEMPTION_COLUMNS}`,
        [memberId, rewardId, reward.partnerId, quantity, cost, newRedemptionCode(), tx.id],
      ))!;
      await recordResult(m, callerScope(caller), key, redemption.id);
      return redemption;
    });
    return redemption;
  }

  async byIds(ids: readonly string[]): Promise<Redemption[]> {
    return query<Redemption>(this.db, `SELECT ${REDEMPTION_COLUMNS} FROM redemption WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Newest first; partnerScope limits to redemptions at that partner. */
  async forMember(memberId: string, partnerScope: string | null, first?: number, after?: string): Promise<Page<Redemption>> {
    return memberHistoryPage(this.db, { table: 'redemption', columns: REDEMPTION_COLUMNS, cursorKind: 'redemption' }, memberId, partnerScope, first, after);
  }
}
