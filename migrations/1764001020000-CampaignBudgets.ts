import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Campaign budgets and per-member caps on earn rules (issue 18). budget_used is the one row a
 * budgeted rule's earns share: exactness needs it (concurrent earns never overspend, the CHECK
 * backs that up); a rule without a budget never touches it. Per-member use is counted per
 * member, rule and cap period, under the member's wallet lock.
 */
export class CampaignBudgets1764001020000 implements MigrationInterface {
  name = 'CampaignBudgets1764001020000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE earn_rule
        ADD COLUMN budget_points bigint CHECK (budget_points > 0),
        ADD COLUMN per_member_cap bigint CHECK (per_member_cap > 0),
        ADD COLUMN cap_period_days int CHECK (cap_period_days BETWEEN 1 AND 3660),
        ADD COLUMN budget_used bigint NOT NULL DEFAULT 0,
        ADD CONSTRAINT earn_rule_budget_not_overspent CHECK (budget_used >= 0 AND (budget_points IS NULL OR budget_used <= budget_points)),
        ADD CONSTRAINT earn_rule_cap_period CHECK (cap_period_days IS NULL OR per_member_cap IS NOT NULL);

      CREATE TABLE earn_rule_member_usage (
        rule_id      uuid NOT NULL REFERENCES earn_rule(id),
        member_id    uuid NOT NULL REFERENCES member(id),
        period_start timestamptz NOT NULL,
        points       bigint NOT NULL CHECK (points >= 0),
        PRIMARY KEY (member_id, rule_id, period_start)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE earn_rule_member_usage;
      ALTER TABLE earn_rule DROP COLUMN budget_used, DROP COLUMN cap_period_days, DROP COLUMN per_member_cap, DROP COLUMN budget_points;
    `);
  }
}
