import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rewards (each partner's catalog), redemptions, and lot consumption: which lot every redeemed
 * or clawed-back point came from, so settlement knows who issued what was honoured where, and a
 * cancelled redemption can put points back into the very lots they left (with their expiry).
 */
export class CatalogRedemption1764000100000 implements MigrationInterface {
  name = 'CatalogRedemption1764000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reward (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        partner_id   uuid NOT NULL REFERENCES partner(id),
        name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
        description  text CHECK (length(description) <= 2000),
        category     text CHECK (length(category) BETWEEN 1 AND 64),
        points_cost  bigint NOT NULL CHECK (points_cost > 0),
        -- NULL: unlimited. The only shared row a redemption may lock, and only when limited.
        stock        bigint CHECK (stock >= 0),
        min_tier_id  uuid REFERENCES tier(id),
        active       boolean NOT NULL DEFAULT true,
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX reward_partner ON reward (partner_id, seq);
      CREATE INDEX reward_catalog ON reward (seq) WHERE active;

      CREATE TABLE redemption (
        id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq                       bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        member_id                 uuid NOT NULL REFERENCES member(id),
        reward_id                 uuid NOT NULL REFERENCES reward(id),
        partner_id                uuid NOT NULL REFERENCES partner(id),
        quantity                  int NOT NULL CHECK (quantity > 0),
        points_spent              bigint NOT NULL CHECK (points_spent >= 0),
        code                      text NOT NULL UNIQUE,
        transaction_id            uuid NOT NULL UNIQUE REFERENCES ledger_transaction(id),
        status                    text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'CANCELLED')),
        cancelled_by_transaction  uuid REFERENCES ledger_transaction(id),
        created_at                timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX redemption_member ON redemption (member_id, seq DESC);

      -- points > 0: taken from the lot by that transaction; < 0: given back to it.
      CREATE TABLE lot_consumption (
        id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transaction_id uuid NOT NULL REFERENCES ledger_transaction(id),
        lot_id         uuid NOT NULL REFERENCES points_lot(id),
        points         bigint NOT NULL CHECK (points <> 0)
      );
      CREATE INDEX lot_consumption_transaction ON lot_consumption (transaction_id);
      CREATE INDEX lot_consumption_lot ON lot_consumption (lot_id);

      CREATE INDEX ledger_transaction_reverses ON ledger_transaction (reverses_id) WHERE reverses_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX ledger_transaction_reverses;
      DROP TABLE lot_consumption, redemption, reward;
    `);
  }
}
