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
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE member_bonus, program_settings;
      ALTER TABLE member DROP COLUMN referred_by, DROP COLUMN referral_code;
      ALTER TABLE points_lot DROP CONSTRAINT points_lot_within, DROP COLUMN pending_until, DROP COLUMN pending;
      ALTER TABLE account DROP CONSTRAINT account_member_pending, DROP COLUMN pending;
      ALTER TABLE partner DROP COLUMN pending_days;
    `);
  }
}
