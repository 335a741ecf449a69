import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger kernel's guarantees in the database:
 * - zero-sum: a deferred constraint trigger checks, at COMMIT, that the entries of every ledger
 *   transaction written sum to zero — whoever writes them, journal or raw SQL;
 * - qualifying points kept incrementally: one bucket per member and UTC day, added to by every
 *   posting that carries qualifying points (the journal), so tier status never re-sums a year
 *   of transactions. Filled here from the history written so far.
 */
export class LedgerKernel1764000800000 implements MigrationInterface {
  name = 'LedgerKernel1764000800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ledger_transaction_balances() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        total numeric;
      BEGIN
        SELECT sum(amount) INTO total FROM ledger_entry WHERE transaction_id = NEW.transaction_id;
        IF total <> 0 THEN
          RAISE EXCEPTION 'ledger transaction % does not balance: its entries sum to %', NEW.transaction_id, total
            USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$;

      CREATE CONSTRAINT TRIGGER ledger_entry_zero_sum AFTER INSERT ON ledger_entry
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balances();

      CREATE TABLE qualifying_points_day (
        member_id uuid   NOT NULL REFERENCES member(id),
        day       date   NOT NULL,
        points    bigint NOT NULL,
        PRIMARY KEY (member_id, day)
      );
      INSERT INTO qualifying_points_day (member_id, day, points)
      SELECT member_id, (created_at AT TIME ZONE 'UTC')::date, sum(qualifying_points)
        FROM ledger_transaction WHERE qualifying_points <> 0
       GROUP BY 1, 2;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE qualifying_points_day;
      DROP TRIGGER ledger_entry_zero_sum ON ledger_entry;
      DROP FUNCTION ledger_transaction_balances();
    `);
  }
}
