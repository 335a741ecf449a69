import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The partner's till. Redemption codes get a lifecycle (ACTIVE → FULFILLED | CANCELLED | EXPIRED):
 * a reward may be valid for a number of days, after which an unused code expires and its points go
 * back to the member. Paying with points is a new kind of points movement (PAYMENT, a row of
 * ledger_transaction_type) with a record of its own: the bill, the discount and the receipt, which
 * a partner uses once. The program caps the share of a bill points may pay and sets a minimum.
 */
export class TillAndPayments1764000910000 implements MigrationInterface {
  name = 'TillAndPayments1764000910000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO ledger_transaction_type (name) VALUES ('PAYMENT');

      -- NULL: a code never expires (every reward so far).
      ALTER TABLE reward ADD COLUMN valid_days int CHECK (valid_days BETWEEN 1 AND 3650);

      ALTER TABLE redemption DROP CONSTRAINT redemption_status_check;
      ALTER TABLE redemption ADD CONSTRAINT redemption_status_check CHECK (status IN ('ACTIVE', 'FULFILLED', 'CANCELLED', 'EXPIRED'));
      ALTER TABLE redemption ADD COLUMN fulfilled_at timestamptz,
                             ADD COLUMN expires_at timestamptz,
                             -- The transaction that gave the points of an expired code back.
                             ADD COLUMN expired_by_transaction uuid REFERENCES ledger_transaction(id),
                             ADD CONSTRAINT redemption_fulfilled CHECK ((status = 'FULFILLED') = (fulfilled_at IS NOT NULL));
      -- A till types the code as it can: it is looked up without its dashes (stored codes are upper case).
      CREATE UNIQUE INDEX redemption_code_typed ON redemption (replace(code, '-', ''));
      -- The expiry job's scan: only codes that can still expire.
      CREATE INDEX redemption_expiring ON redemption (expires_at) WHERE status = 'ACTIVE' AND expires_at IS NOT NULL;

      ALTER TABLE program_settings
        ADD COLUMN max_points_payment_share numeric NOT NULL DEFAULT 1 CHECK (max_points_payment_share > 0 AND max_points_payment_share <= 1),
        ADD COLUMN min_points_per_payment bigint NOT NULL DEFAULT 1 CHECK (min_points_per_payment BETWEEN 1 AND 10000000);

      CREATE TABLE points_payment (
        id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq                     bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        member_id               uuid NOT NULL REFERENCES member(id),
        partner_id              uuid NOT NULL REFERENCES partner(id),
        points                  bigint NOT NULL CHECK (points > 0),
        discount                numeric NOT NULL CHECK (discount > 0),
        bill_amount             numeric NOT NULL CHECK (bill_amount > 0 AND discount <= bill_amount),
        currency_code           char(3) NOT NULL,
        external_ref            text NOT NULL CHECK (length(external_ref) BETWEEN 1 AND 255),
        transaction_id          uuid NOT NULL UNIQUE REFERENCES ledger_transaction(id),
        reversed_by_transaction uuid REFERENCES ledger_transaction(id),
        created_at              timestamptz NOT NULL DEFAULT now(),
        -- A receipt is paid with points at most once per partner (earning on it is separate).
        UNIQUE (partner_id, external_ref)
      );
      CREATE INDEX points_payment_member ON points_payment (member_id, seq DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE points_payment;
      ALTER TABLE program_settings DROP COLUMN min_points_per_payment, DROP COLUMN max_points_payment_share;
      DROP INDEX redemption_expiring;
      DROP INDEX redemption_code_typed;
      ALTER TABLE redemption DROP CONSTRAINT redemption_fulfilled, DROP COLUMN expired_by_transaction, DROP COLUMN expires_at, DROP COLUMN fulfilled_at;
      UPDATE redemption SET status = 'CANCELLED' WHERE status = 'EXPIRED';
      UPDATE redemption SET status = 'ACTIVE' WHERE status = 'FULFILLED';
      ALTER TABLE redemption DROP CONSTRAINT redemption_status_check;
      ALTER TABLE redemption ADD CONSTRAINT redemption_status_check CHECK (status IN ('ACTIVE', 'CANCELLED'));
      ALTER TABLE reward DROP COLUMN valid_days;
      DELETE FROM ledger_transaction_type WHERE name = 'PAYMENT';
    `);
  }
}
