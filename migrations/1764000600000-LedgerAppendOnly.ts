import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger is append-only in the database too, not only by convention: corrections are new
 * REVERSAL transactions, so no code path updates or deletes a ledger_transaction, a ledger_entry
 * or a lot_consumption row (a cancelled redemption gives points back with negative
 * lot_consumption rows). These triggers refuse UPDATE, DELETE and TRUNCATE on the three tables,
 * whoever asks. What moves is kept elsewhere: account balances, points_lot.remaining/pending and
 * expires_at, redemption.status.
 */
export class LedgerAppendOnly1764000600000 implements MigrationInterface {
  name = 'LedgerAppendOnly1764000600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: correct it with a new reversing transaction', TG_TABLE_NAME;
      END $$;

      CREATE TRIGGER ledger_transaction_no_update BEFORE UPDATE OR DELETE ON ledger_transaction
        FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
      CREATE TRIGGER ledger_transaction_no_truncate BEFORE TRUNCATE ON ledger_transaction
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();

      CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE OR DELETE ON ledger_entry
        FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
      CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON ledger_entry
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();

      CREATE TRIGGER lot_consumption_no_update BEFORE UPDATE OR DELETE ON lot_consumption
        FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
      CREATE TRIGGER lot_consumption_no_truncate BEFORE TRUNCATE ON lot_consumption
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER lot_consumption_no_truncate ON lot_consumption;
      DROP TRIGGER lot_consumption_no_update ON lot_consumption;
      DROP TRIGGER ledger_entry_no_truncate ON ledger_entry;
      DROP TRIGGER ledger_entry_no_update ON ledger_entry;
      DROP TRIGGER ledger_transaction_no_truncate ON ledger_transaction;
      DROP TRIGGER ledger_transaction_no_update ON ledger_transaction;
      DROP FUNCTION ledger_is_append_only();
    `);
  }
}
