// Punch cards ride on the earn: each qualifying purchase at a partner with an active card adds a
// punch, in the earn's transaction (punch-card.service.ts).
import type { EarnPlugin } from '../earning/earn-plugin';
import { PunchCardService } from './punch-card.service';

export const punchCardEarnPlugin: EarnPlugin = {
  name: 'punchCards',
  // Saves the punch upsert at partners that run no card.
  partnerSql: `EXISTS (SELECT 1 FROM punch_card c WHERE c.active AND c.partner_id = p.id)`,
  async afterEarn(m, earn, data) {
    if (data.partner) await PunchCardService.punch(m, earn);
  },
};
