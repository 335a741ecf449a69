// Referrals. Every member has a referralCode (generated at enrolment: 15 hex digits from
// gen_random_uuid, so 60 random bits — short enough to type, not guessable); enrolling with one
// links the new member to its referrer. When the referred member's first earn commits — inside
// that earn's transaction — both get program_settings.referral_bonus_points, coalition-funded
// (source REFERRAL), once: member_bonus (member, REFERRAL, referred member id). A member can
// never refer itself (its code does not exist before it does; a CHECK backs that). A full refund
// of that first earn within the return window (the partner's pendingDays, or
// REFERRAL_CLAWBACK_DAYS when it has none) takes both bonuses back.
//
// Lock order: the referred member's wallet (held by the earn or the refund), then the
// referrer's. A referrer always enrolled before whoever it referred, so these waits only ever
// run from newer to older members and cannot form a cycle.
import { EntityManager } from 'typeorm';
import { query, queryOne } from '../../db/sql';
import { PointsSource } from '../earning/earning.types';
import { lockWallet } from '../ledger/wallet';
import type { CoalitionIssuer } from '../partner/coalition';
import { bonusGiven, clawBackBonus, creditBonus, recordBonus } from './bonus';

export const REFERRAL_CLAWBACK_DAYS = 30;

/** Called by the earn, under the referred member's wallet lock, when it may be its first earn. */
export async function grantReferralBonus(m: EntityManager, coalition: CoalitionIssuer, memberId: string, referrerId: string, points: number): Promise<void> {
  if (points <= 0 || referrerId === memberId) return;
  if (await bonusGiven(m, memberId, 'REFERRAL', memberId)) return;
  const earns = await queryOne<{ n: number }>(m, `SELECT count(*)::int AS n FROM ledger_transaction WHERE member_id = $1 AND type = 'EARN'`, [memberId]);
  if (earns!.n !== 1) return; // not the first earn
  const wallet = await lockWallet(m, memberId, 'input.memberId');
  const own = await creditBonus(m, coalition, memberId, wallet, { source: PointsSource.REFERRAL, points, reason: 'referral: welcome bonus' });
  await recordBonus(m, memberId, 'REFERRAL', memberId, own);
  const referrerWallet = await lockWallet(m, referrerId, 'input.memberId');
  const theirs = await creditBonus(m, coalition, referrerId, referrerWallet, { source: PointsSource.REFERRAL, points, reason: 'referral: a referred member earned' });
  await recordBonus(m, referrerId, 'REFERRAL', memberId, theirs);
}

/** Called by a refund of an earn, under the member's wallet lock, after the REVERSAL is written. */
export async function clawBackReferralBonus(m: EntityManager, earn: { id: string; memberId: string; partnerId: string | null; points: number; createdAt: Date }): Promise<void> {
  const bonuses = await query<{ memberId: string; transactionId: string }>(
    m,
    `SELECT b.member_id AS "memberId", b.transaction_id AS "transactionId" FROM member_bonus b
      WHERE b.kind = 'REFERRAL' AND b.period = $1::text
        AND NOT EXISTS (SELECT 1 FROM ledger_transaction r WHERE r.reverses_id = b.transaction_id)
        AND $2::uuid = (SELECT id FROM ledger_transaction WHERE member_id = $1::uuid AND type = 'EARN' ORDER BY seq LIMIT 1)
        AND (SELECT coalesce(-sum(points), 0) FROM ledger_transaction WHERE reverses_id = $2) >= $3
        AND now() <= $4::timestamptz + make_interval(days => (SELECT CASE WHEN pending_days > 0 THEN pending_days ELSE $5 END FROM partner WHERE id = $6))
      ORDER BY b.member_id = $1::uuid DESC`,
    [earn.memberId, earn.id, earn.points, earn.createdAt, REFERRAL_CLAWBACK_DAYS, earn.partnerId],
  );
  for (const b of bonuses) {
    const wallet = await lockWallet(m, b.memberId, 'input.transactionId');
    await clawBackBonus(m, b.transactionId, wallet, 'referral bonus taken back: the first purchase was refunded');
  }
}
