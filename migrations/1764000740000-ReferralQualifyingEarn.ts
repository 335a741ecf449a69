import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A referral bonus is earned by a purchase that counts, not by any earn: the referred member's
 * first earn of at least program_settings.referral_minimum_points points (an earn worth less
 * neither triggers it nor uses up "the first"). member_bonus remembers which earn gave a
 * REFERRAL bonus, so a refund of that very earn takes the bonuses back (before, the refund
 * looked for the member's first EARN by seq, which is no longer the one that counted).
 * Existing referral bonuses were all given by the referred member's first earn: backfilled so.
 */
export class ReferralQualifyingEarn1764000740000 implements MigrationInterface {
  name = 'ReferralQualifyingEarn1764000740000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE program_settings ADD COLUMN referral_minimum_points bigint NOT NULL DEFAULT 1
        CHECK (referral_minimum_points BETWEEN 1 AND 1000000);

      ALTER TABLE member_bonus ADD COLUMN earn_transaction_id uuid REFERENCES ledger_transaction(id);
      UPDATE member_bonus b SET earn_transaction_id = (
               SELECT t.id FROM ledger_transaction t WHERE t.member_id = b.period::uuid AND t.type = 'EARN' ORDER BY t.seq LIMIT 1)
       WHERE b.kind = 'REFERRAL';
      ALTER TABLE member_bonus ADD CONSTRAINT member_bonus_referral_earn CHECK ((kind = 'REFERRAL') = (earn_transaction_id IS NOT NULL));
      -- Every refund of an earn looks here for the referral bonuses that earn gave.
      CREATE INDEX member_bonus_earn ON member_bonus (earn_transaction_id) WHERE earn_transaction_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX member_bonus_earn;
      ALTER TABLE member_bonus DROP CONSTRAINT member_bonus_referral_earn, DROP COLUMN earn_transaction_id;
      ALTER TABLE program_settings DROP COLUMN referral_minimum_points;
    `);
  }
}
