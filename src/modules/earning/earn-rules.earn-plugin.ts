// Earn rules (campaign multipliers, cashback, bonus points) shape the calculation: the batch
// reads the active rules of its partners, coalition-wide ones included, once. Budgets and
// per-member caps bound what a rule may give (rule-budget.ts).
import type { EarnPlugin } from './earn-plugin';
import { rulesForEarn } from './earn-rule.service';
import type { RuleForEarn } from './points-calculator';
import { limitRules } from './rule-budget';

export const earnRulesEarnPlugin: EarnPlugin = {
  name: 'rules',
  batchSql: `SELECT coalesce(json_agg(x ORDER BY x.seq), '[]') FROM (${rulesForEarn('= ANY($1::uuid[])')}) x`,
  shape(input, data, partnerId) {
    input.rules = ((data.batch as RuleForEarn[] | null) ?? []).filter((r) => r.partnerId === null || r.partnerId === partnerId);
  },
  limit(db, batch, memberIds, lock) {
    return limitRules(db, (batch as RuleForEarn[] | null) ?? [], memberIds, lock);
  },
};
