import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Earning rules (campaigns, cashback, bonuses), punch cards, paid membership plans, and a
 * per-transaction breakdown of where its points came from.
 *
 * Coalition-funded points (coalition-wide rules, paid memberships) are issued by the coalition
 * itself, modelled as a partner row flagged is_coalition: it has an issuance account, lots and a
 * settlement line like any partner, but no catalog and no place in the partner list.
 */
export class EarningRules1764000300000 implements MigrationInterface {
  name = 'EarningRules1764000300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE partner ADD COLUMN is_coalition boolean NOT NULL DEFAULT false;
      CREATE UNIQUE INDEX partner_one_coalition ON partner (is_coalition) WHERE is_coalition;

      -- [{source, ruleId, points}], summing to points. Older earns were base points only.
      ALTER TABLE ledger_transaction ADD COLUMN breakdown jsonb NOT NULL DEFAULT '[]';
      UPDATE ledger_transaction SET breakdown = jsonb_build_array(jsonb_build_object('source', 'BASE', 'points', points)) WHERE type = 'EARN';

      CREATE TABLE earn_rule (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        partner_id   uuid REFERENCES partner(id),  -- NULL: coalition-wide, coalition-funded
        name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
        kind         text NOT NULL CHECK (kind IN ('MULTIPLIER', 'CASHBACK', 'BONUS')),
        active       boolean NOT NULL DEFAULT true,
        multiplier   numeric CHECK (multiplier > 1),
        percent      numeric CHECK (percent > 0 AND percent <= 100),
        bonus_points bigint CHECK (bonus_points > 0),
        max_points   bigint CHECK (max_points > 0),
        conditions   jsonb NOT NULL DEFAULT '{}',
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'MULTIPLIER') = (multiplier IS NOT NULL)),
        CHECK ((kind = 'CASHBACK') = (percent IS NOT NULL)),
        CHECK ((kind = 'BONUS') = (bonus_points IS NOT NULL))
      );
      CREATE INDEX earn_rule_partner ON earn_rule (partner_id) WHERE active;

      CREATE TABLE punch_card (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq              bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        partner_id       uuid NOT NULL REFERENCES partner(id),
        name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
        punches_required int NOT NULL CHECK (punches_required BETWEEN 1 AND 100),
        reward_id        uuid NOT NULL REFERENCES reward(id),
        min_spend        numeric NOT NULL DEFAULT 0 CHECK (min_spend >= 0),
        active           boolean NOT NULL DEFAULT true,
        created_at       timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX punch_card_partner ON punch_card (partner_id) WHERE active;

      CREATE TABLE punch_card_progress (
        member_id       uuid NOT NULL REFERENCES member(id),
        punch_card_id   uuid NOT NULL REFERENCES punch_card(id),
        punches         int NOT NULL DEFAULT 0,
        completed_count int NOT NULL DEFAULT 0,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (member_id, punch_card_id)
      );

      CREATE TABLE membership_plan (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
        price           numeric NOT NULL CHECK (price >= 0),
        currency_code   char(3) NOT NULL,
        period_months   int NOT NULL CHECK (period_months BETWEEN 1 AND 36),
        earn_multiplier numeric NOT NULL CHECK (earn_multiplier >= 1),
        active          boolean NOT NULL DEFAULT true,
        created_at      timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE membership (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        member_id            uuid NOT NULL REFERENCES member(id),
        plan_id              uuid NOT NULL REFERENCES membership_plan(id),
        partner_id           uuid REFERENCES partner(id),  -- who took the payment
        status               text NOT NULL CHECK (status IN ('ACTIVE', 'CANCELLED')),
        external_payment_ref text NOT NULL,
        started_at           timestamptz NOT NULL DEFAULT now(),
        current_period_end   timestamptz NOT NULL,
        cancelled_at         timestamptz
      );
      -- One live membership per member.
      CREATE UNIQUE INDEX membership_one_active ON membership (member_id) WHERE status = 'ACTIVE';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE membership, membership_plan, punch_card_progress, punch_card, earn_rule;
      ALTER TABLE ledger_transaction DROP COLUMN breakdown;
      DROP INDEX partner_one_coalition;
      ALTER TABLE partner DROP COLUMN is_coalition;
    `);
  }
}
