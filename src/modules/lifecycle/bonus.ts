// Coalition-funded bonuses (birthday, referral, challenge): a BONUS ledger transaction like any
// other — wallet +n, the coalition's issuance account −n, a coalition lot (expiring like any lot),
// a breakdown naming its source — recorded at the coalition issuer with its rate in force, so
// settlement counts it on the coalition's line. Bonuses are immediately available — except a
// referral bonus given by a purchase still inside its return window, which stays pending with
// it (`pendingUntil`: account.pending and the lot's pending, released by the same job, see
// pending.ts) — count towards lifetimeEarned but not towards tier status (qualifying points are
// bought, not given). The caller holds the member's wallet lock.
import { EntityManager } from 'typeorm';
import { query, queryOne } from '../../db/sql';
import { Funder, PointsSource } from '../earning/earning.types';
import { consumeLotsOldestFirst } from '../ledger/lots';
import { LockedWallet, announceBalance } from '../ledger/wallet';
import type { CoalitionIssuer } from '../partner/coalition';

export interface Bonus {
  source: PointsSource;
  points: number;
  ruleId?: string | null;
  reason: string;
  funder?: Funder;
  /**
   * Held as pending until then (the purchase that gave it is still returnable); null: available
   * at once. A timestamptz as PostgreSQL prints it: exact to the microsecond (a Date would round
   * to the millisecond), so it is released in the same run as the purchase's own lot.
   */
  pendingUntil?: string | null;
}

/** `issuer`: the coalition for program bonuses; a partner for its own challenge's bonus. */
export async function creditBonus(m: EntityManager, issuer: CoalitionIssuer, memberId: string, wallet: LockedWallet, bonus: Bonus): Promise<string> {
  const coalition = issuer;
  const pendingUntil = bonus.pendingUntil ?? null;
  const balanceAfter = pendingUntil ? wallet.balance : wallet.balance + bonus.points;
  // A wallet in debt (after a clawback) is paid first; only the surplus lands in the lot.
  const spendable = pendingUntil ? 0 : Math.min(bonus.points, Math.max(0, balanceAfter));
  const pending = pendingUntil ? bonus.points : 0;
  const row = await queryOne<{ id: string }>(
    m,
    `WITH rate AS (
       SELECT id FROM exchange_rate WHERE partner_id = $2 AND effective_from <= now() ORDER BY effective_from DESC, version DESC LIMIT 1),
     tx AS (
       INSERT INTO ledger_transaction (type, member_id, partner_id, points, balance_after, exchange_rate_id, reason, breakdown)
       SELECT 'BONUS', $1, $2, $3::bigint, $4, rate.id, $5, $6::jsonb FROM rate RETURNING id, created_at),
     entries AS (
       INSERT INTO ledger_entry (transaction_id, account_id, amount)
       SELECT tx.id, e.account_id, e.amount FROM tx, (VALUES ($7::uuid, $3::bigint), ($8::uuid, -$3::bigint)) AS e(account_id, amount)),
     lot AS (
       INSERT INTO points_lot (member_id, partner_id, earn_transaction_id, points, remaining, earned_at, expires_at, pending, pending_until)
       SELECT $1, $2, tx.id, $3, $9, tx.created_at, tx.created_at + make_interval(months => s.points_expire_after_months), $10::bigint, $11::timestamptz
         FROM tx, program_settings s),
     wallet AS (
       UPDATE account SET balance = $4, lifetime_earned = lifetime_earned + $3, pending = pending + $10 WHERE id = $7)
     SELECT id FROM tx`,
    [
      memberId,
      coalition.partnerId,
      bonus.points,
      balanceAfter,
      bonus.reason,
      JSON.stringify([{ source: bonus.source, ruleId: bonus.ruleId ?? null, points: bonus.points, funder: bonus.funder ?? Funder.COALITION }]),
      wallet.accountId,
      coalition.issuanceAccountId,
      spendable,
      pending,
      pendingUntil,
    ],
  );
  // Nothing inserted: the issuer has no rate in force. Callers select only issuers that have one.
  if (!row) throw new Error(`bonus issuer ${coalition.partnerId} has no exchange rate in force`);
  wallet.balance = balanceAfter;
  await announceBalance(m, memberId, coalition.partnerId, row.id);
  return row.id;
}

/**
 * Take a bonus back: a REVERSAL of it (wallet −n, the coalition's issuance +n). A bonus still
 * pending is cancelled from its own lot's pending points, the spendable balance untouched (as a
 * refund inside the return window); otherwise it comes from the bonus's own lot first, then
 * oldest-expiry first, and the wallet may go negative if it was spent.
 */
export async function clawBackBonus(m: EntityManager, bonusId: string, wallet: LockedWallet, reason: string): Promise<string> {
  const bonus = (await queryOne<{ memberId: string; partnerId: string; points: number; rateId: string; breakdown: { source: string }[]; pending: number }>(
    m,
    `SELECT member_id AS "memberId", partner_id AS "partnerId", points, exchange_rate_id AS "rateId", breakdown,
            (SELECT coalesce(sum(pending), 0) FROM points_lot WHERE earn_transaction_id = t.id)::bigint AS pending
       FROM ledger_transaction t WHERE id = $1`,
    [bonusId],
  ))!;
  const n = bonus.points;
  // A bonus lot is released whole (pending.ts): either all of it is still pending or none.
  const pending = bonus.pending > 0 ? n : 0;
  const balanceAfter = wallet.balance - (n - pending);
  const row = await queryOne<{ id: string }>(
    m,
    `WITH tx AS (
       INSERT INTO ledger_transaction (type, member_id, partner_id, points, balance_after, exchange_rate_id, reverses_id, reason, breakdown)
       VALUES ('REVERSAL', $1, $2, -$3::bigint, $4, $5, $6, $7, $8::jsonb) RETURNING id),
     entries AS (
       INSERT INTO ledger_entry (transaction_id, account_id, amount)
       SELECT tx.id, e.account_id, e.amount FROM tx,
              (VALUES ($9::uuid, -$3::bigint), ((SELECT id FROM account WHERE kind = 'PARTNER_ISSUANCE' AND partner_id = $2), $3::bigint)) AS e(account_id, amount)),
     wallet AS (
       UPDATE account SET balance = $4, lifetime_earned = lifetime_earned - $3, pending = pending - $10 WHERE id = $9),
     unpend AS (
       UPDATE points_lot SET pending = pending - $10::bigint WHERE $10::bigint > 0 AND earn_transaction_id = $6)
     SELECT id FROM tx`,
    [
      bonus.memberId,
      bonus.partnerId,
      n,
      balanceAfter,
      bonus.rateId,
      bonusId,
      reason,
      JSON.stringify([{ source: bonus.breakdown[0]?.source ?? PointsSource.REVERSAL, ruleId: null, points: -n, funder: Funder.COALITION }]),
      wallet.accountId,
      pending,
    ],
  );
  // Lots hold max(0, balance): take only what the wallet held above zero.
  if (pending === 0) await consumeLotsOldestFirst(m, bonus.memberId, Math.max(0, wallet.balance) - Math.max(0, balanceAfter), row!.id, bonusId);
  wallet.balance = balanceAfter;
  await announceBalance(m, bonus.memberId, bonus.partnerId, row!.id);
  return row!.id;
}

export type BonusKind = 'BIRTHDAY' | 'REFERRAL';

/** Under the member's wallet lock: has this once-only bonus been given? */
export async function bonusGiven(m: EntityManager, memberId: string, kind: BonusKind, period: string): Promise<boolean> {
  return (await query(m, `SELECT 1 FROM member_bonus WHERE member_id = $1 AND kind = $2 AND period = $3`, [memberId, kind, period])).length > 0;
}

/**
 * Record a once-only bonus; the primary key backs up the check above (a duplicate rolls back).
 * `earnId`: the purchase that gave it (a referral bonus), whose refund takes it back.
 */
export async function recordBonus(m: EntityManager, memberId: string, kind: BonusKind, period: string, transactionId: string, earnId: string | null = null): Promise<void> {
  await query(m, `INSERT INTO member_bonus (member_id, kind, period, transaction_id, earn_transaction_id) VALUES ($1, $2, $3, $4, $5)`, [
    memberId,
    kind,
    period,
    transactionId,
    earnId,
  ]);
}
