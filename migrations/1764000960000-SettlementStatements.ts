import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Closed settlement periods: the settlement and the issuer → redeemer matrix of [from, to),
 * computed once at closing and kept as they were (a later reversal falls in the period in which
 * it is made, never in a closed one). Periods never overlap (the exclusion constraint holds it
 * even against two closings racing); a statement is never updated or deleted (the trigger).
 * Also the MIGRATION transaction type: opening balances a joining partner brings (imports).
 */
export class SettlementStatements1764000960000 implements MigrationInterface {
  name = 'SettlementStatements1764000960000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO ledger_transaction_type (name) VALUES ('MIGRATION');

      CREATE TABLE settlement_statement (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        period_from timestamptz NOT NULL,
        period_to   timestamptz NOT NULL CHECK (period_to > period_from),
        closed_at   timestamptz NOT NULL DEFAULT now(),
        -- Every partner's SettlementLine and every SettlementFlow, as computed at closing.
        lines       jsonb NOT NULL,
        flows       jsonb NOT NULL,
        CONSTRAINT settlement_statement_no_overlap EXCLUDE USING gist (tstzrange(period_from, period_to, '[)') WITH &&)
      );

      CREATE FUNCTION settlement_statement_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'settlement_statement is immutable: a closed period never changes' USING ERRCODE = 'restrict_violation';
      END $$;
      CREATE TRIGGER settlement_statement_immutable BEFORE UPDATE OR DELETE ON settlement_statement
        FOR EACH ROW EXECUTE FUNCTION settlement_statement_immutable();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE settlement_statement;
      DROP FUNCTION settlement_statement_immutable();
      DELETE FROM ledger_transaction_type WHERE name = 'MIGRATION';
    `);
  }
}
