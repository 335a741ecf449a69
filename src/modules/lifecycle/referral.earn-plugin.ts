// Referrals ride on the earn: a referred member's first earn gives both members the referral
// bonus (referral.ts), in the earn's transaction.
import type { EarnPlugin } from '../earning/earn-plugin';
import type { CoalitionIssuer } from '../partner/coalition';
import { grantReferralBonus } from './referral';

interface ReferralCandidate {
  referrerId: string;
  bonus: number;
  minimum: number;
}

export function referralEarnPlugin(coalition: CoalitionIssuer): EarnPlugin {
  return {
    name: 'referral',
    // Set only when no earlier earn of a referred member counted, with a bonus configured. A scalar
    // subquery, not NOT EXISTS: in a select list the planner may turn EXISTS into a hashed subplan
    // over every EARN in the ledger (seen: 80 ms a batch).
    memberSql: `CASE WHEN mb.referred_by IS NOT NULL THEN (
                  SELECT json_build_object('referrerId', mb.referred_by, 'bonus', s.referral_bonus_points, 'minimum', s.referral_minimum_points)
                    FROM program_settings s
                   WHERE s.referral_bonus_points > 0
                     AND (SELECT count(*) = 0 FROM (SELECT 1 FROM ledger_transaction e
                           WHERE e.member_id = mb.id AND e.type = 'EARN' AND e.points >= s.referral_minimum_points LIMIT 1) e)
                   LIMIT 1) END`,
    async afterEarn(m, earn, data) {
      const due = data.member as ReferralCandidate | null;
      if (!due) return;
      await grantReferralBonus(m, coalition, {
        memberId: earn.memberId,
        referrerId: due.referrerId,
        bonus: due.bonus,
        minimum: due.minimum,
        earn: earn.transaction,
        pendingDays: earn.pendingDays,
      });
    },
  };
}
