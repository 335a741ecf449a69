import { MigrationInterface, QueryRunner } from 'typeorm';
import { BACKFILL } from '../src/modules/settlement/settlement-rollup';

/**
 * Settlement from maintained aggregates (issue 19): a period's whole UTC days are read from
 * per-partner per-day lines and per-day issuer → redeemer flows instead of the period's
 * transactions, their entries and lot consumptions; only the partial days at a period's edges
 * are read from the ledger. Kept by an incremental rollup (src/modules/settlement/settlement-rollup.ts)
 * keyed by ledger_transaction.xid (migrations/1764001010000-InsightAggregates.ts), with its own
 * state row. Values are exact (numeric); a period rounds once when it is answered.
 *
 * The backfill is the rollup's own statement over every existing transaction, so the aggregates
 * start exactly as the raw rows say; it records the snapshot it read, and the next run takes
 * what was committed after it.
 */
export class SettlementAggregates1764003000000 implements MigrationInterface {
  name = 'SettlementAggregates1764003000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE settlement_rollup (
        id        boolean PRIMARY KEY DEFAULT true CHECK (id),
        seen      pg_snapshot,
        rolled_at timestamptz
      );
      INSERT INTO settlement_rollup DEFAULT VALUES;

      -- Per UTC day (of the transaction; a reversal's own day) and partner, as settlement counts them.
      CREATE TABLE settlement_partner_day (
        day            date NOT NULL,
        partner_id     uuid NOT NULL REFERENCES partner(id),
        issued         bigint NOT NULL,
        issued_value   numeric NOT NULL,
        redeemed       bigint NOT NULL,
        redeemed_value numeric NOT NULL,
        expired        bigint NOT NULL,
        expired_value  numeric NOT NULL,
        PRIMARY KEY (day, partner_id)
      );

      -- Points issued at issuer_id (NULL: a lot of no partner) and honoured at redeemer_id, per UTC day.
      CREATE TABLE settlement_flow_day (
        day         date NOT NULL,
        issuer_id   uuid REFERENCES partner(id),
        redeemer_id uuid NOT NULL REFERENCES partner(id),
        points      bigint NOT NULL,
        value       numeric NOT NULL,
        CONSTRAINT settlement_flow_day_key UNIQUE NULLS NOT DISTINCT (day, issuer_id, redeemer_id)
      );
    `);
    await q.query(BACKFILL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE settlement_flow_day, settlement_partner_day, settlement_rollup`);
  }
}
