import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A point's lifecycle: expiry per lot, pending points (a partner's return window), and the
 * program settings that drive them and the birthday / referral bonuses.
 *
 * Pending points are issued (the EARN's entries credit the wallet) but held out of the spendable
 * balance: account.pending and points_lot.pending carry them until the release job moves them
 * into account.balance and points_lot.remaining. So for a member wallet:
 *   sum(entries) = balance + pending,  sum(lot.remaining) = max(0, balance),  sum(lot.pending) = pending.
 */
export class PointsLifecycle1764000500000 implements MigrationInterface {
  name = 'PointsLifecycle1764000500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- One row: the program's own settings, edited by admins.
      CREATE TABLE program_settings (
        id                          boolean PRIMARY KEY DEFAULT true CHECK (id),
        points_expire_after_months  int CHECK (points_expire_after_months BETWEEN 1 AND 120), -- NULL: points never expire
        extend_expiry_on_activity   boolean NOT NULL DEFAULT false,
        birthday_bonus_points       bigint NOT NULL DEFAULT 0 CHECK (birthday_bonus_points >= 0),
        referral_bonus_points       bigint NOT NULL DEFAULT 0 CHECK (referral_bonus_points >= 0),
        updated_at                  timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO program_settings DEFAULT VALUES;

      -- A partner's return window: points earned there stay pending this many days.
      ALTER TABLE partner ADD COLUMN pending_days int NOT NULL DEFAULT 0 CHECK (pending_days BETWEEN 0 AND 365);
      -- A partner's own birthday reward (partner-funded) for its customers; 0: none.
      ALTER TABLE partner ADD COLUMN birthday_bonus_points bigint NOT NULL DEFAULT 0 CHECK (birthday_bonus_points BETWEEN 0 AND 1000000);

      ALTER TABLE account ADD COLUMN pending bigint;
      UPDATE account SET pending = 0 WHERE kind = 'MEMBER';
      ALTER TABLE account ADD CONSTRAINT account_member_pending CHECK ((kind = 'MEMBER') = (pending IS NOT NULL));

      ALTER TABLE points_lot ADD COLUMN pending bigint NOT NULL DEFAULT 0 CHECK (pending >= 0),
                             ADD COLUMN pending_until timestamptz,
                             ADD CONSTRAINT points_lot_within CHECK (remaining + pending <= points);
      CREATE INDEX points_lot_pending ON points_lot (pending_until) WHERE pending > 0;
      CREATE INDEX points_lot_expiring ON points_lot (expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;

      -- Short, unguessable (60 random bits from gen_random_uuid's CSPRNG), unique.
      ALTER TABLE member ADD COLUMN referral_code text NOT NULL
                           DEFAULT upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 15)),
                         ADD COLUMN referred_by uuid REFERENCES member(id),
                         ADD CONSTRAINT member_not_self_referred CHECK (referred_by <> id);
      CREATE UNIQUE INDEX member_referral_code ON member (referral_code);

      -- Once-only bonuses: birthday (period = the year), referral (period = the referred member).
      CREATE TABLE member_bonus (
        member_id      uuid NOT NULL REFERENCES member(id),
        kind           text NOT NULL CHECK (kind IN ('BIRTHDAY', 'REFERRAL')),
        period         text NOT NULL,
        transaction_id uuid NOT NULL REFERENCES ledger_transaction(id),
        created_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (member_id, kind, period)
      );
      -- A referral's two bonuses, found from the referred member when its first earn is refunded.
      CREATE INDEX member_bonus_period ON member_bonus (kind, period);

      -- Challenges: coalition-wide (partner_id NULL, coalition-funded) or a partner's own (counting
      -- only its purchases, funded by it). Windows: fixed periods of window_days from created_at,
      -- or the one window [starts_at, ends_at).
      CREATE TABLE challenge (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        partner_id    uuid REFERENCES partner(id),
        name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
        kind          text NOT NULL CHECK (kind IN ('DISTINCT_PARTNERS', 'EARN_COUNT', 'SPEND_TOTAL')),
        target        numeric NOT NULL CHECK (target > 0),
        currency_code char(3),  -- SPEND_TOTAL: purchases in this currency count
        window_days   int CHECK (window_days BETWEEN 1 AND 366),
        starts_at     timestamptz,
        ends_at       timestamptz,
        bonus_points  bigint NOT NULL CHECK (bonus_points >= 0),
        badge_name    text NOT NULL CHECK (length(badge_name) BETWEEN 1 AND 100),
        active        boolean NOT NULL DEFAULT true,
        created_at    timestamptz NOT NULL DEFAULT now(),
        CHECK ((window_days IS NULL) = (starts_at IS NOT NULL AND ends_at IS NOT NULL AND ends_at > starts_at)),
        CHECK ((kind = 'SPEND_TOTAL') = (currency_code IS NOT NULL))
      );
      CREATE INDEX challenge_partner ON challenge (partner_id) WHERE active;

      -- One row per member, challenge and window; kind and target copied so the earn's single
      -- upsert can complete it without another read.
      CREATE TABLE challenge_progress (
        member_id      uuid NOT NULL REFERENCES member(id),
        challenge_id   uuid NOT NULL REFERENCES challenge(id),
        window_start   timestamptz NOT NULL,
        kind           text NOT NULL,
        target         numeric NOT NULL,
        progress       numeric NOT NULL,
        partners       uuid[] NOT NULL DEFAULT '{}',
        completed_at   timestamptz,
        updated_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (member_id, challenge_id, window_start)
      );

      -- A badge per completed challenge window: the primary key makes it once per member and window.
      CREATE TABLE badge (
        member_id      uuid NOT NULL REFERENCES member(id),
        challenge_id   uuid NOT NULL REFERENCES challenge(id),
        window_start   timestamptz NOT NULL,
        name           text NOT NULL,
        transaction_id uuid REFERENCES ledger_transaction(id),
        awarded_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (member_id, challenge_id, window_start)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE badge, challenge_progress, challenge, member_bonus, program_settings;
      ALTER TABLE member DROP COLUMN referred_by, DROP COLUMN referral_code;
      ALTER TABLE points_lot DROP CONSTRAINT points_lot_within, DROP COLUMN pending_until, DROP COLUMN pending;
      ALTER TABLE account DROP CONSTRAINT account_member_pending, DROP COLUMN pending;
      ALTER TABLE partner DROP COLUMN birthday_bonus_points, DROP COLUMN pending_days;
    `);
  }
}
