// Coalition-funded bonuses (birthday, referral, challenge): a BONUS ledger transaction like any
// other — wallet +n, the coalition's issuance account −n, a coalition lot (expiring like any lot),
// a breakdown naming its source — recorded at the coalition issuer with its rate in force, so
// settlement counts it on the coalition's line. Bonuses are immediately available, count towards
// lifetimeEarned but not towards tier status (qualifying points are bought, not given).
// The caller holds the member's wallet lock.
import { EntityManager } from 'typeorm';
import { query, queryOne } from '../../db/sql';
import { Funder, PointsSource } from '../earning/earning.types';
import { consumeLotsOldestFirst } from '../ledger/lots';
import { assertPointsWithinTransactionLimit } from '../ledger/transaction-limit';
import { LockedWallet, announceBalance } from '../ledger/wallet';
import type { CoalitionIssuer } from '../partner/coalition';

export interface Bonus {
  source: PointsSource;
  points: number;
  ruleId?: string | null;
  reason: string;
  funder?: Funder;
}

/** `issuer`: the coalition for program bonuses; a partner for its own challenge's bonus. */
export async function creditBonus(m: EntityManager, issuer: CoalitionIssuer, memberId: string, wallet: LockedWallet, bonus: Bonus): Promise<string> {
  const coalition = issuer;
  // Settings and challenges keep bonuses far below it (at most 1,000,000); this keeps it so.
  assertPointsWithinTransactionLimit(bonus.points, 'bonusPoints', 'this bonus');
  const balanceAfter = wallet.balance + bonus.points;
  // A wallet in debt (after a clawback) is paid first; only the surplus lands in the lot.
  const spendable = Math.min(bonus.points, Math.max(0, balanceAfter));
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
       INSERT INTO points_lot (member_id, partner_id, earn_transaction_id, points, remaining, earned_at, expires_at)
       SELECT $1, $2, tx.id, $3, $9, tx.created_at, tx.created_at + make_interval(months => s.points_expire_after_months)
         FROM tx, program_settings s),
     wallet AS (
       UPDATE account SET balance = $4, lifetime_earned = lifetime_earned + $3 WHERE id = $7)
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
    ],
  );
  // Nothing inserted: the issuer has no rate in force. Callers select only issuers that have one.
  if (!row) throw new Error(`bonus issuer ${coalition.partnerId} has no exchange rate in force`);
  wallet.balance = balanceAfter;
  await announceBalance(m, memberId, coalition.partnerId, row.id);
  return row.id;
}

/**
 * Take a bonus back: a REVERSAL of it (wallet −n, the coalition's issuance +n), from the bonus's
 * own lot first, then oldest-expiry first; the wallet may go negative if it was spent.
 */
export async function clawBackBonus(m: EntityManager, bonusId: string, wallet: LockedWallet, reason: string): Promise<string> {
  const bonus = (await queryOne<{ memberId: string; partnerId: string; points: number; rateId: string; breakdown: { source: string }[] }>(
    m,
    `SELECT member_id AS "memberId", partner_id AS "partnerId", points, exchange_rate_id AS "rateId", breakdown FROM ledger_transaction WHERE id = $1`,
    [bonusId],
  ))!;
  const n = bonus.points;
  const balanceAfter = wallet.balance - n;
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
       UPDATE account SET balance = $4, lifetime_earned = lifetime_earned - $3 WHERE id = $9)
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
    ],
  );
  // Lots hold max(0, balance): take only what the wallet held above zero.
  await consumeLotsOldestFirst(m, bonus.memberId, Math.max(0, wallet.balance) - Math.max(0, balanceAfter), row!.id, bonusId);
  wallet.balance = balanceAfter;
  await announceBalance(m, bonus.memberId, bonus.partnerId, row!.id);
  return row!.id;
}

export type BonusKind = 'BIRTHDAY' | 'REFERRAL';

/** Under the member's wallet lock: has this once-only bonus been given? */
export async function bonusGiven(m: EntityManager, memberId: string, kind: BonusKind, period: string): Promise<boolean> {
  return (await query(m, `SELECT 1 FROM member_bonus WHERE member_id = $1 AND kind = $2 AND period = $3`, [memberId, kind, period])).length > 0;
}

/** Record a once-only bonus; the primary key backs up the check above (a duplicate rolls back). */
export async function recordBonus(m: EntityManager, memberId: string, kind: BonusKind, period: string, transactionId: string): Promise<void> {
  await query(m, `INSERT INTO member_bonus (member_id, kind, period, transaction_id) VALUES ($1, $2, $3, $4)`, [memberId, kind, period, transactionId]);
}
