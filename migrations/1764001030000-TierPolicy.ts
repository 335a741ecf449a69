import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tiers an operator can change (issue 18): the downgrade policy the evaluation job applies —
 * ROLLING_12_MONTHS (qualifying points of the last 12 months, as before), CALENDAR_YEAR (the better
 * of this and last calendar year) or NEVER — and whether a member falls one tier at a time.
 */
export class TierPolicy1764001030000 implements MigrationInterface {
  name = 'TierPolicy1764001030000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE program_settings
        ADD COLUMN tier_downgrade_policy text NOT NULL DEFAULT 'ROLLING_12_MONTHS'
          CHECK (tier_downgrade_policy IN ('ROLLING_12_MONTHS', 'CALENDAR_YEAR', 'NEVER')),
        ADD COLUMN tier_downgrade_one_step boolean NOT NULL DEFAULT false;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE program_settings DROP COLUMN tier_downgrade_one_step, DROP COLUMN tier_downgrade_policy;`);
  }
}
