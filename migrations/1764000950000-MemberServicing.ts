import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Member servicing (issue 17): a member has a status (ACTIVE, BLOCKED, MERGED, ERASED); transfers
 * and merges move points between wallets through a coalition clearing account (each side is its
 * own ledger transaction, on its own member's history, and the clearing account nets to zero);
 * an erasure forfeits what is left to breakage. Lots moved to another wallet keep their issuer,
 * expiry and the transaction that issued them (so settlement values them exactly as before) and
 * name the lot they came from. Erased members leave only a keyed hash of their email, so the same
 * address is not enrolled again by accident.
 */
export class MemberServicing1764000950000 implements MigrationInterface {
  name = 'MemberServicing1764000950000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO ledger_transaction_type (name) VALUES ('TRANSFER'), ('MERGE'), ('ERASURE');

      ALTER TABLE account DROP CONSTRAINT account_kind_check;
      ALTER TABLE account ADD CONSTRAINT account_kind_check
        CHECK (kind IN ('MEMBER', 'PARTNER_ISSUANCE', 'COALITION_REDEMPTION', 'COALITION_BREAKAGE', 'COALITION_TRANSFER'));
      DROP INDEX account_coalition;
      CREATE UNIQUE INDEX account_coalition ON account (kind) WHERE kind IN ('COALITION_REDEMPTION', 'COALITION_BREAKAGE', 'COALITION_TRANSFER');
      INSERT INTO account (kind) VALUES ('COALITION_TRANSFER');

      ALTER TABLE member
        ADD COLUMN status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'BLOCKED', 'MERGED', 'ERASED')),
        ADD COLUMN status_reason text CHECK (length(status_reason) <= 500),
        ADD COLUMN status_changed_at timestamptz,
        ADD COLUMN merged_into uuid REFERENCES member(id),
        ADD CONSTRAINT member_merged_into CHECK ((status = 'MERGED') = (merged_into IS NOT NULL));

      ALTER TABLE points_lot ADD COLUMN moved_from_lot uuid REFERENCES points_lot(id);

      ALTER TABLE program_settings
        ADD COLUMN transfers_per_month int NOT NULL DEFAULT 2 CHECK (transfers_per_month BETWEEN 0 AND 1000),
        ADD COLUMN transfer_points_per_month bigint NOT NULL DEFAULT 5000 CHECK (transfer_points_per_month BETWEEN 0 AND 10000000),
        ADD COLUMN support_adjustment_limit bigint NOT NULL DEFAULT 10000 CHECK (support_adjustment_limit BETWEEN 0 AND 10000000);

      -- HMAC-SHA256 (ERASURE_HASH_SECRET) of an erased member's lower-cased email: no address, only
      -- whether one was erased.
      CREATE TABLE erased_member_email (
        email_hmac text PRIMARY KEY,
        erased_at  timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE erased_member_email;
      ALTER TABLE program_settings DROP COLUMN support_adjustment_limit, DROP COLUMN transfer_points_per_month, DROP COLUMN transfers_per_month;
      ALTER TABLE points_lot DROP COLUMN moved_from_lot;
      ALTER TABLE member DROP CONSTRAINT member_merged_into, DROP COLUMN merged_into, DROP COLUMN status_changed_at,
        DROP COLUMN status_reason, DROP COLUMN status;
      DROP INDEX account_coalition;
      CREATE UNIQUE INDEX account_coalition ON account (kind) WHERE kind IN ('COALITION_REDEMPTION', 'COALITION_BREAKAGE');
      DELETE FROM account WHERE kind = 'COALITION_TRANSFER';
      ALTER TABLE account DROP CONSTRAINT account_kind_check;
      ALTER TABLE account ADD CONSTRAINT account_kind_check
        CHECK (kind IN ('MEMBER', 'PARTNER_ISSUANCE', 'COALITION_REDEMPTION', 'COALITION_BREAKAGE'));
      DELETE FROM ledger_transaction_type WHERE name IN ('TRANSFER', 'MERGE', 'ERASURE');
    `);
  }
}
