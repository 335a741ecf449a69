// Recording a purchase: one ledger transaction crediting the member's wallet and debiting the
// issuers' accounts (the partner for its own points, the coalition for coalition-funded ones),
// a lot per issuer that remembers who issued the points, and — in the same database
// transaction — punch-card progress, the tier upgrade it earns and the events announcing it.
// previewEarn runs the same calculation on the same data and writes nothing.
import { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorCode, badInput, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { Exact, currencyDigits } from '../../money/decimal';
import { Db, query, queryOne } from '../../db/sql';
import { pgConstraint, pgErrorCode, withTransaction } from '../../db/transaction';
import { QUALIFYING_WINDOW } from '../tier/tier.service';
import { actingPartnerId } from '../auth/policy';
import { Caller, callerScope } from '../auth/viewer';
import { EarnRuleService } from '../earning/earn-rule.service';
import { Funder } from '../earning/earning.types';
import { Component, PurchaseItem, computeEarn, fundedBy, totalPoints } from '../earning/points-calculator';
import { MembershipService } from '../membership/membership.service';
import type { CoalitionIssuer } from '../partner/coalition';
import { PunchCardService } from '../punch-card/punch-card.service';
import { claimKey, requestHash, validKey } from './idempotency';
import { assertPointsWithinTransactionLimit } from './transaction-limit';
import { LedgerService } from './ledger.service';
import { extendExpiry } from '../lifecycle/expiry';
import { grantReferralBonus } from '../lifecycle/referral';
import { trackChallenges } from '../challenge/challenge.service';
import { announceBalance, announceTierChange, coalitionAccountId, lockWallet } from './wallet';
import { Channel, PointsTransaction, TRANSACTION_COLUMNS } from './points-transaction.entity';

export interface Purchase {
  memberId: string;
  amount: string;
  currencyCode: string;
  channel?: Channel | null;
  items?: PurchaseItem[] | null;
  partnerId?: string | null;
}

export interface EarnPoints extends Purchase {
  externalRef: string;
  idempotencyKey: string;
}

export interface EarnPreview {
  points: number;
  breakdown: Component[];
  exchangeRateId: string;
}

export const MAX_PURCHASE_AMOUNT = new Exact('1e12');
// Balances are GraphQL Int (32-bit): refuse anything that would push one past it.
export const MAX_BALANCE = 2_147_483_647;
const MAX_REF_LENGTH = 255;
const MAX_ITEMS = 500;

export interface EarningPartner {
  id: string;
  status: 'ACTIVE' | 'SUSPENDED';
  isCoalition: boolean;
  currencyCode: string;
  issuanceAccountId: string;
  rateId: string | null;
  earnRate: string | null;
  burnRate: string | null;
  /** The partner's return window: points earned there stay pending this long (0: none). */
  pendingDays: number;
  /** Program settings the lots need, read in the same query (see lifecycle/program-settings). */
  expireAfterMonths: number | null;
  extendExpiryOnActivity: boolean;
  /** Set only when this may be a referred member's first earn with a referral bonus configured. */
  referrerId: string | null;
  referralBonus: number;
  /** Whether any active challenge counts purchases here (saves the progress upsert when none does). */
  hasChallenges: boolean;
  /** Whether the partner runs an active punch card (saves the punch upsert when it does not). */
  hasPunchCards: boolean;
}

export type RatedPartner = EarningPartner & { rateId: string; earnRate: string; burnRate: string };

/** A purchase that passed every check that needs no database: ready for a transaction. */
export interface PreparedEarn {
  p: ValidPurchase;
  /** The caller's idempotency scope ("partner:<id>", …) and key. */
  scope: string;
  key: string;
  externalRef: string;
  hash: string;
}

/** Anything that writes earns for EarnService (the group-commit writer, see earn-batch.ts). */
export interface EarnWriter {
  submit(earn: PreparedEarn): Promise<PointsTransaction>;
}

// The partner, its rate in force and the program settings an earn needs; `$1` is the partner id
// (or ids: the batched writer loads every partner of a batch in one statement).
export const EARNING_PARTNER_COLUMNS = `p.id, p.status, p.is_coalition AS "isCoalition", p.currency_code AS "currencyCode", a.id AS "issuanceAccountId",
              r.id AS "rateId", r.earn_rate::text AS "earnRate", r.burn_rate::text AS "burnRate", p.pending_days AS "pendingDays",
              s.points_expire_after_months AS "expireAfterMonths", s.extend_expiry_on_activity AS "extendExpiryOnActivity",
              s.referral_bonus_points AS "referralBonus",
              EXISTS (SELECT 1 FROM challenge c WHERE c.active AND (c.partner_id IS NULL OR c.partner_id = p.id)) AS "hasChallenges",
              EXISTS (SELECT 1 FROM punch_card c WHERE c.active AND c.partner_id = p.id) AS "hasPunchCards"`;
export const EARNING_PARTNER_FROM = `FROM partner p
         JOIN account a ON a.partner_id = p.id AND a.kind = 'PARTNER_ISSUANCE'
         CROSS JOIN program_settings s
         LEFT JOIN LATERAL (
           SELECT id, earn_rate, burn_rate FROM exchange_rate
            WHERE partner_id = p.id AND effective_from <= now()
            ORDER BY effective_from DESC, version DESC LIMIT 1) r ON true`;

/** The checks every purchase must pass against its partner: the same for one earn or a batch. */
export function checkPartner(partner: EarningPartner | undefined, p: ValidPurchase): RatedPartner {
  if (!partner || partner.isCoalition) throw notFound('input.partnerId', 'partner');
  if (partner.status !== 'ACTIVE') throw new DomainError(ErrorCode.PARTNER_SUSPENDED, 'This partner is suspended and cannot issue points', 'input.partnerId');
  if (p.currencyCode !== partner.currencyCode) {
    throw badInput('input.currencyCode', `this partner takes ${partner.currencyCode}, not ${p.currencyCode}`);
  }
  const digits = currencyDigits(p.currencyCode) ?? 2;
  if (p.amount.decimalPlaces() > digits) throw badInput('input.amount', `${p.currencyCode} has at most ${digits} decimal places`);
  p.items?.forEach((item, i) => {
    if (new Exact(item.amount).decimalPlaces() > digits) throw badInput(`input.items[${i}].amount`, `${p.currencyCode} has at most ${digits} decimal places`);
  });
  if (!partner.rateId || !partner.earnRate || !partner.burnRate) {
    throw new DomainError(ErrorCode.RATE_NOT_SET, 'This partner has no exchange rate in force yet', 'input.partnerId');
  }
  return partner as RatedPartner;
}

/** What an earn writes, worked out from the locked wallet: the same arithmetic for one earn or a batch. */
export function earnPostings(partner: EarningPartner, wallet: { balance: number }, breakdown: Component[]) {
  const points = totalPoints(breakdown);
  assertPointsWithinTransactionLimit(points, 'input.amount', 'this purchase');
  const byPartner = fundedBy(breakdown, Funder.PARTNER);
  const byCoalition = fundedBy(breakdown, Funder.COALITION);
  // Inside the partner's return window the points are issued but held in account.pending and
  // the lots' pending, out of the spendable balance, until the release job (lifecycle/pending.ts).
  const pending = partner.pendingDays > 0;
  const balanceAfter = pending ? wallet.balance : wallet.balance + points;
  if (wallet.balance + points > MAX_BALANCE) throw badInput('input.amount', 'this purchase would earn more points than a balance can hold');
  // A wallet in debt (after a clawback) is paid first; only the surplus lands in lots.
  const spendable = pending ? 0 : Math.min(points, Math.max(0, balanceAfter));
  const partnerLot = Math.min(byPartner, spendable);
  return { points, byPartner, byCoalition, pending, balanceAfter, partnerLot, coalitionLot: spendable - partnerLot };
}

export interface ValidPurchase {
  partnerId: string;
  memberId: string;
  amount: Exact;
  currencyCode: string;
  channel: Channel;
  items: PurchaseItem[] | null;
}

function validItems(items: PurchaseItem[] | null | undefined, amount: Exact): PurchaseItem[] | null {
  if (!items) return null;
  if (items.length === 0) throw badInput('input.items', 'give at least one item, or leave items out');
  if (items.length > MAX_ITEMS) throw badInput('input.items', `at most ${MAX_ITEMS} items`);
  let sum = new Exact(0);
  const clean = items.map((item, i) => {
    const field = `input.items[${i}]`;
    const sku = requireText(item.sku.trim(), `${field}.sku`);
    if (sku.length < 1 || sku.length > 64) throw badInput(`${field}.sku`, 'must be 1 to 64 characters');
    const category = item.category ? requireText(item.category.trim(), `${field}.category`) : null;
    if (category !== null && category.length > 64) throw badInput(`${field}.category`, 'at most 64 characters');
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > 100_000) throw badInput(`${field}.quantity`, 'must be 1 to 100000');
    const lineAmount = new Exact(item.amount);
    if (lineAmount.lt(0)) throw badInput(`${field}.amount`, 'must not be negative');
    sum = sum.plus(lineAmount);
    return { sku, category, quantity: item.quantity, amount: lineAmount.toString() };
  });
  if (!sum.eq(amount)) throw badInput('input.items', `item amounts add up to ${sum.toString()}, not the purchase amount ${amount.toString()}`);
  return clean;
}

export class EarnService {
  constructor(
    private readonly db: DataSource,
    private readonly ledger: LedgerService,
    private readonly coalition: CoalitionIssuer,
    /** Wakes the outbox relays once the transaction has committed. */
    private readonly afterCommit: () => void = () => undefined,
  ) {}

  private writer: EarnWriter | null = null;

  private validPurchase(caller: Caller, input: Purchase): ValidPurchase {
    const partnerId = requireId(actingPartnerId(caller, input.partnerId), 'input.partnerId');
    const memberId = requireId(input.memberId, 'input.memberId');
    const amount = new Exact(input.amount);
    if (amount.lte(0)) throw badInput('input.amount', 'must be greater than 0');
    if (amount.gt(MAX_PURCHASE_AMOUNT)) throw badInput('input.amount', 'must be at most 1000000000000');
    return {
      partnerId,
      memberId,
      amount,
      currencyCode: input.currencyCode.trim().toUpperCase(),
      channel: input.channel ?? Channel.ONLINE,
      items: validItems(input.items, amount),
    };
  }

  /** The partner, its rate in force, and the checks every purchase must pass. */
  private async earningPartner(db: Db, p: ValidPurchase): Promise<RatedPartner> {
    const partner = await queryOne<EarningPartner>(
      db,
      `SELECT ${EARNING_PARTNER_COLUMNS},
              (SELECT mb.referred_by FROM member mb
                WHERE mb.id = $2 AND mb.referred_by IS NOT NULL AND s.referral_bonus_points > 0
                  AND NOT EXISTS (SELECT 1 FROM ledger_transaction t WHERE t.member_id = mb.id AND t.type = 'EARN')) AS "referrerId"
         ${EARNING_PARTNER_FROM}
        WHERE p.id = $1`,
      [p.partnerId, p.memberId],
    );
    return checkPartner(partner, p);
  }

  /** Everything the calculation needs, loaded once: rules, membership, tier. */
  private async calculate(db: Db, p: ValidPurchase, partner: { earnRate: string; burnRate: string }, tier: { multiplier: string; rank: number }) {
    const [rules, membership] = await Promise.all([EarnRuleService.forPurchase(db, p.partnerId), MembershipService.forEarn(db, p.memberId)]);
    return computeEarn({
      amount: p.amount.toString(),
      items: p.items,
      channel: p.channel,
      earnRate: partner.earnRate,
      burnRate: partner.burnRate,
      tierMultiplier: tier.multiplier,
      tierRank: tier.rank,
      membership,
      rules,
      now: new Date(),
    });
  }

  /** What this purchase would earn right now, without writing anything. */
  async preview(caller: Caller, input: Purchase): Promise<EarnPreview> {
    const p = this.validPurchase(caller, input);
    const partner = await this.earningPartner(this.db, p);
    const member = await queryOne<{ multiplier: string; rank: number }>(
      this.db,
      `SELECT t.earn_multiplier::text AS multiplier, t.rank FROM member m JOIN tier t ON t.id = m.tier_id WHERE m.id = $1`,
      [p.memberId],
    );
    if (!member) throw notFound('input.memberId', 'member');
    const breakdown = await this.calculate(this.db, p, partner, member);
    // What the earn would refuse, the preview refuses the same way.
    assertPointsWithinTransactionLimit(totalPoints(breakdown), 'input.amount', 'this purchase');
    return { points: totalPoints(breakdown), breakdown, exchangeRateId: partner.rateId };
  }

  /** Every check that needs no database, and the request's idempotency fingerprint. */
  prepare(caller: Caller, input: EarnPoints): PreparedEarn {
    const p = this.validPurchase(caller, input);
    const key = validKey(input.idempotencyKey);
    const externalRef = requireText(input.externalRef.trim(), 'input.externalRef');
    if (externalRef.length === 0) throw badInput('input.externalRef', 'must not be empty');
    if (externalRef.length > MAX_REF_LENGTH) throw badInput('input.externalRef', `at most ${MAX_REF_LENGTH} characters`);
    const hash = requestHash('earnPoints', {
      memberId: p.memberId,
      amount: p.amount.toString(),
      currencyCode: p.currencyCode,
      channel: p.channel,
      externalRef,
      partnerId: p.partnerId,
      items: p.items,
    });
    return { p, scope: callerScope(caller), key, externalRef, hash };
  }

  /** Sets the writer earns go through (the group-commit writer); without one, each earn is its own transaction. */
  useWriter(writer: EarnWriter | null): void {
    this.writer = writer;
  }

  async earn(caller: Caller, input: EarnPoints): Promise<PointsTransaction> {
    const prepared = this.prepare(caller, input);
    return this.writer ? this.writer.submit(prepared) : this.earnAlone(prepared);
  }

  /** One earn in a transaction of its own, with every rule: punch cards, referrals, challenges. */
  async earnAlone({ p, scope, key, externalRef, hash }: PreparedEarn): Promise<PointsTransaction> {
    try {
      const tx = await withTransaction(this.db, async (m) => {
        const claim = await claimKey(m, scope, key, 'earnPoints', hash);
        // A replay returns the original, breakdown included, whatever the rules say today.
        if (claim.replay) return (await this.ledger.byId(claim.resultId, m))!;
        const partner = await this.earningPartner(m, p);
        // The lock that makes balance_after exact and keeps two writes from racing on one wallet.
        const wallet = await lockWallet(m, p.memberId);
        const breakdown = await this.calculate(m, p, partner, { multiplier: wallet.tierMultiplier, rank: wallet.tierRank });
        const tx = await this.record(m, p, externalRef, partner, wallet, breakdown);
        if (partner.extendExpiryOnActivity && partner.expireAfterMonths) await extendExpiry(m, p.memberId, partner.expireAfterMonths);
        await PunchCardService.punch(m, {
          memberId: p.memberId,
          partnerId: p.partnerId,
          amount: p.amount.toString(),
          rateId: partner.rateId,
          balance: tx.balanceAfter,
          redemptionAccountId: await coalitionAccountId(m, 'COALITION_REDEMPTION'),
        });
        if (partner.referrerId) await grantReferralBonus(m, this.coalition, p.memberId, partner.referrerId, partner.referralBonus);
        if (partner.hasChallenges) {
          await trackChallenges(m, this.coalition, {
            memberId: p.memberId,
            partnerId: p.partnerId,
            partnerIssuanceAccountId: partner.issuanceAccountId,
            amount: p.amount.toString(),
            currencyCode: p.currencyCode,
          });
        }
        const upgrade = await this.upgradeTier(m, p.memberId, wallet.tierId);
        await query(m, `UPDATE idempotency_key SET result_id = $3 WHERE caller = $1 AND key = $2`, [scope, key, tx.id]);
        await announceBalance(m, p.memberId, p.partnerId, tx.id);
        if (upgrade) await announceTierChange(m, p.memberId, upgrade.fromTierId, upgrade.toTierId, tx.id);
        return tx;
      });
      this.afterCommit();
      return tx;
    } catch (err) {
      if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'ledger_transaction_receipt') throw await this.receiptUsed(p.partnerId, externalRef);
      throw err;
    }
  }

  /** The answer to a receipt that already earned: a purchase earns once (README: Idempotency). */
  private async receiptUsed(partnerId: string, externalRef: string): Promise<DomainError> {
    const original = await queryOne<{ id: string }>(
      this.db,
      `SELECT id FROM ledger_transaction WHERE partner_id = $1 AND external_ref = $2 AND type = 'EARN'`,
      [partnerId, externalRef],
    );
    return badInput('input.externalRef', 'this receipt has already earned points; a purchase earns once', {
      originalTransactionId: original?.id,
    });
  }

  /** The EARN row, its entries (member +total; each issuer −its share), lots, and the wallet. */
  private async record(
    m: EntityManager,
    p: ValidPurchase,
    externalRef: string,
    partner: EarningPartner & { rateId: string },
    wallet: { accountId: string; balance: number; tierMultiplier: string },
    breakdown: Component[],
  ): Promise<PointsTransaction> {
    const { points, byPartner, byCoalition, balanceAfter, partnerLot, coalitionLot } = earnPostings(partner, wallet, breakdown);
    const accounts = [wallet.accountId, partner.issuanceAccountId, this.coalition.issuanceAccountId];
    const amounts = [points, -byPartner, -byCoalition];
    const keep = amounts.map((a, i) => i < 2 || a !== 0);
    return (await queryOne<PointsTransaction>(
      m,
      `WITH tx AS (
         INSERT INTO ledger_transaction (type, member_id, partner_id, points, balance_after, purchase_amount,
           purchase_currency, channel, external_ref, exchange_rate_id, tier_multiplier, qualifying_points, breakdown)
         VALUES ('EARN', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $3, $11) RETURNING *),
       entries AS (
         INSERT INTO ledger_entry (transaction_id, account_id, amount)
         SELECT tx.id, e.account_id, e.amount FROM tx, unnest($12::uuid[], $13::bigint[]) AS e(account_id, amount)),
       lots AS (
         INSERT INTO points_lot (member_id, partner_id, earn_transaction_id, points, remaining, earned_at, expires_at, pending, pending_until)
         SELECT $1, l.partner_id, tx.id, l.points, l.remaining, tx.created_at, tx.created_at + make_interval(months => $18::int),
                CASE WHEN $19::int > 0 THEN l.points ELSE 0 END, CASE WHEN $19::int > 0 THEN tx.created_at + make_interval(days => $19::int) END
           FROM tx, unnest($14::uuid[], $15::bigint[], $16::bigint[]) AS l(partner_id, points, remaining) WHERE l.points > 0),
       wallet AS (
         UPDATE account SET balance = $4, lifetime_earned = lifetime_earned + $3,
                pending = pending + CASE WHEN $19::int > 0 THEN $3 ELSE 0 END WHERE id = $17)
       SELECT ${TRANSACTION_COLUMNS} FROM tx`,
      [
        p.memberId,
        p.partnerId,
        points,
        balanceAfter,
        p.amount.toString(),
        p.currencyCode,
        p.channel,
        externalRef,
        partner.rateId,
        wallet.tierMultiplier,
        JSON.stringify(breakdown),
        accounts.filter((_, i) => keep[i]),
        amounts.filter((_, i) => keep[i]),
        [p.partnerId, this.coalition.partnerId],
        [byPartner, byCoalition],
        [partnerLot, coalitionLot],
        wallet.accountId,
        partner.expireAfterMonths,
        partner.pendingDays,
      ],
    ))!;
  }

  /**
   * Upgrade in the same transaction as the earn that crosses the threshold (never down here:
   * downgrades belong to the scheduled evaluation).
   */
  private async upgradeTier(m: EntityManager, memberId: string, currentTierId: string) {
    return queryOne<{ fromTierId: string; toTierId: string }>(
      m,
      `WITH q AS (SELECT coalesce(sum(qualifying_points), 0) AS pts FROM ledger_transaction
                   WHERE member_id = $1 AND created_at > now() - ${QUALIFYING_WINDOW}),
            best AS (SELECT t.id, t.rank FROM tier t, q WHERE t.qualifying_points <= q.pts ORDER BY t.rank DESC LIMIT 1),
            cur AS (SELECT t.id, t.rank FROM tier t WHERE t.id = $2)
       UPDATE member mb SET tier_id = best.id FROM best, cur
        WHERE mb.id = $1 AND best.rank > cur.rank
       RETURNING cur.id AS "fromTierId", best.id AS "toTierId"`,
      [memberId, currentTierId],
    );
  }
}
