// Recording a purchase: one ledger transaction crediting the member's wallet and debiting the
// partner's issuance account, a lot that remembers who issued the points, and — in the same
// database transaction — the tier upgrade it earns and the events announcing it.
import { DataSource } from 'typeorm';
import { DomainError, ErrorCode, badInput, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { Exact, currencyDigits } from '../../money/decimal';
import { query, queryOne } from '../../db/sql';
import { pgConstraint, pgErrorCode, withTransaction } from '../../db/transaction';
import { QUALIFYING_WINDOW } from '../tier/tier.service';
import { actingPartnerId } from '../auth/policy';
import { Caller, callerScope } from '../auth/viewer';
import { claimKey, requestHash, validKey } from './idempotency';
import { pointsForPurchase } from './earning-rule';
import { LedgerService } from './ledger.service';
import { announceBalance, announceTierChange, lockWallet } from './wallet';
import { Channel, PointsTransaction, TRANSACTION_COLUMNS } from './points-transaction.entity';

export interface EarnPoints {
  memberId: string;
  amount: string;
  currencyCode: string;
  channel?: Channel | null;
  externalRef: string;
  idempotencyKey: string;
  partnerId?: string | null;
}

export const MAX_PURCHASE_AMOUNT = new Exact('1e12');
// Balances are GraphQL Int (32-bit): refuse anything that would push one past it.
export const MAX_BALANCE = 2_147_483_647;
const MAX_REF_LENGTH = 255;

interface EarningPartner {
  id: string;
  status: 'ACTIVE' | 'SUSPENDED';
  currencyCode: string;
  issuanceAccountId: string;
  rateId: string | null;
  earnRate: string | null;
}

export class EarnService {
  constructor(
    private readonly db: DataSource,
    private readonly ledger: LedgerService,
    /** Wakes the outbox relays once the transaction has committed. */
    private readonly afterCommit: () => void = () => undefined,
  ) {}

  async earn(caller: Caller, input: EarnPoints): Promise<PointsTransaction> {
    const partnerId = requireId(actingPartnerId(caller, input.partnerId), 'input.partnerId');
    const memberId = requireId(input.memberId, 'input.memberId');
    const key = validKey(input.idempotencyKey);
    const externalRef = requireText(input.externalRef.trim(), 'input.externalRef');
    if (externalRef.length === 0) throw badInput('input.externalRef', 'must not be empty');
    if (externalRef.length > MAX_REF_LENGTH) throw badInput('input.externalRef', `at most ${MAX_REF_LENGTH} characters`);
    const amount = new Exact(input.amount);
    if (amount.lte(0)) throw badInput('input.amount', 'must be greater than 0');
    if (amount.gt(MAX_PURCHASE_AMOUNT)) throw badInput('input.amount', 'must be at most 1000000000000');
    const currencyCode = input.currencyCode.trim().toUpperCase();
    const channel = input.channel ?? Channel.ONLINE;
    const hash = requestHash('earnPoints', { memberId, amount: amount.toString(), currencyCode, channel, externalRef, partnerId });

    try {
      const tx = await withTransaction(this.db, async (m) => {
        const claim = await claimKey(m, callerScope(caller), key, 'earnPoints', hash);
        if (claim.replay) return (await this.ledger.byId(claim.resultId, m))!;

        const partner = await queryOne<EarningPartner>(
          m,
          `SELECT p.id, p.status, p.currency_code AS "currencyCode", a.id AS "issuanceAccountId",
                  r.id AS "rateId", r.earn_rate::text AS "earnRate"
             FROM partner p
             JOIN account a ON a.partner_id = p.id AND a.kind = 'PARTNER_ISSUANCE'
             LEFT JOIN LATERAL (
               SELECT id, earn_rate FROM exchange_rate
                WHERE partner_id = p.id AND effective_from <= now()
                ORDER BY effective_from DESC, version DESC LIMIT 1) r ON true
            WHERE p.id = $1`,
          [partnerId],
        );
        if (!partner) throw notFound('input.partnerId', 'partner');
        if (partner.status !== 'ACTIVE') throw new DomainError(ErrorCode.PARTNER_SUSPENDED, 'This partner is suspended and cannot issue points');
        if (currencyCode !== partner.currencyCode) {
          throw badInput('input.currencyCode', `this partner takes ${partner.currencyCode}, not ${currencyCode}`);
        }
        const digits = currencyDigits(currencyCode) ?? 2;
        if (amount.decimalPlaces() > digits) throw badInput('input.amount', `${currencyCode} has at most ${digits} decimal places`);
        if (!partner.rateId || !partner.earnRate) {
          throw new DomainError(ErrorCode.RATE_NOT_SET, 'This partner has no exchange rate in force yet', 'input.partnerId');
        }

        // The lock that makes balance_after exact and keeps two writes from racing on one wallet.
        const wallet = await lockWallet(m, memberId);

        const points = pointsForPurchase(amount.toString(), partner.earnRate, wallet.tierMultiplier);
        if (wallet.balance + points > MAX_BALANCE) throw badInput('input.amount', 'this purchase would earn more points than a balance can hold');

        const tx = (await queryOne<PointsTransaction>(
          m,
          `WITH tx AS (
             INSERT INTO ledger_transaction (type, member_id, partner_id, points, balance_after, purchase_amount,
               purchase_currency, channel, external_ref, exchange_rate_id, tier_multiplier, qualifying_points)
             VALUES ('EARN', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $3) RETURNING *),
           entries AS (
             INSERT INTO ledger_entry (transaction_id, account_id, amount)
             SELECT id, $11::uuid, $3::bigint FROM tx UNION ALL SELECT id, $12::uuid, -$3::bigint FROM tx),
           lot AS (
             -- A wallet in debt (after a clawback) is paid first; only the surplus is spendable.
             INSERT INTO points_lot (member_id, partner_id, earn_transaction_id, points, remaining, earned_at)
             SELECT $1, $2, id, $3, LEAST($3::bigint, GREATEST(0, $4::bigint)), created_at FROM tx WHERE $3::bigint > 0),
           wallet AS (
             UPDATE account SET balance = balance + $3, lifetime_earned = lifetime_earned + $3 WHERE id = $11)
           SELECT ${TRANSACTION_COLUMNS} FROM tx`,
          [
            memberId,
            partnerId,
            points,
            wallet.balance + points,
            amount.toString(),
            currencyCode,
            channel,
            externalRef,
            partner.rateId,
            wallet.tierMultiplier,
            wallet.accountId,
            partner.issuanceAccountId,
          ],
        ))!;

        // Upgrade in the same transaction as the earn that crosses the threshold (never down here:
        // downgrades belong to the scheduled evaluation).
        const upgrade = await queryOne<{ fromTierId: string; toTierId: string }>(
          m,
          `WITH q AS (SELECT coalesce(sum(qualifying_points), 0) AS pts FROM ledger_transaction
                       WHERE member_id = $1 AND created_at > now() - ${QUALIFYING_WINDOW}),
                best AS (SELECT t.id, t.rank FROM tier t, q WHERE t.qualifying_points <= q.pts ORDER BY t.rank DESC LIMIT 1),
                cur AS (SELECT t.id, t.rank FROM tier t WHERE t.id = $2)
           UPDATE member mb SET tier_id = best.id FROM best, cur
            WHERE mb.id = $1 AND best.rank > cur.rank
           RETURNING cur.id AS "fromTierId", best.id AS "toTierId"`,
          [memberId, wallet.tierId],
        );

        await query(m, `UPDATE idempotency_key SET result_id = $3 WHERE caller = $1 AND key = $2`, [callerScope(caller), key, tx.id]);
        await announceBalance(m, memberId, partnerId, tx.id);
        if (upgrade) await announceTierChange(m, memberId, upgrade.fromTierId, upgrade.toTierId, tx.id);
        return tx;
      });
      this.afterCommit();
      return tx;
    } catch (err) {
      if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'ledger_transaction_receipt') {
        const original = await queryOne<{ id: string }>(
          this.db,
          `SELECT id FROM ledger_transaction WHERE partner_id = $1 AND external_ref = $2 AND type = 'EARN'`,
          [partnerId, externalRef],
        );
        throw badInput('input.externalRef', 'this receipt has already earned points; a purchase earns once', {
          originalTransactionId: original?.id,
        });
      }
      throw err;
    }
  }
}
