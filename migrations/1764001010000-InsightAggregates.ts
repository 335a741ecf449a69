import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Program insight (issue 18): daily aggregates the metrics are answered from, kept by an
 * incremental rollup (src/modules/insight/rollup.ts), never by scanning the ledger for a period.
 *
 * Every source row the rollup reads (ledger transactions, members, consents, survey responses)
 * records the id of the transaction that wrote it (xid, xid8). The rollup stores the snapshot it
 * last read; the next run takes exactly the rows visible now and not visible then — committed
 * since, whatever order their transactions committed in (a sequence number is not enough: a
 * lower one can commit after a higher one was read). Rows older than this migration have no xid
 * and are read by the first run. The column's default costs the earn nothing but one index entry.
 *
 * Purchases gain the revenue of their lines marked as upsell (upsell_amount), for upsellRatio.
 */
export class InsightAggregates1764001010000 implements MigrationInterface {
  name = 'InsightAggregates1764001010000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- No default on ADD COLUMN (that would rewrite the table): existing rows stay NULL.
      ALTER TABLE ledger_transaction ADD COLUMN xid xid8, ADD COLUMN upsell_amount numeric CHECK (upsell_amount >= 0);
      ALTER TABLE ledger_transaction ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
      CREATE INDEX ledger_transaction_xid ON ledger_transaction (xid);
      ALTER TABLE member ADD COLUMN xid xid8;
      ALTER TABLE member ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
      CREATE INDEX member_xid ON member (xid);
      ALTER TABLE member_partner_consent ADD COLUMN xid xid8;
      ALTER TABLE member_partner_consent ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
      CREATE INDEX member_partner_consent_xid ON member_partner_consent (xid);

      -- The rollup's one row: the snapshot it last read (NULL: never ran).
      CREATE TABLE insight_rollup (
        id        boolean PRIMARY KEY DEFAULT true CHECK (id),
        seen      pg_snapshot,
        rolled_at timestamptz
      );
      INSERT INTO insight_rollup DEFAULT VALUES;

      -- Per partner (the coalition's own partner row for movements at no partner) and UTC day.
      CREATE TABLE insight_partner_day (
        partner_id      uuid NOT NULL REFERENCES partner(id),
        day             date NOT NULL,
        points_issued   bigint NOT NULL DEFAULT 0,
        points_redeemed bigint NOT NULL DEFAULT 0,
        points_expired  bigint NOT NULL DEFAULT 0,
        -- Σ points of every movement: the change in what members hold (outstanding = Σ up to a day).
        points_net      bigint NOT NULL DEFAULT 0,
        purchases       bigint NOT NULL DEFAULT 0,
        revenue         numeric NOT NULL DEFAULT 0,
        -- Revenue valued at the earn rate of each purchase (points), so currencies add up.
        revenue_value   numeric NOT NULL DEFAULT 0,
        upsell_value    numeric NOT NULL DEFAULT 0,
        -- Members enrolled here that day (coalition-wide member count).
        enrolled        bigint NOT NULL DEFAULT 0,
        -- Members whose first contact with this partner (enrolment or activity) was that day.
        joined          bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (partner_id, day)
      );

      -- Per member, partner and UTC day with any activity: the sets behind active members,
      -- retention, churn, repeat purchases, engagement, cross-partner purchases and CLV.
      CREATE TABLE insight_member_day (
        member_id   uuid NOT NULL,
        partner_id  uuid NOT NULL,
        day         date NOT NULL,
        purchases   int NOT NULL DEFAULT 0,
        revenue     numeric NOT NULL DEFAULT 0,
        -- Reward redemptions and payments with points.
        redemptions int NOT NULL DEFAULT 0,
        surveys     int NOT NULL DEFAULT 0,
        -- Other non-purchase actions: challenges completed, referrals made, consents granted.
        engagements int NOT NULL DEFAULT 0,
        enrolled_at timestamptz NOT NULL,
        PRIMARY KEY (member_id, partner_id, day)
      );
      CREATE INDEX insight_member_day_period ON insight_member_day (day) INCLUDE (member_id, partner_id, purchases, redemptions, surveys, engagements);
      CREATE INDEX insight_member_day_partner ON insight_member_day (partner_id, day) INCLUDE (member_id, purchases, redemptions, surveys, engagements);

      -- Since when a member is one of a partner's members (enrolled there, or first activity there).
      CREATE TABLE insight_member_partner (
        member_id  uuid NOT NULL,
        partner_id uuid NOT NULL,
        since      date NOT NULL,
        PRIMARY KEY (member_id, partner_id)
      );

      -- Survey answers per survey owner, day, kind and score.
      CREATE TABLE insight_survey_day (
        partner_id uuid NOT NULL REFERENCES partner(id),
        day        date NOT NULL,
        kind       text NOT NULL,
        score      int NOT NULL,
        responses  bigint NOT NULL,
        PRIMARY KEY (partner_id, day, kind, score)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE insight_survey_day, insight_member_partner, insight_member_day, insight_partner_day, insight_rollup;
      ALTER TABLE member_partner_consent DROP COLUMN xid;
      ALTER TABLE member DROP COLUMN xid;
      ALTER TABLE ledger_transaction DROP COLUMN xid, DROP COLUMN upsell_amount;
    `);
  }
}
