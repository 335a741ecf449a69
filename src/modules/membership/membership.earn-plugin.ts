// A paid membership multiplies what its member earns (a coalition-funded MEMBERSHIP component
// of the calculation): the earn reads the live membership with the wallet lock.
import type { EarnPlugin } from '../earning/earn-plugin';
import { membershipForEarn } from './membership.service';

export const membershipEarnPlugin: EarnPlugin = {
  name: 'membership',
  memberSql: `SELECT row_to_json(x) FROM (${membershipForEarn('a.member_id')}) x`,
  shape(input, data) {
    input.membership = (data.member as { planId: string; multiplier: string } | null) ?? null;
  },
};
