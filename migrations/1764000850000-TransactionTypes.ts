import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The kinds of points movement become rows of a small table instead of a CHECK list: each feature
 * that adds a movement (payments with points, adjustments, transfers, merges, imports, erasure)
 * adds its row in its own migration, and no two migrations rewrite the same list.
 */
export class TransactionTypes1764000850000 implements MigrationInterface {
  name = 'TransactionTypes1764000850000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_transaction_type (name text PRIMARY KEY);
      INSERT INTO ledger_transaction_type (name) VALUES ('EARN'), ('REDEEM'), ('REVERSAL'), ('ADJUSTMENT'), ('EXPIRY'), ('BONUS');
      ALTER TABLE ledger_transaction DROP CONSTRAINT ledger_transaction_type_check;
      ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_transaction_type_fkey FOREIGN KEY (type) REFERENCES ledger_transaction_type (name);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ledger_transaction DROP CONSTRAINT ledger_transaction_type_fkey;
      ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_transaction_type_check
        CHECK (type IN ('EARN', 'REDEEM', 'REVERSAL', 'ADJUSTMENT', 'EXPIRY', 'BONUS'));
      DROP TABLE ledger_transaction_type;
    `);
  }
}
