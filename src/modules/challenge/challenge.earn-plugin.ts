// Challenges ride on the earn: progress on every active challenge the purchase counts for, and
// the bonus and badge of the ones it completes, in the earn's transaction (challenge.service.ts).
import type { EarnPlugin } from '../earning/earn-plugin';
import type { CoalitionIssuer } from '../partner/coalition';
import { trackChallenges } from './challenge.service';

export function challengeEarnPlugin(coalition: CoalitionIssuer): EarnPlugin {
  return {
    name: 'challenges',
    // Saves the progress upsert where no active challenge counts purchases.
    partnerSql: `EXISTS (SELECT 1 FROM challenge c WHERE c.active AND (c.partner_id IS NULL OR c.partner_id = p.id))`,
    async afterEarn(m, earn, data) {
      if (!data.partner) return;
      await trackChallenges(m, coalition, {
        memberId: earn.memberId,
        partnerId: earn.partnerId,
        partnerIssuanceAccountId: earn.partnerIssuanceAccountId,
        amount: earn.amount,
        currencyCode: earn.currencyCode,
      });
    },
  };
}
