// Bonuses (birthday, referral, challenge): a BONUS posting like any other — wallet +n, the
// issuer's issuance account −n, a lot of the issuer (expiring like any lot), a breakdown naming
// its source — recorded at the issuer with its rate in force, so settlement counts it on the
// issuer's line (the coalition's for program bonuses). Bonuses are immediately available — except a
// referral bonus given by a purchase still inside its return window, which stays pending with it
// (same pending_until, released by the same job, see pending.ts) — count towards lifetimeEarned
// but not towards tier status (qualifying points are bought, not given). The caller holds the
// member's wallet lock.
import type { Tx } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import { Funder, PointsSource } from '../earning/earning.types';
import { Posting, post, postMany } from '../ledger/journal';
import { TransactionType } from '../ledger/points-transaction.entity';
import type { Wallet } from '../ledger/wallet';
import { assertPointsWithinTransactionLimit } from '../ledger/transaction-limit';
import type { CoalitionIssuer } from '../partner/coalition';

export interface Bonus {
  source: PointsSource;
  points: number;
  ruleId?: string | null;
  reason: string;
  funder?: Funder;
  /**
   * Held as pending this many days (the purchase that gave it is still returnable; posted in that
   * purchase's transaction, so its lot's pending_until is the purchase's own). 0: available now.
   */
  pendingDays?: number;
}

/** `issuer`: the coalition for program bonuses; a partner for its own challenge's bonus. */
export async function creditBonus(m: Tx, issuer: CoalitionIssuer, wallet: Wallet, bonus: Bonus): Promise<string> {
  return (await creditBonuses(m, [{ issuer, wallet, bonus }]))[0]!;
}

/** Many bonuses in one transaction (the birthday job's batch): one read of the rates, one posting statement. */
export async function creditBonuses(m: Tx, gifts: readonly { issuer: CoalitionIssuer; wallet: Wallet; bonus: Bonus }[]): Promise<string[]> {
  if (gifts.length === 0) return [];
  for (const g of gifts) assertPointsWithinTransactionLimit(g.bonus.points, 'bonusPoints', 'this bonus');
  const issuers = [...new Set(gifts.map((g) => g.issuer.partnerId))];
  const settings = await query<{ partnerId: string; rateId: string | null; expireAfterMonths: number | null }>(
    m,
    `SELECT i.id AS "partnerId",
            (SELECT id FROM exchange_rate WHERE partner_id = i.id AND effective_from <= now() ORDER BY effective_from DESC, version DESC LIMIT 1) AS "rateId",
            s.points_expire_after_months AS "expireAfterMonths"
       FROM unnest($1::uuid[]) AS i(id), program_settings s`,
    [issuers],
  );
  const of = new Map(settings.map((r) => [r.partnerId, r]));
  const postings: Posting[] = gifts.map(({ issuer, wallet, bonus }) => {
    const found = of.get(issuer.partnerId);
    if (!found?.rateId) throw new Error(`bonus issuer ${issuer.partnerId} has no exchange rate in force`);
    return {
      type: TransactionType.BONUS,
      wallet,
      partnerId: issuer.partnerId,
      points: bonus.points,
      counter: [{ accountId: issuer.issuanceAccountId, amount: -bonus.points }],
      lifetimeDelta: bonus.points,
      pendingDelta: bonus.pendingDays ? bonus.points : 0,
      issue: {
        lots: [{ partnerId: issuer.partnerId, points: bonus.points }],
        expireAfterMonths: found.expireAfterMonths,
        pendingDays: bonus.pendingDays ?? 0,
      },
      exchangeRateId: found.rateId,
      reason: bonus.reason,
      breakdown: [{ source: bonus.source, ruleId: bonus.ruleId ?? null, points: bonus.points, funder: bonus.funder ?? Funder.COALITION }],
    };
  });
  return (await postMany(m, postings)).map((t) => t.id);
}

/**
 * Take a bonus back: a REVERSAL of it (wallet −n, the issuer's issuance +n). A bonus still
 * pending is cancelled from its own lot's pending points, the spendable balance untouched (as a
 * refund inside the return window); otherwise it comes from the bonus's own lot first, then
 * oldest-expiry first, and the wallet may go negative if it was spent.
 */
export async function clawBackBonus(m: Tx, bonusId: string, wallet: Wallet, reason: string): Promise<string> {
  const bonus = (await queryOne<{
    partnerId: string;
    points: number;
    rateId: string;
    breakdown: { source: string }[];
    issuanceAccountId: string;
    pending: number;
  }>(
    m,
    `SELECT t.partner_id AS "partnerId", t.points, t.exchange_rate_id AS "rateId", t.breakdown, a.id AS "issuanceAccountId",
            (SELECT coalesce(sum(pending), 0) FROM points_lot WHERE earn_transaction_id = t.id)::bigint AS pending
       FROM ledger_transaction t JOIN account a ON a.partner_id = t.partner_id AND a.kind = 'PARTNER_ISSUANCE' WHERE t.id = $1`,
    [bonusId],
  ))!;
  const n = bonus.points;
  const tx = await post(m, {
    type: TransactionType.REVERSAL,
    wallet,
    partnerId: bonus.partnerId,
    points: -n,
    counter: [{ accountId: bonus.issuanceAccountId, amount: n }],
    lifetimeDelta: -n,
    // A bonus lot is released whole (pending.ts): either all of it is still pending or none.
    ...(bonus.pending > 0
      ? { pendingDelta: -n, use: { kind: 'cancelPending' as const, earnId: bonusId, shares: [{ partnerId: bonus.partnerId, points: n }] } }
      : { use: { kind: 'consume' as const, preferEarnId: bonusId } }),
    exchangeRateId: bonus.rateId,
    reversesId: bonusId,
    reason,
    breakdown: [{ source: bonus.breakdown[0]?.source ?? PointsSource.REVERSAL, ruleId: null, points: -n, funder: Funder.COALITION }],
  });
  return tx.id;
}

export type BonusKind = 'BIRTHDAY' | 'REFERRAL';

/** Under the member's wallet lock: has this once-only bonus been given? */
export async function bonusGiven(m: Tx, memberId: string, kind: BonusKind, period: string): Promise<boolean> {
  return (await query(m, `SELECT 1 FROM member_bonus WHERE member_id = $1 AND kind = $2 AND period = $3`, [memberId, kind, period])).length > 0;
}

/** Once-only bonuses already given, of these (member, period) pairs of one kind, as "member period". */
export async function bonusesGiven(m: Tx, kind: BonusKind, pairs: readonly { memberId: string; period: string }[]): Promise<Set<string>> {
  const rows = await query<{ memberId: string; period: string }>(
    m,
    `SELECT b.member_id AS "memberId", b.period FROM member_bonus b JOIN unnest($2::uuid[], $3::text[]) AS p(member_id, period)
        ON b.member_id = p.member_id AND b.period = p.period WHERE b.kind = $1`,
    [kind, pairs.map((p) => p.memberId), pairs.map((p) => p.period)],
  );
  return new Set(rows.map((r) => `${r.memberId} ${r.period}`));
}

/** recordBonus for many at once, one statement. */
export async function recordBonuses(m: Tx, kind: BonusKind, bonuses: readonly { memberId: string; period: string; transactionId: string }[]): Promise<void> {
  if (bonuses.length === 0) return;
  await query(
    m,
    `INSERT INTO member_bonus (member_id, kind, period, transaction_id) SELECT member_id, $1, period, tx FROM unnest($2::uuid[], $3::text[], $4::uuid[]) AS b(member_id, period, tx)`,
    [kind, bonuses.map((b) => b.memberId), bonuses.map((b) => b.period), bonuses.map((b) => b.transactionId)],
  );
}

/**
 * Record a once-only bonus; the primary key backs up the check above (a duplicate rolls back).
 * `earnId`: the purchase that gave it (a referral bonus), whose refund takes it back.
 */
export async function recordBonus(
  m: Tx,
  memberId: string,
  kind: BonusKind,
  period: string,
  transactionId: string,
  earnId: string | null = null,
): Promise<void> {
  await query(m, `INSERT INTO member_bonus (member_id, kind, period, transaction_id, earn_transaction_id) VALUES ($1, $2, $3, $4, $5)`, [
    memberId,
    kind,
    period,
    transactionId,
    earnId,
  ]);
}
