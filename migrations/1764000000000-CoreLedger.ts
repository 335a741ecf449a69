import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Partners, exchange-rate versions, API keys, tiers, members, the double-entry ledger with lots,
 * idempotency records and the event outbox.
 *
 * Points are bigint; money and rates are numeric (exact). Ledger rows are append-only: the only
 * UPDATEs the ledger ever makes are the member account's running balance and a lot's remaining
 * points. Counter-accounts (partner issuance, coalition) keep no running balance, so no earn
 * ever waits on a lock shared by many members.
 */
export class CoreLedger1764000000000 implements MigrationInterface {
  name = 'CoreLedger1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE partner (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        slug          text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
        name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
        currency_code char(3) NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
        status        text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED')),
        created_at    timestamptz NOT NULL DEFAULT now()
      );

      -- Versioned, effective-dated, never edited in place.
      CREATE TABLE exchange_rate (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        partner_id     uuid NOT NULL REFERENCES partner(id),
        version        int NOT NULL,
        earn_rate      numeric NOT NULL CHECK (earn_rate > 0),
        burn_rate      numeric NOT NULL CHECK (burn_rate > 0),
        effective_from timestamptz NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT now(),
        UNIQUE (partner_id, version)
      );
      CREATE INDEX exchange_rate_in_force ON exchange_rate (partner_id, effective_from DESC, version DESC);

      CREATE TABLE partner_api_key (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        partner_id uuid NOT NULL REFERENCES partner(id),
        prefix     text NOT NULL UNIQUE,
        key_hash   bytea NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      );

      CREATE TABLE tier (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name              text NOT NULL UNIQUE,
        rank              int NOT NULL UNIQUE CHECK (rank >= 0),
        qualifying_points bigint NOT NULL CHECK (qualifying_points >= 0),
        earn_multiplier   numeric NOT NULL CHECK (earn_multiplier > 0)
      );
      -- Every member needs a tier, so the program starts with a base tier at 0 points.
      INSERT INTO tier (name, rank, qualifying_points, earn_multiplier) VALUES
        ('Bronze', 0, 0, 1), ('Silver', 1, 5000, 1.25), ('Gold', 2, 20000, 1.5);

      CREATE TABLE member (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email                text NOT NULL,
        display_name         text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 255),
        birth_date           date,
        tier_id              uuid NOT NULL REFERENCES tier(id),
        enrolled_by_partner  uuid REFERENCES partner(id),
        enrolled_at          timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX member_email ON member (lower(email));

      -- kind MEMBER: one wallet per member, the only account with a running balance.
      -- kind PARTNER_ISSUANCE: one per partner, balance derived from entries (never updated).
      -- kind COALITION_REDEMPTION / COALITION_BREAKAGE: the coalition's own, likewise derived.
      CREATE TABLE account (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind            text NOT NULL CHECK (kind IN ('MEMBER', 'PARTNER_ISSUANCE', 'COALITION_REDEMPTION', 'COALITION_BREAKAGE')),
        member_id       uuid UNIQUE REFERENCES member(id),
        partner_id      uuid REFERENCES partner(id),
        balance         bigint,
        lifetime_earned bigint,
        CHECK ((kind = 'MEMBER') = (member_id IS NOT NULL)),
        CHECK ((kind = 'MEMBER') = (balance IS NOT NULL AND lifetime_earned IS NOT NULL)),
        CHECK ((kind = 'PARTNER_ISSUANCE') = (partner_id IS NOT NULL))
      );
      CREATE UNIQUE INDEX account_partner_issuance ON account (partner_id) WHERE kind = 'PARTNER_ISSUANCE';
      CREATE UNIQUE INDEX account_coalition ON account (kind) WHERE kind IN ('COALITION_REDEMPTION', 'COALITION_BREAKAGE');
      INSERT INTO account (kind) VALUES ('COALITION_REDEMPTION'), ('COALITION_BREAKAGE');

      -- One row per points movement; points is the signed change to the member's wallet.
      CREATE TABLE ledger_transaction (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        type              text NOT NULL CHECK (type IN ('EARN', 'REDEEM', 'REVERSAL', 'ADJUSTMENT', 'EXPIRY', 'BONUS')),
        member_id         uuid NOT NULL REFERENCES member(id),
        partner_id        uuid REFERENCES partner(id),
        points            bigint NOT NULL,
        balance_after     bigint NOT NULL,
        purchase_amount   numeric CHECK (purchase_amount > 0),
        purchase_currency char(3),
        channel           text CHECK (channel IN ('ONLINE', 'IN_STORE', 'APP')),
        external_ref      text,
        exchange_rate_id  uuid REFERENCES exchange_rate(id),
        tier_multiplier   numeric,
        reverses_id       uuid REFERENCES ledger_transaction(id),
        reason            text,
        -- What this movement adds to (or, reversed, takes from) the member's rolling tier count.
        qualifying_points bigint NOT NULL DEFAULT 0,
        created_at        timestamptz NOT NULL DEFAULT now(),
        CHECK ((purchase_amount IS NULL) = (purchase_currency IS NULL))
      );
      -- A purchase receipt is earned at most once per partner.
      CREATE UNIQUE INDEX ledger_transaction_receipt ON ledger_transaction (partner_id, external_ref) WHERE type = 'EARN';
      CREATE INDEX ledger_transaction_member ON ledger_transaction (member_id, seq DESC);
      CREATE INDEX ledger_transaction_member_partner ON ledger_transaction (member_id, partner_id, seq DESC);
      CREATE INDEX ledger_transaction_period ON ledger_transaction (created_at);
      CREATE INDEX ledger_transaction_qualifying ON ledger_transaction (member_id, created_at) INCLUDE (qualifying_points);

      CREATE TABLE ledger_entry (
        id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transaction_id uuid NOT NULL REFERENCES ledger_transaction(id),
        account_id     uuid NOT NULL REFERENCES account(id),
        amount         bigint NOT NULL
      );
      CREATE INDEX ledger_entry_transaction ON ledger_entry (transaction_id);
      -- Counter-account balances are indexed sums over this.
      CREATE INDEX ledger_entry_account ON ledger_entry (account_id) INCLUDE (amount);

      -- Points held by a member, by who issued them and when they expire.
      CREATE TABLE points_lot (
        id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        member_id           uuid NOT NULL REFERENCES member(id),
        partner_id          uuid REFERENCES partner(id),
        earn_transaction_id uuid NOT NULL REFERENCES ledger_transaction(id),
        points              bigint NOT NULL CHECK (points > 0),
        remaining           bigint NOT NULL CHECK (remaining >= 0 AND remaining <= points),
        earned_at           timestamptz NOT NULL DEFAULT now(),
        expires_at          timestamptz
      );
      CREATE INDEX points_lot_spendable ON points_lot (member_id, expires_at ASC NULLS LAST, earned_at ASC) WHERE remaining > 0;
      CREATE INDEX points_lot_earn ON points_lot (earn_transaction_id);

      -- Stripe-style idempotency, scoped to the caller ("admin", "partner:<id>", "member:<id>").
      CREATE TABLE idempotency_key (
        caller         text NOT NULL,
        key            text NOT NULL,
        operation      text NOT NULL,
        request_hash   text NOT NULL,
        result_id      uuid,
        created_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (caller, key)
      );

      -- Written in the same transaction as the change it announces; relayed after commit.
      CREATE TABLE outbox_event (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        topic      text NOT NULL,
        member_id  uuid,
        partner_id uuid,
        payload    jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX outbox_event_member ON outbox_event (member_id, id) WHERE member_id IS NOT NULL;

      -- Secrets every gateway instance on this database must share (e.g. the member-token key).
      CREATE TABLE app_secret (
        name       text PRIMARY KEY,
        value      text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE app_secret, outbox_event, idempotency_key, points_lot, ledger_entry,
        ledger_transaction, account, member, tier, partner_api_key, exchange_rate, partner;
    `);
  }
}
