// Referrals. Every member has a referralCode (generated at enrolment: 15 hex digits from
// gen_random_uuid, so 60 random bits — short enough to type, not guessable); enrolling with one
// links the new member to its referrer. The referred member's first purchase that counts — its
// first earn of at least program_settings.referral_minimum_points points; smaller earns neither
// give the bonus nor use up "the first", so a purchase worth nothing never mints points — gives
// both program_settings.referral_bonus_points, coalition-funded (source REFERRAL), once:
// member_bonus (member, REFERRAL, referred member id, the earn), inside that earn's transaction.
// A member can never refer itself (its code does not exist before it does; a CHECK backs that).
//
// The bonuses are only as final as the purchase: bought inside a return window, they stay
// pending with it (same pending_until) and the release job makes them available together. A
// refund of that earn that leaves it worth less than the minimum (a full refund always does)
// takes both back — from pending while pending, from the balance once released — until
// REFERRAL_CLAWBACK_DAYS after the return window (the partner's pendingDays, 0 if none) ended.
//
// Lock order: the referred member's wallet (held by the earn or the refund), then the
// referrer's. A referrer always enrolled before whoever it referred, so these waits only ever
// run from newer to older members and cannot form a cycle.
import type { Tx } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import { PointsSource } from '../earning/earning.types';
import { lockWallet } from '../ledger/wallet';
import { MemberStatus } from '../member/member.entity';
import type { CoalitionIssuer } from '../partner/coalition';
import { bonusGiven, clawBackBonus, creditBonus, recordBonus } from './bonus';

export const REFERRAL_CLAWBACK_DAYS = 30;

export interface ReferralDue {
  memberId: string;
  referrerId: string;
  /** program_settings.referral_bonus_points and referral_minimum_points, as the earn read them. */
  bonus: number;
  minimum: number;
  /** The earn just written, and its partner's return window (its lots' pending days). */
  earn: { id: string; points: number };
  pendingDays: number;
}

/**
 * Called by the earn, under the referred member's wallet lock, when no earlier earn of the
 * member counted (the earn's own read, repeated here under the lock).
 */
export async function grantReferralBonus(m: Tx, coalition: CoalitionIssuer, due: ReferralDue): Promise<void> {
  const { memberId, referrerId, bonus: points, minimum, earn, pendingDays } = due;
  if (points <= 0 || referrerId === memberId || earn.points < minimum) return;
  if (await bonusGiven(m, memberId, 'REFERRAL', memberId)) return;
  const state = await queryOne<{ earlier: boolean }>(
    m,
    `SELECT EXISTS (SELECT 1 FROM ledger_transaction
                     WHERE member_id = $1 AND type = 'EARN' AND points >= $2 AND id <> $3) AS earlier`,
    [memberId, minimum, earn.id],
  );
  if (state!.earlier) return; // an earlier purchase already counted
  // Pending exactly as long as the purchase's own points: posted in its transaction, the same
  // now() + return window (0: it has none).
  const wallet = await lockWallet(m, memberId, 'input.memberId');
  const own = await creditBonus(m, coalition, wallet, { source: PointsSource.REFERRAL, points, reason: 'referral: welcome bonus', pendingDays });
  await recordBonus(m, memberId, 'REFERRAL', memberId, own, earn.id);
  const referrerWallet = await lockWallet(m, referrerId, 'input.memberId');
  // A referrer whose points may not move (blocked, merged, erased) gets no bonus; the referred member keeps its own.
  if (referrerWallet.memberStatus !== MemberStatus.ACTIVE) return;
  const theirs = await creditBonus(m, coalition, referrerWallet, {
    source: PointsSource.REFERRAL,
    points,
    reason: 'referral: a referred member earned',
    pendingDays,
  });
  await recordBonus(m, referrerId, 'REFERRAL', memberId, theirs, earn.id);
}

/** Called by a refund of an earn, under the member's wallet lock, after the REVERSAL is written. */
export async function clawBackReferralBonus(
  m: Tx,
  earn: { id: string; memberId: string; partnerId: string | null; points: number; createdAt: Date },
): Promise<void> {
  const bonuses = await query<{ memberId: string; transactionId: string }>(
    m,
    `SELECT b.member_id AS "memberId", b.transaction_id AS "transactionId" FROM member_bonus b
      WHERE b.earn_transaction_id = $1 AND b.kind = 'REFERRAL'
        AND NOT EXISTS (SELECT 1 FROM ledger_transaction r WHERE r.reverses_id = b.transaction_id)
        AND $2::bigint + (SELECT coalesce(sum(points), 0) FROM ledger_transaction WHERE reverses_id = $1) < (SELECT referral_minimum_points FROM program_settings)
        AND now() <= $3::timestamptz + make_interval(days => coalesce((SELECT pending_days FROM partner WHERE id = $4), 0) + $5)
      ORDER BY b.member_id = $6::uuid DESC`,
    [earn.id, earn.points, earn.createdAt, earn.partnerId, REFERRAL_CLAWBACK_DAYS, earn.memberId],
  );
  for (const b of bonuses) {
    const wallet = await lockWallet(m, b.memberId, 'input.transactionId');
    await clawBackBonus(m, b.transactionId, wallet, 'referral bonus taken back: the purchase that gave it was refunded');
  }
}
